"""The launcher's control socket: how `minicloud nodes` and `minicloud node stop|start`
reach the running cloud.

A UNIX socket in the data directory (`control.sock`, mode 0600: whoever may read the data
directory may steer the cloud, and nothing listens on the network). One JSON request per
connection, one JSON answer:

    {"op": "nodes"}                         {"nodes": [{"name", "role", "pid", "running",
                                                        "addresses", "services", "listens"}]}
    {"op": "stop" | "start", "node": NAME}  {"node": {...}}   or   {"error": "..."}
    {"op": "agent", "action": "stop" | "start", "agent": "l3", "host": None | NAME}
                                            {"agent": {"name", "host", "running"}}

A node of the processes mode answers on a socket of its own, `nodes/NAME.sock` (only
`agent`: the launcher passes it on, network/agent_control.py).
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Callable

SOCKET = "control.sock"
MAX_REQUEST = 64 * 1024


class NotRunning(Exception):
    """No cloud answers on the data directory's control socket."""


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline(MAX_REQUEST) or b"{}")
            answer = self.server.answer(request) if isinstance(request, dict) else None
        except ValueError:
            answer = None
        if answer is None:
            answer = {"error": "a request is one JSON object on one line"}
        self.wfile.write(json.dumps(answer).encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class ControlServer:
    """Serves `answer(request) -> dict` on `<home>/control.sock`."""

    def __init__(self, home: Path, answer: Callable[[dict], dict], name: str = SOCKET):
        self.path = Path(home) / name
        self.answer = answer
        self._server: _Server | None = None

    def start(self) -> "ControlServer":
        self.path.unlink(missing_ok=True)  # left by a cloud that crashed
        old = os.umask(0o177)
        try:
            self._server = _Server(str(self.path), _Handler)
        finally:
            os.umask(old)
        self._server.answer = self.answer
        threading.Thread(target=self._server.serve_forever, name="control", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.path.unlink(missing_ok=True)


def ask(home: Path, request: dict, timeout: float = 60, name: str = SOCKET) -> dict:
    """The running cloud's answer to `request`; NotRunning if none answers."""
    path = Path(home) / name
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps(request).encode() + b"\n")
            with sock.makefile("rb") as answer:
                line = answer.readline()
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise NotRunning(f"no cloud answers on {path}") from exc
    return json.loads(line)


if __name__ == "__main__":  # python -m minicloud.control HOME SOCKET REQUEST: ask, print the
    import sys  # answer (a launcher outside a container asks a node's socket inside it)

    print(json.dumps(ask(Path(sys.argv[1]), json.loads(sys.argv[3]), name=sys.argv[2])))
