"""A lean HTTP/1.1 server for node-to-node traffic: the Swift proxy and replicator calling
the object servers on the storage nodes.

The API services face real clients and use waitress (server.py). Between nodes the peer
is our own code, the requests are small and many (three per object PUT), and waitress's
hand-over from its socket loop to a worker thread costs more than the object server's
work. Here each connection has one thread that reads a request, calls the WSGI app and
writes the answer, so a request wakes one thread. Keep-alive, `Content-Length` and chunked
bodies, `Expect: 100-continue` and HEAD are handled; file bodies are sent with sendfile.
"""

from __future__ import annotations

import itertools
import logging
import socket
import sys
import tempfile
import threading
from urllib.parse import unquote_to_bytes

LOG = logging.getLogger(__name__)

MAX_LINE = 16 * 1024
MAX_HEADERS = 200
IDLE_TIMEOUT = 120.0
DRAIN_LIMIT = 1024 * 1024  # a bigger unread request body closes the connection instead


class BadRequest(Exception):
    pass


class RequestBody:
    """`wsgi.input` of a body of known length: never read past its end."""

    def __init__(self, rfile, length: int):
        self.rfile, self.left = rfile, length

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.left
        n = min(n, self.left)
        if n == 0:
            return b""
        data = self.rfile.read(n)
        if not data:
            raise BadRequest("the body ended early")
        self.left -= len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        n = self.left if limit is None or limit < 0 else min(limit, self.left)
        line = self.rfile.readline(n) if n else b""
        self.left -= len(line)
        return line

    def drain(self) -> bool:
        """Read what the app left unread; False when too much is left to bother."""
        if self.left > DRAIN_LIMIT:
            return False
        while self.left:
            self.read(1 << 16)
        return True


def dechunk(rfile) -> tuple[tempfile.SpooledTemporaryFile, int]:
    """A chunked body, read whole (as waitress does), so the app sees a Content-Length."""
    out, size = tempfile.SpooledTemporaryFile(max_size=DRAIN_LIMIT), 0
    while True:
        try:
            chunk = int(rfile.readline(MAX_LINE).split(b";", 1)[0], 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        if chunk == 0:
            break
        data = rfile.read(chunk)
        if len(data) != chunk:
            raise BadRequest("the body ended early")
        out.write(data)
        size += chunk
        rfile.readline(MAX_LINE)  # the CRLF after the chunk
    while rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
        pass  # trailers
    out.seek(0)
    return out, size


class FileWrapper:
    """`wsgi.file_wrapper`: lets a file body go out with sendfile."""

    def __init__(self, filelike, block_size: int = 1 << 16):
        self.filelike, self.block_size = filelike, block_size

    def __iter__(self):
        return iter(lambda: self.filelike.read(self.block_size), b"")

    def close(self) -> None:
        self.filelike.close()


class Connection:
    """One client connection: requests served one after another until it closes."""

    def __init__(self, server: "NodeHttpServer", sock: socket.socket, address):
        self.server, self.sock, self.address = server, sock, address
        self.rfile = sock.makefile("rb", 1 << 16)

    def serve(self) -> None:
        try:
            while self._one():
                pass
        except (OSError, BadRequest, ValueError):
            pass  # the peer went away or spoke nonsense: hang up
        except Exception:
            LOG.exception("%s: a request failed outside the app", self.server.name)
        finally:
            self.rfile.close()
            self.sock.close()
            self.server._forget(self)

    def _read_head(self) -> tuple[str, str, str, dict] | None:
        line = self.rfile.readline(MAX_LINE)
        if not line:
            return None
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            raise BadRequest("bad request line") from None
        headers = {}
        for _ in range(MAX_HEADERS):
            line = self.rfile.readline(MAX_LINE)
            if line in (b"\r\n", b"\n", b""):
                return method, target, version, headers
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise BadRequest("bad header line")
            key = name.strip().upper().replace("-", "_")
            value = value.strip()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        raise BadRequest("too many headers")

    def _environ(self, method, target, version, headers) -> tuple[dict, RequestBody]:
        path, _, query = target.partition("?")
        if "chunked" in headers.get("TRANSFER_ENCODING", "").lower():
            wsgi_input, size = dechunk(self.rfile)
            headers["CONTENT_LENGTH"] = str(size)
            body = RequestBody(self.rfile, 0)  # read whole already: nothing left to drain
        else:
            try:
                length = int(headers.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise BadRequest("bad Content-Length") from None
            body = wsgi_input = RequestBody(self.rfile, length)
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "QUERY_STRING": query,
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "SERVER_NAME": self.server.host, "SERVER_PORT": str(self.server.port),
            "SERVER_PROTOCOL": version, "REMOTE_ADDR": self.address[0],
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": wsgi_input,
            "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
        }
        for key, value in headers.items():
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ["HTTP_" + key] = value
        return environ, body

    def _one(self) -> bool:
        """Serve one request; False when the connection is to be closed."""
        head = self._read_head()
        if head is None:
            return False
        method, target, version, headers = head
        if headers.get("EXPECT", "").lower() == "100-continue":
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ, body = self._environ(*head)
        keep_alive = version == "HTTP/1.1" and headers.get("CONNECTION", "").lower() != "close"
        reply: dict = {}
        written: list[bytes] = []  # what an app gives the legacy write() callable

        def start_response(status, response_headers, exc_info=None):
            reply["status"], reply["headers"] = status, response_headers
            return written.append

        result = self.server.app(environ, start_response)
        try:
            out = itertools.chain(written, result) if written else result
            keep_alive = self._send(method, reply, out, keep_alive)
        finally:
            if hasattr(result, "close"):
                result.close()
        return keep_alive and body.drain()

    def _send(self, method: str, reply: dict, result, keep_alive: bool) -> bool:
        names = {name.lower() for name, _ in reply["headers"]}
        lines = [f"HTTP/1.1 {reply['status']}"]
        lines += [f"{name}: {value}" for name, value in reply["headers"]]
        # 1xx, 204 and 304 answers never have a body (RFC 9112 6.3), not even an empty
        # chunked one: the client would read its `0` as the start of the next answer.
        bodiless = method == "HEAD" or reply["status"][:3] in ("204", "304") or \
            reply["status"].startswith("1")
        chunked = "content-length" not in names and not bodiless
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if bodiless:
            self.sock.sendall(head)
        elif isinstance(result, FileWrapper) and not chunked:
            self.sock.sendall(head)
            self.sock.sendfile(result.filelike)
        elif isinstance(result, list) and not chunked:
            self.sock.sendall(head + b"".join(result))
        else:
            self.sock.sendall(head)
            for data in result:
                if data:
                    self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            if chunked:
                self.sock.sendall(b"0\r\n\r\n")
        return keep_alive


class NodeHttpServer:
    """Serves one WSGI app on host:port (0: any free port); a thread per connection."""

    def __init__(self, name: str, app, host: str, port: int):
        self.name, self.app, self.host = name, app, host
        self._sock = socket.create_server((host, port), backlog=128)
        self.port = self._sock.getsockname()[1]
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name=f"http-{name}", daemon=True)

    def start(self) -> "NodeHttpServer":
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self._sock.accept()
            except OSError:  # closed by stop()
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(IDLE_TIMEOUT)
            conn = Connection(self, sock, address)
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=conn.serve, name=f"{self.name}-conn", daemon=True).start()

    def _forget(self, conn: Connection) -> None:
        with self._lock:
            self._connections.discard(conn)

    def stop(self) -> None:
        """Stop listening and hang up every open connection (as a failed node would)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
