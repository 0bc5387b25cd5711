"""The object server of one storage node (storage1..3): its own WSGI app, port and disk.

The proxy (and the replicator) call it over HTTP, as Swift's proxy calls its object
servers; its files are diskfile.py's. A GET or HEAD answers the conditions and ranges
of conditions.py; an object past its `X-Delete-At` is gone (404) from that second on; a
write the disk has no room for (ENOSPC) is a 507 Insufficient Storage and leaves nothing.

Routes (the node's own API, not the user's):
    PUT|GET|HEAD|POST|DELETE /<device>/<partition>/<hash>   one object (X-Timestamp,
                                                           X-Object-Name headers)
    GET /<device>                 the partitions this device holds
    GET /<device>/<partition>     hash -> timestamps (what the replicator compares)
"""

from __future__ import annotations

import errno
import logging
import re
import shutil
import threading
import uuid
from pathlib import Path

import falcon

from minicloud.common import trace, wsgi
from minicloud.common.nodeserver import NodeHttpServer
from minicloud.object import conditions
from minicloud.object.constraints import OBJECT_HEADERS
from minicloud.object.diskfile import META_PREFIX, Disk, ObjectFile, Superseded  # noqa: F401
from minicloud.object.diskfile import normalize_timestamp  # noqa: F401 (proxy, tests)
from minicloud.object.expirer import expired

LOG = logging.getLogger(__name__)
HASH_RE = re.compile(r"^[0-9a-f]{32}$")
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
HTTP_507 = "507 Insufficient Storage"


def error_body(code, exc) -> dict:
    return {"message": str(exc.description or exc.title)}


def _object_headers(resp, meta: dict) -> None:
    for key, value in meta.items():
        if key in ("deleted", "path"):
            continue
        resp.set_header(key, str(value))


def _kept_headers(req) -> dict:
    """What a PUT or POST keeps with the object: X-Object-Meta-* and Swift's allowed
    headers (Content-Disposition, Content-Encoding, X-Delete-At, ...)."""
    return {_title(k): v for k, v in req.headers.items()
            if k.lower().startswith(META_PREFIX) or k.lower() in OBJECT_HEADERS}


def _live(meta: dict | None) -> bool:
    return meta is not None and not meta["deleted"] and not expired(meta)


