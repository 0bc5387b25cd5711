"""The proxy's object controller: one user request -> the object servers that the ring names.

Writes (PUT, POST, DELETE) go to every replica's node at once: the request's thread sends
the request to each node over a pooled keep-alive connection, then collects the answers,
so the nodes work on it at the same time. They succeed when a quorum (2 of 3) answers, so
one node down does not stop anyone. Reads ask the replicas one after another and take the
first that has the object, so a node that is down or lost its disk is passed over; the
replica asked first depends on the partition, so reads spread over the nodes (Swift
shuffles them) instead of all landing on one.

A PUT's body is read once, chunk by chunk, each chunk sent to every replica before the
next is read. The proxy does not hash it (nor does Swift's, for replicated objects): each
object server hashes what it got and checks it against the client's ETag before it keeps
it, so a mismatch (422) or a body that ends early stores nothing anywhere; the ETag of the
object is the one the object servers' answers agree on, and a node whose answer names
another got other bytes: it counts as failed. A chunked body (no length) is first spooled
(in memory when small, else to a temporary file), as is a server-side copy's source.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import urllib.parse
from pathlib import Path

from requests.structures import CaseInsensitiveDict

from minicloud.common import ids, trace
from minicloud.common.nodeclient import NodeConnection
from minicloud.object.ring import Device, RingFile
from minicloud.object.storage import normalize_timestamp

CHUNK = 64 * 1024
# A PUT's body goes to the replicas in chunks this big: each chunk is one send per node
# (every send lets the other threads of the process run, the GIL), and the nodes work on
# one chunk while the proxy reads the next from the client.
STREAM_CHUNK = 256 * 1024
IN_MEMORY = 4 * 1024 * 1024  # bodies up to this size are spooled in memory
# Swift's proxy waits conn_timeout (0.5 s) for a connection and node_timeout (10 s) for
# each read; a node that accepted the connection but does not answer (stopped, or its port
# taken by a program that never answers) costs a request that long, once per node.
CONNECT_TIMEOUT, READ_TIMEOUT = 1.0, 10.0
FOUND = (200, 206, 304, 412, 416)  # a GET's answers from a node that has the object


class Body:
    """A spooled request body: its size, MD5 and a way to read it once per replica."""

    def __init__(self, data: bytes | None, path: Path | None, size: int, etag: str):
        self.data, self.path, self.size, self.etag = data, path, size, etag

    def open(self):
        return io.BytesIO(self.data) if self.path is None else open(self.path, "rb")

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class Incoming:
    """A request body of known length, read once while it is sent to the replicas (as
    Swift's proxy streams it): `etag` is the client's ETag, or None until it is sent."""

    def __init__(self, stream, size: int, etag: str | None = None):
        self.stream, self.size, self.etag = stream, size, etag

    def open(self):
        return self.stream

    def discard(self) -> None:
        pass


class TooLarge(Exception):
    pass


class Incomplete(Exception):
    pass


def spool(stream, length: int | None, limit: int, tmp_dir: Path) -> Body:
    """Read the whole request body (Content-Length, or de-chunked by the HTTP server),
    hashing it."""
    md5, size, parts, out, path = hashlib.md5(), 0, [], None, None
    keep = parts.append  # in memory; once past IN_MEMORY, the temporary file's write
    try:
        while True:
            want = CHUNK if length is None else min(CHUNK, length - size)
            if want <= 0:
                break
            chunk = stream.read(want)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooLarge()
            md5.update(chunk)
            if out is None and size > IN_MEMORY:
                path = tmp_dir / f"put-{ids.random_hex(16)}"
                out = open(path, "wb")
                out.writelines(parts)
                parts, keep = [], out.write
            keep(chunk)
        if length is not None and size != length:
            raise Incomplete(f"{size} of {length} bytes arrived")
    except BaseException:
        if out is not None:
            out.close()
            path.unlink(missing_ok=True)
        raise
    if out is not None:
        out.close()
    return Body(b"".join(parts) if path is None else None, path, size, md5.hexdigest())


class NodeResponse:
    """What one object server answered (status None: it could not be reached). For a
    streamed GET, `body` is the open response, to be read to its end or closed."""

    def __init__(self, device: Device, status: int | None, headers=None, body=None):
        self.device, self.status = device, status
        self.headers = CaseInsensitiveDict(headers or {})
        self.body = body

    def read(self) -> bytes:
        try:
            return self.body.read()
        finally:
            self.body.close()


class NodeBody:
    """A streamed response from an object server; its connection goes back to the pool
    once the body is read to the end."""

    def __init__(self, pool: "Connections", key, conn, response):
        self.pool, self.key, self.conn, self.response = pool, key, conn, response

    def read(self, n: int = -1) -> bytes:
        return self.response.read(None if n < 0 else n)

    def close(self) -> None:
        self.pool.release(self.key, self.conn, self.response)


class Connections:
    """Keep-alive HTTP connections to the storage nodes, shared by the proxy's threads: a
    thread takes an idle one (the most recently used first) and gives it back when the
    response is read, so a node sees few, busy connections. They speak nodeclient.py's
    lean HTTP/1.1 (a fraction of http.client's cost, let alone requests'), which matters
    with three calls per PUT."""

    def __init__(self, max_idle: int = 16):
        self.max_idle = max_idle
        self._idle: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def _take(self, key):
        """An idle connection to `key` that the node has not closed meanwhile, or None."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None or conn.alive():
                return conn
            conn.close()

    def send(self, method: str, dev: Device, path: str, headers: dict,
             first: bytes | None = None, whole: bool = True) -> "Exchange":
        """Send a request with `first`, the body or (not `whole`) its first chunk; its
        answer is read later (`Exchange.response`), so the proxy can send to every replica
        before it waits for any. Raises OSError."""
        exchange = Exchange(self, method, dev, path, headers, first, whole)
        exchange.send(self._take((dev.ip, dev.port)))
        return exchange

    def connect(self, dev: Device) -> NodeConnection:
        return NodeConnection(dev.ip, dev.port, CONNECT_TIMEOUT, READ_TIMEOUT)

    def release(self, key, conn, response) -> None:
        if response.isclosed() and not response.will_close:  # read to the end: reusable
            with self._lock:
                idle = self._idle.setdefault(key, [])
                if len(idle) < self.max_idle:
                    idle.append(conn)
                    return
        response.close()
        conn.close()


class Exchange:
    """One request to one object server, on a pooled connection: `send` (with the body, or
    its first chunk), `write` the rest chunk by chunk, then `response`. A kept-alive
    connection the node has closed in the meantime gets one retry on a new connection
    when the whole request is still at hand (a streamed body is not: the node is then
    counted as failed for this request)."""

    def __init__(self, pool: Connections, method: str, dev: Device, path: str, headers: dict,
                 first: bytes | None, whole: bool):
        self.pool, self.method, self.dev, self.path = pool, method, dev, path
        self.headers, self.first, self.whole = headers, first, whole
        self.key, self.conn, self.reused = (dev.ip, dev.port), None, False

    def send(self, conn: NodeConnection | None) -> None:
        self.reused = conn is not None
        self.conn = conn or self.pool.connect(self.dev)
        try:
            self.conn.request(self.method, self.path, body=self.first, headers=self.headers)
        except OSError:
            self.conn.close()
            if not self.reused:
                raise
            self.send(None)

    def write(self, chunk: bytes) -> bool:
        """More of a streamed body; False (and the connection closed) when the node is gone."""
        try:
            self.conn.sock.sendall(chunk)
            return True
        except OSError:
            self.conn.close()
            return False

    def abort(self) -> None:
        """Hang up mid-body: the node sees the body end early and keeps nothing."""
        self.conn.close()

    def response(self):
        try:
            return self.conn.getresponse()
        except OSError:
            self.conn.close()
            if not self.reused or not self.whole:
                raise
        self.send(None)  # the stale keep-alive: once more, fresh
        return self.conn.getresponse()


class ObjectController:
    def __init__(self, ring: RingFile, tracer: trace.Tracer):
        self.ring = ring
        self.tracer = tracer
        self.connections = Connections()

    @property
    def quorum(self) -> int:
        return self.ring.get().replicas // 2 + 1

    @staticmethod
    def _path(dev: Device, partition: int, hash_: str) -> str:
        return f"/{dev.device}/{partition}/{hash_}"

    def _answer(self, dev: Device, exchange: Exchange | None,
                stream: bool = False) -> NodeResponse:
        """Wait for one node's answer (status None: unreachable). A 200 to a streamed GET
        keeps its connection open for the body; any other answer is read at once."""
        if exchange is None:
            return NodeResponse(dev, None)
        try:
            r = exchange.response()
            if stream and exchange.method == "GET" and r.status in (200, 206):
                return NodeResponse(dev, r.status, r.getheaders(),
                                    NodeBody(self.connections, exchange.key, exchange.conn, r))
            r.read()
            self.connections.release(exchange.key, exchange.conn, r)
        except OSError as exc:
            trace.failed_hop(f"swift-object-{dev.node}", f"{exchange.method} {exchange.path}",
                             f"no answer: {exc.strerror or type(exc).__name__}")
            return NodeResponse(dev, None)
        return NodeResponse(dev, r.status, r.getheaders())

    def _send(self, method: str, dev: Device, path: str, headers: dict,
              first: bytes | None = None, whole: bool = True) -> Exchange | None:
        try:
            return self.connections.send(method, dev, path, headers, first, whole)
        except OSError as exc:  # the node is down: the trace shows the attempt
            trace.failed_hop(f"swift-object-{dev.node}", f"{method} {path}",
                             exc.strerror or type(exc).__name__)
            return None

    def _fan_out(self, method: str, path: tuple[str, str, str], headers: dict,
                 body=None) -> list[NodeResponse]:
        """The same request to every replica's node: sent to all of them first, so they
        work on it at the same time, then their answers are collected."""
        ring = self.ring.get()
        part, hash_, devices = ring.get_nodes(*path)
        headers = {**headers, "X-Object-Name": _quoted(path), **trace.outgoing_headers()}
        paths = [(d, self._path(d, part, hash_)) for d in devices]
        if body is not None:
            return self._stream(method, paths, headers, body)
        sent = [(d, self._send(method, d, where, headers)) for d, where in paths]
        return [self._answer(dev, exchange) for dev, exchange in sent]

    def _stream(self, method: str, paths: list, headers: dict, body) -> list[NodeResponse]:
        """A body (a spooled `Body` or an `Incoming` one) read once, chunk by chunk, each
        chunk sent to every node before the next is read, so the nodes write it at the
        same time. `body.etag`, when the client sent none, becomes the ETag that most
        nodes' answers name; a node whose answer names another got other bytes: it counts
        as failed."""
        stream, left, sent = body.open(), body.size, []
        try:
            first = _chunk(stream, left)
            left -= len(first)
            sent = [(d, self._send(method, d, where, headers, first, whole=left == 0))
                    for d, where in paths]
            while left > 0:
                chunk = _chunk(stream, left)
                left -= len(chunk)
                sent = [(d, e if e is None or e.write(chunk) else None) for d, e in sent]
        except BaseException:  # the client's body ended early, or it hung up
            for _, exchange in sent:
                if exchange is not None:
                    exchange.abort()
            raise
        finally:
            if isinstance(body, Body):
                stream.close()  # a spooled body's own reader
        answers = [self._answer(dev, exchange) for dev, exchange in sent]
        etags = [_etag(a) for a in answers if a.status == 201]
        body.etag = body.etag or max(etags, key=etags.count, default=None)
        return [a if a.status != 201 or _etag(a) == body.etag else NodeResponse(a.device, 500)
                for a in answers]

    # -- the operations ----------------------------------------------------------------------

    def put(self, path, body, headers: dict) -> tuple[int, str]:
        """(status, timestamp): 201 once a quorum stored the object, 422 when its bytes do
        not match the ETag the client sent (no node keeps it), else 503. `body`: a spooled
        `Body` or an `Incoming` one (Incomplete when it ends early: no node keeps it)."""
        ts = normalize_timestamp(time.time())
        hdrs = {**headers, "X-Timestamp": ts, "Content-Length": str(body.size)}
        if body.etag:
            hdrs["ETag"] = body.etag
        answers = self._fan_out("PUT", path, hdrs, body)
        if sum(1 for a in answers if a.status == 201) >= self.quorum:
            return 201, ts
        return (422 if any(a.status == 422 for a in answers) else 503), ts

    def post(self, path, headers: dict) -> int:
        answers = self._fan_out("POST", path, {**headers, "X-Timestamp":
                                               normalize_timestamp(time.time())})
        return self._best(answers, ok=(202,), missing=404)

    def delete(self, path, timestamp: float | None = None, headers: dict | None = None) -> int:
        """204 once a node deleted it, 404 if none had it, 503 without a quorum. The
        expirer names the timestamp (the object's X-Delete-At) and `X-If-Delete-At`."""
        ts = normalize_timestamp(time.time() if timestamp is None else timestamp)
        answers = self._fan_out("DELETE", path, {**(headers or {}), "X-Timestamp": ts})
        return self._best(answers, ok=(204,), missing=404)

    def _best(self, answers: list[NodeResponse], ok: tuple, missing: int) -> int:
        reached = [a for a in answers if a.status is not None]
        if len(reached) < self.quorum:
            return 503
        if sum(1 for a in reached if a.status in ok) >= 1:
            return ok[0]
        return missing

    def get(self, path, method: str = "GET", headers: dict | None = None) -> NodeResponse | None:
        """The first replica that has the object (a stream for a GET's 200 or 206, or its
        answer to the request's conditions: 304, 412, 416); None if none has it. Raises
        Unavailable when too few nodes answered to be sure it does not exist."""
        ring = self.ring.get()
        part, hash_, devices = ring.get_nodes(*path)
        headers = {**(headers or {}), "X-Object-Name": _quoted(path), **trace.outgoing_headers()}
        first = part % len(devices) if devices else 0
        reached = 0
        for dev in devices[first:] + devices[:first]:
            exchange = self._send(method, dev, self._path(dev, part, hash_), headers)
            answer = self._answer(dev, exchange, stream=True)
            if answer.status is None:
                continue
            reached += 1
            if answer.status in FOUND:
                return answer
        if reached == 0:
            raise Unavailable()
        return None


class Unavailable(Exception):
    """No object server could be reached."""


def _chunk(stream, left: int) -> bytes:
    """The next chunk of a body with `left` bytes to come; Incomplete if it ends."""
    chunk = stream.read(min(STREAM_CHUNK, left))
    if not chunk and left:
        raise Incomplete(f"{left} bytes missing")
    return chunk


def _etag(answer: NodeResponse) -> str:
    return answer.headers.get("ETag", "").strip('"')


def _quoted(path: tuple[str, str, str]) -> str:
    return urllib.parse.quote("/" + "/".join(path))


def stream_body(body: NodeBody):
    """Yield an object server's response body in chunks, closing it at the end."""
    try:
        while True:
            chunk = body.read(CHUNK)
            if not chunk:
                break
            yield chunk
    finally:
        body.close()


def proxy_tmp(home: Path, worker: str | None = None) -> Path:
    """The spool directory, emptied of what a crashed proxy left: the controller's, or a
    worker process's own (a worker must not empty the directory another proxy uses)."""
    path = Path(home) / ("swift-proxy-tmp" + (f"-{worker}" if worker else ""))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.iterdir():
        stale.unlink(missing_ok=True)
    return path

