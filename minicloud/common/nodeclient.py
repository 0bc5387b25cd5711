"""A lean HTTP/1.1 client for node-to-node traffic: the Swift proxy calling the object
servers on the storage nodes (the other end is nodeserver.py).

http.client parses every response's headers with the email package, which costs more
than the object server's own work on a small object; a PUT makes three such calls. Here
a request goes out in one send (head and a small body together) and a response's head
is read line by line into a list of pairs. Bodies: Content-Length or chunked; a file
body is sent in chunks. Every failure is an OSError (`BadResponse` for nonsense), so a
caller catches one kind of error for "this node did not answer".
"""

from __future__ import annotations

import select
import socket

CHUNK = 64 * 1024
MAX_LINE = 16 * 1024
MAX_HEADERS = 200
NO_BODY = (204, 304)


class BadResponse(OSError):
    """The node closed the connection, or answered something that is not HTTP/1.x."""


class NodeConnection:
    """One keep-alive connection to host:port; `request`, then `getresponse`."""

    def __init__(self, host: str, port: int, connect_timeout: float, read_timeout: float):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(read_timeout)
        self.rfile = self.sock.makefile("rb", CHUNK)
        self.host = f"{host}:{port}"
        self.method = ""

    def request(self, method: str, path: str, body=None, headers: dict | None = None) -> None:
        """Send a request; `body` is bytes, a file opened for reading, or None (then a PUT
        or POST says Content-Length: 0). Content-Length of a file body is the caller's."""
        self.method = method
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        for name, value in (headers or {}).items():
            value = str(value)
            if "\n" in value or "\r" in value:
                raise BadResponse(f"header {name} holds a line break")
            lines.append(f"{name}: {value}")
        given = {name.lower() for name in (headers or {})}
        if "content-length" not in given and (body is not None or method in ("PUT", "POST")):
            size = len(body) if isinstance(body, (bytes, bytearray, memoryview)) else 0
            lines.append(f"Content-Length: {size}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if body is None:
            self.sock.sendall(head)
        elif isinstance(body, (bytes, bytearray, memoryview)):
            if len(body) <= CHUNK:
                self.sock.sendall(head + body)  # one send: no Nagle/delayed-ACK stall
            else:
                self.sock.sendall(head)
                self.sock.sendall(body)
        else:
            self.sock.sendall(head)
            while chunk := body.read(CHUNK):
                self.sock.sendall(chunk)

    def alive(self) -> bool:
        """For an idle kept-alive connection: False when the node has closed it (it then
        reads as ready, at its end), so it is not used for another request."""
        poll = select.poll()
        poll.register(self.sock, select.POLLIN)
        return not poll.poll(0)

    def getresponse(self) -> "NodeResponseStream":
        line = self.rfile.readline(MAX_LINE)
        if not line:
            raise BadResponse("the node closed the connection")
        parts = line.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise BadResponse(f"not an HTTP status line: {line[:64]!r}")
        headers = []
        for _ in range(MAX_HEADERS):
            line = self.rfile.readline(MAX_LINE)
            if line in (b"\r\n", b"\n"):
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise BadResponse("a bad header line, or the connection closed")
            headers.append((name.strip(), value.strip()))
        else:
            raise BadResponse("too many headers")
        return NodeResponseStream(self, int(parts[1]), parts[0], headers)

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


class NodeResponseStream:
    """A response whose body is read from the connection: `read(n)` to its end (then
    `isclosed()`), or the connection is closed unread. `will_close`: the node hangs up
    after this response, so the connection cannot serve another request."""

    def __init__(self, conn: NodeConnection, status: int, version: str, headers: list):
        self.conn, self.status, self.headers = conn, status, headers
        fields = {name.lower(): value for name, value in headers}
        self.will_close = (version == "HTTP/1.0"
                           or fields.get("connection", "").lower() == "close")
        self.chunked = "chunked" in fields.get("transfer-encoding", "").lower()
        bodiless = conn.method == "HEAD" or status in NO_BODY or status < 200
        try:
            self.left = 0 if bodiless else int(fields.get("content-length", -1))
        except ValueError:
            raise BadResponse("bad Content-Length") from None
        if self.chunked and not bodiless:
            self.left = -1
        elif self.left < 0:  # no length, not chunked: the body runs until the node hangs up
            self.will_close = True
        self._chunk_left = 0

    def getheaders(self) -> list[tuple[str, str]]:
        return self.headers

    def isclosed(self) -> bool:
        return self.left == 0

    def read(self, n: int | None = None) -> bytes:
        if self.chunked and self.left != 0:
            return self._read_chunked(n)
        if self.left == 0:
            return b""
        if self.left < 0:  # until the connection closes
            return self.conn.rfile.read() if n is None else self.conn.rfile.read(n)
        want = self.left if n is None or n < 0 else min(n, self.left)
        data = self.conn.rfile.read(want)
        if len(data) < want:
            raise BadResponse("the body ended early")
        self.left -= len(data)
        return data

    def _read_chunked(self, n: int | None) -> bytes:
        out = []
        wanted = -1 if n is None or n < 0 else n
        while wanted != 0:
            if self._chunk_left == 0:
                try:
                    self._chunk_left = int(self.conn.rfile.readline(MAX_LINE).split(b";")[0], 16)
                except ValueError:
                    raise BadResponse("bad chunk size") from None
                if self._chunk_left == 0:
                    while self.conn.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self.left = 0
                    break
            take = self._chunk_left if wanted < 0 else min(wanted, self._chunk_left)
            data = self.conn.rfile.read(take)
            if len(data) < take:
                raise BadResponse("the body ended early")
            out.append(data)
            self._chunk_left -= take
            if self._chunk_left == 0:
                self.conn.rfile.readline(MAX_LINE)  # the CRLF after the chunk
            if wanted > 0:
                wanted -= take
        return b"".join(out)

    def close(self) -> None:
        """Give up the rest of the body: the connection cannot be reused."""
        if self.left != 0:
            self.conn.close()
