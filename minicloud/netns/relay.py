"""A TCP relay on the host: how nodes in their namespaces reach a broker that listens on
the host's loopback only (Debian's RabbitMQ does, and guest may log in from there alone).

The launcher makes it before it enters the controller's namespace, so its sockets stay in
the host's: it listens on the host's management address (10.0.0.1:5672) and copies each
connection to 127.0.0.1:5672 and back, one thread per direction. A broker that already
listens on every address needs no relay (`start_relay` then returns None).
"""

from __future__ import annotations

import errno
import logging
import socket
import threading

LOG = logging.getLogger(__name__)
CHUNK = 64 * 1024


class Relay:
    def __init__(self, listen: tuple[str, int], target: tuple[str, int]):
        self.target = target
        self.sock = socket.create_server(listen)
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="broker-relay", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError as exc:
            LOG.warning("relay: no broker at %s:%s: %s", *self.target, exc)
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def close(self) -> None:
        self._closed.set()
        self.sock.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    finally:  # one side is done: so is the other
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        source.close()


def start_relay(listen: tuple[str, int], target: tuple[str, int]) -> Relay | None:
    try:
        return Relay(listen, target)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:  # the broker itself listens there already
            return None
        raise
