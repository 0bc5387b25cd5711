"""The object server of one storage node (storage1..3): its own WSGI app, port and disk.

The proxy (and the replicator) call it over HTTP, as Swift's proxy calls its object
servers. Layout on the node's device, as in Swift:

    <root>/<device>/objects/<partition>/<hash[-3:]>/<hash>/<timestamp>.data   the bytes
                                                          /<timestamp>.ts     a tombstone

Metadata (JSON) is an extended attribute `user.swift.metadata` of that file, as in Swift,
or a `<timestamp>.meta` file beside it where the file system has no user xattrs. The
newest `.data` or `.ts` in an object's directory is its current state; older files are
removed once a newer one is in place. Every file is written to `<device>/tmp` and
renamed into place, so a reader never sees half an object.

A small replaced file is not deleted but kept as a spare (`<device>/tmp/spare-*`) that
the next write overwrites: ext4 without a journal passes over every recently deleted
inode when it allocates a new one, and truncating a file costs more than the rest of a
small PUT, so a node that keeps replacing objects would spend most of its time there. A
file that a GET still reads is never made a spare. Paths are built only from a
checked device name, a partition number and a 32-hex hash: a request cannot name a file
outside the node's directory.

Routes (the node's own API, not the user's):
    PUT|GET|HEAD|POST|DELETE /<device>/<partition>/<hash>   one object (X-Timestamp,
                                                           X-Object-Name headers)
    GET /<device>                 the partitions this device holds
    GET /<device>/<partition>     hash -> timestamps (what the replicator compares)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from pathlib import Path

import falcon

from minicloud.common import ids, trace, wsgi
from minicloud.common.nodeserver import NodeHttpServer

CHUNK = 64 * 1024
SPARES = 256  # replaced files a device keeps for its next writes...
SPARE_BYTES = 64 * 1024  # ...when they are this small (at most 16 MiB per device)
HASH_RE = re.compile(r"^[0-9a-f]{32}$")
META_PREFIX = "x-object-meta-"
XATTR = "user.swift.metadata"


def normalize_timestamp(value: float | str) -> str:
    """Swift's timestamp format: 16 digits with 5 decimals (sorts as text and as number)."""
    return f"{float(value):016.5f}"


def error_body(code, exc) -> dict:
    return {"message": str(exc.description or exc.title)}


class Superseded(Exception):
    """The node already holds a newer (or the same) version; args[0] is its timestamp."""