class ObjectResource:
    """One object on this device: the proxy's PUT/GET/HEAD/POST/DELETE land here."""

    def __init__(self, node: "StorageNode"):
        self.node = node

    def _locate(self, device: str, partition: str, hash_: str) -> tuple[Disk, int, str]:
        if device != self.node.disk.device or not partition.isdigit() or not HASH_RE.match(hash_):
            raise falcon.HTTPBadRequest(title="Bad Request", description="bad object path")
        return self.node.disk, int(partition), hash_

    @staticmethod
    def _timestamp(req) -> str:
        try:
            return normalize_timestamp(req.get_header("X-Timestamp", required=True))
        except ValueError:
            raise falcon.HTTPBadRequest(title="Bad Request", description="bad X-Timestamp")

    def on_put(self, req, resp, device, partition, hash_):
        disk, part, h = self._locate(device, partition, hash_)
        ts = self._timestamp(req)
        meta = _kept_headers(req)
        meta.update({"X-Timestamp": ts, "X-Object-Name": req.get_header("X-Object-Name") or "",
                     "Content-Type": req.content_type or "application/octet-stream",
                     "ETag": (req.get_header("ETag") or "").strip('"').lower()})
        if req.content_length is None:
            raise falcon.HTTPLengthRequired(title="Length Required")
        try:
            etag = disk.put(part, h, meta, req.bounded_stream, req.content_length)
        except Superseded as exc:
            resp.status = falcon.HTTP_409  # Swift: an older (or same) write loses
            resp.set_header("X-Backend-Timestamp", exc.args[0])
            return
        except ValueError as exc:
            resp.status = falcon.HTTP_422 if "ETag" in str(exc) else "499 Client Closed Request"
            resp.text = str(exc)
            return
        resp.status = falcon.HTTP_201
        resp.set_header("ETag", etag)

    def on_get(self, req, resp, device, partition, hash_):
        disk, part, h = self._locate(device, partition, hash_)
        meta = disk.current(part, h)
        if not _live(meta):
            resp.status = falcon.HTTP_404
            if meta is not None:
                resp.set_header("X-Backend-Timestamp", meta["X-Timestamp"])
            return
        _object_headers(resp, meta)
        size = int(meta.get("Content-Length", 0))
        resp.content_length = size
        status = conditions.precondition_status(req.get_header, meta.get("ETag", ""),
                                                meta["X-Timestamp"])
        if status is not None:
            resp.status, resp.content_length = falcon.code_to_http_status(status), 0
            return
        if req.method == "HEAD":  # a HEAD ignores Range, as in Swift
            return
        specs = conditions.parse_range(req.get_header("Range"))
        try:
            f = disk.open_object(meta["path"])
        except FileNotFoundError:  # replaced between the listing and the open
            resp.status, resp.content_length = falcon.HTTP_404, 0
            return
        if specs is None:
            resp.stream = f
        else:
            self._ranges(resp, f, conditions.ranges_for_length(specs, size), size,
                         meta.get("Content-Type", "application/octet-stream"))

    @staticmethod
    def _ranges(resp, f: ObjectFile, ranges: list, size: int, content_type: str) -> None:
        """206 with one range or a multipart/byteranges body; 416 when none fits."""
        if not ranges:
            f.close()
            resp.status, resp.content_length = falcon.HTTP_416, 0
            resp.set_header("Content-Range", f"bytes */{size}")
            return
        if size == 0:  # a suffix range of an empty object: all of it (200), as Swift
            resp.stream = f
            return
        resp.status = falcon.HTTP_206
        if len(ranges) == 1:
            start, stop = ranges[0]
            resp.set_header("Content-Range", conditions.content_range(start, stop, size))
            resp.content_length = stop - start
            resp.stream = _closing(f, f.read_range(start, stop))
            return
        boundary = uuid.uuid4().hex
        length, chunks = conditions.multipart(ranges, content_type, size, boundary,
                                              f.read_range)
        resp.content_type = f"multipart/byteranges;boundary={boundary}"
        resp.content_length = length
        resp.stream = _closing(f, chunks)

    def on_head(self, req, resp, device, partition, hash_):
        self.on_get(req, resp, device, partition, hash_)

    def on_post(self, req, resp, device, partition, hash_):
        """Swift's fast-POST: the user metadata and allowed headers are replaced whole
        (what the POST does not name is gone); Content-Type changes only when sent."""
        disk, part, h = self._locate(device, partition, hash_)
        ts = self._timestamp(req)
        meta = disk.current(part, h)
        if not _live(meta):
            resp.status = falcon.HTTP_404
            return
        if meta.get("X-Meta-Timestamp", meta["X-Timestamp"]) >= ts:
            resp.status = falcon.HTTP_409
            return
        updates = _kept_headers(req)
        updates["X-Meta-Timestamp"] = ts
        if req.content_type:
            updates["Content-Type"] = req.content_type
        disk.update_meta(part, h, meta, updates)
        resp.status = falcon.HTTP_202

    def on_delete(self, req, resp, device, partition, hash_):
        disk, part, h = self._locate(device, partition, hash_)
        ts = self._timestamp(req)
        current = disk.current(part, h)
        if_delete_at = req.get_header("X-If-Delete-At")  # the expirer's: only that version
        if if_delete_at is not None:
            if current is None or current["deleted"]:
                resp.status = falcon.HTTP_404
                return
            if current.get("X-Delete-At") != if_delete_at:
                resp.status = falcon.HTTP_412
                return
        if current is not None and current["X-Timestamp"] >= ts:
            resp.status = falcon.HTTP_409
            return
        disk.delete(part, h, {"X-Timestamp": ts,
                              "X-Object-Name": req.get_header("X-Object-Name") or ""})
        resp.status = falcon.HTTP_204 if _live(current) else falcon.HTTP_404


