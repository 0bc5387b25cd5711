"""Serve one service's WSGI app on its own port, in a background thread (waitress).

waitress de-chunks request bodies (the image and object clients upload chunked) and each
server has its own socket map, so several run side by side in one process.
"""

from __future__ import annotations

import logging
import threading

import waitress.server

logging.getLogger("waitress").setLevel(logging.ERROR)


class HttpServer:
    def __init__(self, name: str, app, host: str, port: int, threads: int = 8):
        self.name = name
        self._server = waitress.server.create_server(
            app, host=host, port=port, threads=threads, ident="minicloud",
            expose_tracebacks=False, channel_timeout=120, connection_limit=1000,
            recv_bytes=256 * 1024, inbuf_overflow=4 * 1024 * 1024)
        self.port = self._server.effective_port
        self._thread = threading.Thread(target=self._run, name=f"http-{name}", daemon=True)

    def _run(self):
        try:
            self._server.run()
        except (OSError, ValueError):  # the socket map closed under the loop at shutdown
            pass

    def start(self) -> "HttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown(timeout=2)