class Disk:
    """The files of one device: read, write, delete and list objects by partition/hash."""

    def __init__(self, root: Path, device: str):
        self.device = device
        self.root = Path(root) / device
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        (self.root / "objects").mkdir(exist_ok=True)
        self.objects = str(self.root / "objects")  # str paths: the hot path skips pathlib
        self.xattrs = _xattrs_work(str(self.tmp))
        self._lock = threading.Lock()  # guards the spares and the count of open readers
        self._reading: dict[str, int] = {}
        self._spares: list[tuple[str, int]] = []  # (path, size)
        for name in os.listdir(self.tmp):  # what an earlier run left: spares stay spares
            path = f"{self.tmp}/{name}"
            if name.startswith("spare-") and len(self._spares) < SPARES:
                self._spares.append((path, os.stat(path).st_size))
            else:
                os.unlink(path)

    def object_dir(self, partition: int, hash_: str) -> str:
        return f"{self.objects}/{partition}/{hash_[-3:]}/{hash_}"

    @staticmethod
    def _names(directory: str) -> list[str] | None:
        """The files of an object's directory; None when it has no directory yet."""
        try:
            return os.listdir(directory)
        except FileNotFoundError:
            return None

    @staticmethod
    def _state(names: list[str] | None) -> tuple[str | None, str | None]:
        """(timestamp, ".data" or ".ts") of the object's current state."""
        states = sorted((n for n in names or () if n.endswith((".data", ".ts"))), reverse=True)
        if not states:
            return None, None
        ts, ext = states[0].rsplit(".", 1)
        return ts, "." + ext

    def _newest(self, directory: str) -> tuple[str | None, str | None]:
        return self._state(self._names(directory))

    def current(self, partition: int, hash_: str) -> dict | None:
        """The object's current metadata (with `deleted` for a tombstone), or None."""
        directory = self.object_dir(partition, hash_)
        ts, ext = self._newest(directory)
        if ts is None:
            return None
        try:
            if self.xattrs:
                meta = json.loads(os.getxattr(f"{directory}/{ts}{ext}", XATTR))
            else:
                with open(f"{directory}/{ts}.meta") as f:
                    meta = json.load(f)
        except (OSError, ValueError):
            meta = {"X-Timestamp": ts}
        meta["deleted"] = ext == ".ts"
        meta["path"] = f"{directory}/{ts}.data"
        return meta

    def _temp(self) -> tuple[str, int]:
        """(path, bytes it holds) in tmp/ to write a new file at: a spare when there is
        one (its old bytes are overwritten), else a new name (0)."""
        with self._lock:
            if self._spares:
                return self._spares.pop()
        return f"{self.tmp}/{ids.random_hex(16)}", 0

    def _retire(self, path: str) -> None:
        """A replaced file goes: kept as a spare when it is small, or deleted when it is
        big, when a reader still has it open (its bytes must stay as they were) or when
        there are spares enough."""
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return
        if size <= SPARE_BYTES:
            with self._lock:
                if not self._reading.get(path) and len(self._spares) < SPARES:
                    spare = f"{self.tmp}/spare-{ids.random_hex(16)}"
                    try:
                        os.rename(path, spare)
                    except FileNotFoundError:
                        return
                    self._spares.append((spare, size))
                    return
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def open_object(self, path: str) -> "ObjectFile":
        """Open a `.data` for reading; while it is open it is not made a spare."""
        with self._lock:
            f = open(path, "rb")
            self._reading[path] = self._reading.get(path, 0) + 1
        return ObjectFile(self, path, f)

    def reader_closed(self, path: str) -> None:
        with self._lock:
            left = self._reading.pop(path) - 1
            if left:
                self._reading[path] = left

    def _write_meta(self, path: str, meta: dict) -> None:
        """Metadata as an extended attribute of the file (as Swift does), or, where the file
        system has none, a `.meta` JSON file beside it; both replaced atomically."""
        data = json.dumps(meta).encode()
        if self.xattrs:
            os.setxattr(path, XATTR, data)
            return
        tmp, _ = self._temp()
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path.rsplit(".", 1)[0] + ".meta")

    def _install(self, directory: str, ts: str, ext: str, meta: dict, data_tmp: str | None,
                 names: list[str] | None):
        """Give the new file its name, then remove the older files `names` listed (the
        directory's files seen before the write; None: it had no directory). A file that
        a concurrent write added meanwhile stays until the next write: the newest file is
        the state either way."""
        if data_tmp is None:  # a tombstone: an empty file
            data_tmp, _ = self._temp()
            open(data_tmp, "wb").close()
        if names is None:
            os.makedirs(directory, exist_ok=True)
        if self.xattrs:
            self._write_meta(data_tmp, meta)  # on the file before it gets its name
        else:  # the sidecar first: never a .data without its metadata
            self._write_meta(f"{directory}/{ts}{ext}", meta)
        os.replace(data_tmp, f"{directory}/{ts}{ext}")
        for name in names or ():
            if not name.startswith(ts + "."):
                self._retire(f"{directory}/{name}")

    def write(self, partition: int, hash_: str, meta: dict, stream, length: int) -> str:
        """Stream `length` bytes into a new `.data`; returns its md5 hex. Raises Superseded
        when the node holds this object at the same or a newer timestamp, ValueError when
        fewer bytes arrive or the ETag announced does not match (nothing is kept)."""
        directory = self.object_dir(partition, hash_)
        names = self._names(directory)
        current, _ = self._state(names)
        if current is not None and current >= meta["X-Timestamp"]:
            raise Superseded(current)
        tmp, old_size = self._temp()
        md5, left = hashlib.md5(), length
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o644)  # unbuffered: fewer calls
            try:
                if old_size > length:  # a spare with more bytes than this object
                    os.ftruncate(fd, length)
                while left > 0:
                    chunk = stream.read(min(CHUNK, left))
                    if not chunk:
                        raise ValueError(f"{length - left} of {length} bytes arrived")
                    md5.update(chunk)
                    _write_all(fd, chunk)
                    left -= len(chunk)
            finally:
                os.close(fd)
            etag = md5.hexdigest()
            if meta.get("ETag") and meta["ETag"] != etag:
                raise ValueError("ETag mismatch")
            meta["ETag"], meta["Content-Length"] = etag, str(length)
            self._install(directory, meta["X-Timestamp"], ".data", meta, tmp, names)
            tmp = None
            return etag
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass

    def delete(self, partition: int, hash_: str, meta: dict) -> None:
        directory = self.object_dir(partition, hash_)
        self._install(directory, meta["X-Timestamp"], ".ts", meta, None, self._names(directory))

    def update_meta(self, partition: int, hash_: str, current: dict, updates: dict) -> None:
        directory = self.object_dir(partition, hash_)
        meta = {k: v for k, v in current.items() if k not in ("deleted", "path")
                and not k.lower().startswith(META_PREFIX)}
        meta.update(updates)
        self._write_meta(f"{directory}/{current['X-Timestamp']}.data", meta)

    def partitions(self) -> list[int]:
        base = self.root / "objects"
        return sorted(int(p) for p in os.listdir(base) if p.isdigit())

    def hashes(self, partition: int) -> dict[str, dict]:
        """hash -> {timestamp, meta_timestamp, deleted} of every object in the partition."""
        found = {}
        base = self.root / "objects" / str(partition)
        for suffix in (os.listdir(base) if base.is_dir() else []):
            for hash_ in os.listdir(base / suffix):
                meta = self.current(partition, hash_)
                if meta is not None:
                    found[hash_] = {"timestamp": meta["X-Timestamp"],
                                    "meta_timestamp": meta.get("X-Meta-Timestamp",
                                                               meta["X-Timestamp"]),
                                    "deleted": meta["deleted"]}
        return found