def _closing(f: ObjectFile, chunks):
    """Yield `chunks`, then close the object's file (also when the reader hangs up)."""
    try:
        yield from chunks
    finally:
        f.close()


def _title(header: str) -> str:
    return "-".join(p.capitalize() for p in header.split("-"))


class DeviceResource:
    """`GET /<device>`: partitions held; the replicator starts its walk here."""

    def __init__(self, node: "StorageNode"):
        self.node = node

    def on_get(self, req, resp, device):
        if device != self.node.disk.device:
            raise falcon.HTTPNotFound()
        resp.media = {"node": self.node.name, "partitions": self.node.disk.partitions()}


class PartitionResource:
    """`GET /<device>/<partition>`: hash -> timestamps, what the replicator compares."""

    def __init__(self, node: "StorageNode"):
        self.node = node

    def on_get(self, req, resp, device, partition):
        if device != self.node.disk.device or not partition.isdigit():
            raise falcon.HTTPNotFound()
        resp.media = self.node.disk.hashes(int(partition))


def _no_space(req, resp, exc, params) -> None:
    """A full disk (ENOSPC, or a quota: EDQUOT) is Swift's 507 Insufficient Storage; the
    write that met it has removed its temporary file. Any other OSError is a bug: 500."""
    if exc.errno in NO_SPACE:
        resp.status, resp.text = HTTP_507, "Insufficient Storage"
        return
    LOG.exception("object server: unexpected error on %s %s", req.method, req.path)
    resp.status, resp.text = falcon.HTTP_500, "Internal Server Error"


def create_app(node: "StorageNode", tracer: trace.Tracer) -> falcon.App:
    app = wsgi.create_app(f"swift-object-{node.name}", error_body=error_body, tracer=tracer)
    app.add_error_handler(OSError, _no_space)
    app.req_options.strip_url_path_trailing_slash = True
    for path, resource in [
        ("/{device}", DeviceResource(node)),
        ("/{device}/{partition}", PartitionResource(node)),
        ("/{device}/{partition}/{hash_}", ObjectResource(node)),
    ]:
        app.add_route(path, resource)
    return app


class StorageNode:
    """One storage node: a device directory and an object server on its own port, which a
    test (or `minicloud swift stop-node`) can stop and start again, as if the node failed."""

    def __init__(self, name: str, root: Path, host: str, port: int, tracer: trace.Tracer,
                 device: str = "sdb1"):
        self.name, self.host, self.port = name, host, port
        self.on_port_change = None  # called when a (re)start had to take another port
        self.root = Path(root)
        self.disk = Disk(self.root, device)
        self.app = create_app(self, tracer)
        self._server: NodeHttpServer | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "StorageNode":
        moved = False
        with self._lock:
            if self._server is None:
                self.disk = Disk(self.root, self.disk.device)  # recreate a wiped device
                try:
                    server = NodeHttpServer(f"swift-{self.name}", self.app, self.host,
                                            self.port)
                except OSError:
                    # the port is taken (another cloud or a client on this machine): any
                    # free one; the ring records the port each node really has
                    server = NodeHttpServer(f"swift-{self.name}", self.app, self.host, 0)
                moved, self.port = server.port != self.port, server.port
                self._server = server.start()
        if moved and self.on_port_change is not None:
            self.on_port_change()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()  # open keep-alives too: a dead node hangs up
                self._server = None

    def wipe(self) -> None:
        """Lose every object on this node's disk (a replaced drive)."""
        shutil.rmtree(self.disk.root, ignore_errors=True)
        self.disk = Disk(self.root, self.disk.device)

    def object_files(self) -> int:
        """How many objects (.data files) this node holds."""
        return sum(1 for _ in (self.disk.root / "objects").rglob("*.data"))
