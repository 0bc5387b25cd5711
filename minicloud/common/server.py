"""Serve one service's WSGI app on its own port, in a background thread (waitress).

waitress de-chunks request bodies (the image and object clients upload chunked) and each
server has its own socket map, so several run side by side in one process.

With `reuse_port`, the port may be shared by servers in several processes (SO_REUSEPORT;
the processes mode's API workers, api_worker.py): the kernel hands each new connection to
one of them. The first server (`join=False`, the launcher's) still refuses a port that
another program holds; the workers then join it.
"""

from __future__ import annotations

import logging
import socket
import threading

import waitress.server
import waitress.wasyncore

LOG = logging.getLogger(__name__)
logging.getLogger("waitress").setLevel(logging.ERROR)


def shared_socket(host: str, port: int, join: bool) -> socket.socket:
    """A socket bound to host:port with SO_REUSEPORT (waitress listens on it). Unless
    `join`, the port must be free: a stale server of another cloud that also set
    SO_REUSEPORT would otherwise silently take half the connections."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    if not join:
        with socket.socket(family, kind, proto) as probe:  # EADDRINUSE if it is taken
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def api_server(service: str, app, config, join: bool = False):
    """The (not yet started) HTTP server of a service's API on its port, shared with its API
    workers' (`join`: in a worker). waitress, but for Swift's proxy, which is served as
    Swift serves it: a thread per connection, each request body sent on to the object
    servers as it arrives (nodeserver.py)."""
    host, port = config.listen_host, config.port(service)
    reuse_port = join or config.api_workers_of(service) > 0
    if service == "object":
        from minicloud.common.nodeserver import NodeHttpServer  # it imports shared_socket

        return NodeHttpServer(service, app, host, port, reuse_port=reuse_port, join=join)
    return HttpServer(service, app, host, port, config.waitress_threads,
                      reuse_port=reuse_port, join=join)


class HttpServer:
    def __init__(self, name: str, app, host: str, port: int, threads: int = 8,
                 reuse_port: bool = False, join: bool = False):
        self.name = name
        where = ({"sockets": [shared_socket(host, port, join)]} if reuse_port else
                 {"host": host, "port": port})
        # poll(), not waitress's default select(): select() refuses a descriptor numbered
        # 1024 or more, which a busy process (or a test run's) reaches, and the server died
        self._server = waitress.server.create_server(
            app, **where, threads=threads, ident="minicloud", asyncore_use_poll=True,
            expose_tracebacks=False, channel_timeout=120, connection_limit=1000,
            recv_bytes=256 * 1024, inbuf_overflow=4 * 1024 * 1024)
        self.port = self._server.effective_port
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"http-{name}", daemon=True)

    def _run(self):
        try:
            self._server.run()
        except (OSError, ValueError):
            if not self._stopping:  # (at shutdown: the socket map closed under the loop)
                LOG.exception("%s: the HTTP server stopped serving", self.name)

    def start(self) -> "HttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection: the loop's thread ends."""
        self._stopping = True
        self._server.close()
        waitress.wasyncore.close_all(self._server._map)
        self._server.task_dispatcher.shutdown(timeout=2)
        self._thread.join(timeout=2)