class ObjectFile:
    """An open `.data` being sent to the proxy; closing it tells the disk it is free."""

    def __init__(self, disk: Disk, path: str, f):
        self.disk, self.path, self._file = disk, path, f

    def __getattr__(self, name):  # read, fileno, seek, tell: the file's own
        return getattr(self._file, name)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            self.disk.reader_closed(self.path)


def _object_headers(resp, meta: dict) -> None:
    for key, value in meta.items():
        if key in ("deleted", "path"):
            continue
        resp.set_header(key, str(value))


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
        meta = {k: v for k, v in req.headers.items() if k.lower().startswith(META_PREFIX)}
        meta = {_title(k): v for k, v in meta.items()}
        meta.update({"X-Timestamp": ts, "X-Object-Name": req.get_header("X-Object-Name") or "",
                     "Content-Type": req.content_type or "application/octet-stream",
                     "ETag": (req.get_header("ETag") or "").strip('"').lower()})
        if req.content_length is None:
            raise falcon.HTTPLengthRequired(title="Length Required")
        try:
            etag = disk.write(part, h, meta, req.bounded_stream, req.content_length)
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
        if meta is None or meta["deleted"]:
            resp.status = falcon.HTTP_404
            if meta is not None:
                resp.set_header("X-Backend-Timestamp", meta["X-Timestamp"])
            return
        _object_headers(resp, meta)
        resp.content_length = int(meta.get("Content-Length", 0))
        if req.method == "HEAD":
            return
        try:
            resp.stream = disk.open_object(meta["path"])
        except FileNotFoundError:  # replaced between the listing and the open
            resp.status = falcon.HTTP_404
            resp.content_length = 0

    def on_head(self, req, resp, device, partition, hash_):
        self.on_get(req, resp, device, partition, hash_)

    def on_post(self, req, resp, device, partition, hash_):
        disk, part, h = self._locate(device, partition, hash_)
        ts = self._timestamp(req)
        meta = disk.current(part, h)
        if meta is None or meta["deleted"]:
            resp.status = falcon.HTTP_404
            return
        if meta.get("X-Meta-Timestamp", meta["X-Timestamp"]) >= ts:
            resp.status = falcon.HTTP_409
            return
        updates = {_title(k): v for k, v in req.headers.items()
                   if k.lower().startswith(META_PREFIX)}
        updates["X-Meta-Timestamp"] = ts
        if req.content_type:
            updates["Content-Type"] = req.content_type
        disk.update_meta(part, h, meta, updates)
        resp.status = falcon.HTTP_202

    def on_delete(self, req, resp, device, partition, hash_):
        disk, part, h = self._locate(device, partition, hash_)
        ts = self._timestamp(req)
        current = disk.current(part, h)
        if current is not None and current["X-Timestamp"] >= ts:
            resp.status = falcon.HTTP_409
            return
        disk.delete(part, h, {"X-Timestamp": ts,
                              "X-Object-Name": req.get_header("X-Object-Name") or ""})
        existed = current is not None and not current["deleted"]
        resp.status = falcon.HTTP_204 if existed else falcon.HTTP_404


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _xattrs_work(directory: str) -> bool:
    probe = f"{directory}/.xattr-probe"
    try:
        open(probe, "wb").close()
        os.setxattr(probe, XATTR, b"{}")
        return True
    except (OSError, AttributeError):
        return False
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass


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


def create_app(node: "StorageNode", tracer: trace.Tracer) -> falcon.App:
    app = wsgi.create_app(f"swift-object-{node.name}", error_body=error_body, tracer=tracer)
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
        self._server: HttpServer | None = None
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
