"""A lean HTTP/1.1 server: the object servers on the storage nodes, and Swift's proxy.

Each connection has one thread that reads a request, calls the WSGI app and writes the
answer, so a request wakes one thread: the model of eventlet.wsgi, which serves Swift's
own proxy and object servers (a green thread per connection). The other APIs use waitress
(server.py), whose hand-over from its socket loop to a worker thread, and back for the
answer, costs more than the object server's work and about as much as the proxy's on a
small object; waitress also reads a whole request body before the app sees any of it,
where Swift's proxy sends each chunk on to the object servers as it arrives.

Keep-alive, `Content-Length` and chunked bodies, `Expect: 100-continue` and HEAD are
handled; every answer has a `Date`; a head goes out in one send with the start of its body
(a small file body too), bigger file bodies with sendfile. A request line or header line
longer than MAX_LINE, or one that is not HTTP, gets a 400 and the connection is closed. With
`reuse_port`, several processes serve one port (SO_REUSEPORT, as server.py's servers).
"""

from __future__ import annotations

import email.utils
import itertools
import logging
import socket
import sys
import tempfile
import threading
import time
from urllib.parse import unquote_to_bytes

from minicloud.common.server import shared_socket

LOG = logging.getLogger(__name__)

MAX_LINE = 16 * 1024
MAX_HEADERS = 200
IDLE_TIMEOUT = 120.0
DRAIN_LIMIT = 1024 * 1024  # a bigger unread request body closes the connection instead
SMALL_FILE = 64 * 1024  # a file body up to this size goes out with the head, in one send


class BadRequest(Exception):
    pass


def readline(rfile) -> bytes:
    """One line of a request's head; BadRequest when it is longer than MAX_LINE."""
    line = rfile.readline(MAX_LINE)
    if len(line) == MAX_LINE and not line.endswith(b"\n"):
        raise BadRequest("Line too long")
    return line


_date = [0, ""]


def http_date() -> str:
    """Now, as a Date header says it (made once a second)."""
    now = int(time.time())
    if _date[0] != now:
        _date[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return _date[1]


class RequestBody:
    """`wsgi.input` of a body of known length: never read past its end."""

    def __init__(self, rfile, length: int):
        self.rfile, self.left = rfile, length
        self.ended = False  # the client hung up before the end of the body

    def read(self, n: int = -1) -> bytes:
        """Up to n bytes (all that is left when n < 0); b"" at the end, or when the client
        hung up early (the app sees a short body, as from a file)."""
        if n is None or n < 0:
            n = self.left
        n = min(n, self.left)
        if n == 0 or self.ended:
            return b""
        data = self.rfile.read(n)
        if len(data) < n:
            self.ended = True
        self.left -= len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        n = self.left if limit is None or limit < 0 else min(limit, self.left)
        line = self.rfile.readline(n) if n else b""
        self.left -= len(line)
        return line

    def drain(self) -> bool:
        """Read what the app left unread; False when too much is left to bother, or the
        client hung up."""
        if self.left > DRAIN_LIMIT:
            return False
        while self.left and not self.ended:
            self.read(1 << 16)
        return not self.ended


def dechunk(rfile) -> tuple[tempfile.SpooledTemporaryFile, int]:
    """A chunked body, read whole (as waitress does), so the app sees a Content-Length."""
    out, size = tempfile.SpooledTemporaryFile(max_size=DRAIN_LIMIT), 0
    while True:
        try:
            chunk = int(readline(rfile).split(b";", 1)[0], 16)
        except ValueError:
            raise BadRequest("bad chunk size") from None
        if chunk == 0:
            break
        data = rfile.read(chunk)
        if len(data) != chunk:
            raise BadRequest("the body ended early")
        out.write(data)
        size += chunk
        readline(rfile)  # the CRLF after the chunk
    while readline(rfile) not in (b"\r\n", b"\n", b""):
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
        except BadRequest as exc:  # nonsense: say so, then hang up
            self._refuse(str(exc))
        except (OSError, ValueError):
            pass  # the peer went away
        except Exception:
            LOG.exception("%s: a request failed outside the app", self.server.name)
        finally:
            self.rfile.close()
            self.sock.close()
            self.server._forget(self)

    def _refuse(self, why: str) -> None:
        body = why.encode("latin-1", "replace")
        try:
            self.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                              % (len(body), body))
        except OSError:
            pass

    def _read_head(self) -> tuple[str, str, str, dict] | None:
        line = readline(self.rfile)
        if not line:
            return None
        try:
            method, target, version = line.decode("latin-1").split()
        except ValueError:
            raise BadRequest("Bad request line") from None
        if not version.startswith("HTTP/1."):
            raise BadRequest("Bad request version")
        headers = {}
        for _ in range(MAX_HEADERS):
            line = readline(self.rfile)
            if line in (b"\r\n", b"\n", b""):
                return method, target, version, headers
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise BadRequest("Bad header line")
            key = name.strip().upper().replace("-", "_")
            value = value.strip()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        raise BadRequest("Too many headers")

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
                length = -1
            if length < 0:  # (a -1 would read to the end of the connection)
                raise BadRequest("Bad Content-Length")
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
        if "date" not in names:
            lines.append(f"Date: {http_date()}")
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
        elif chunked:
            self._send_chunked(head, result)
        elif isinstance(result, FileWrapper):
            self._send_file(head, result.filelike, reply["headers"])
        elif isinstance(result, list):
            self.sock.sendall(head + b"".join(result))
        else:  # the head and the first piece in one send: no Nagle/delayed-ACK stall
            pieces = iter(result)
            self.sock.sendall(head + next(pieces, b""))
            for data in pieces:
                if data:
                    self.sock.sendall(data)
        return keep_alive

    def _send_chunked(self, head: bytes, result) -> None:
        self.sock.sendall(head)
        for data in result:
            if data:
                self.sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"0\r\n\r\n")

    def _send_file(self, head: bytes, filelike, headers: list) -> None:
        """A small file read and sent with the head; a bigger one with sendfile."""
        size = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        if size <= SMALL_FILE:
            self.sock.sendall(head + filelike.read(size))
            return
        self.sock.sendall(head)
        self.sock.sendfile(filelike, count=size)


class NodeHttpServer:
    """Serves one WSGI app on host:port (0: any free port); a thread per connection. With
    `reuse_port` the port is shared with servers of other processes (`join`: the port is
    already another's, see server.shared_socket)."""

    def __init__(self, name: str, app, host: str, port: int, reuse_port: bool = False,
                 join: bool = False):
        self.name, self.app, self.host = name, app, host
        if reuse_port:
            self._sock = shared_socket(host, port, join)
            self._sock.listen(128)
        else:
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
