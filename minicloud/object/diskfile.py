"""An object server's files on its device (Swift's diskfile): write, read, replace, delete.

Layout on the node's device, as in Swift:

    <root>/<device>/objects/<partition>/<hash[-3:]>/<hash>/<timestamp>.data   the bytes
                                                          /<timestamp>.ts     a tombstone

Metadata (JSON) is an extended attribute `user.swift.metadata` of that file, as in Swift,
or a `<timestamp>.meta` file beside it where the file system has no user xattrs, or where
the metadata is bigger than the file system lets an xattr be (ext4: one block). The
newest `.data` or `.ts` in an object's directory is its current state; older files are
removed once a newer one is in place. Every file is written to `<device>/tmp` and
renamed into place, so a reader never sees half an object, and a write that fails (a
full disk: ENOSPC) leaves nothing behind but its temporary file, which it removes.

A small replaced file is not deleted but kept as a spare (`<device>/tmp/spare-*`) that
the next write overwrites: ext4 without a journal passes over every recently deleted
inode when it allocates a new one, and truncating a file costs more than the rest of a
small PUT, so a node that keeps replacing objects would spend most of its time there. A
file that a GET still reads is never made a spare. Paths are built only from a
checked device name, a partition number and a 32-hex hash: a request cannot name a file
outside the node's directory.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from pathlib import Path

from minicloud.common import ids
from minicloud.object.constraints import OBJECT_HEADERS

CHUNK = 64 * 1024
SPARES = 256  # replaced files a device keeps for its next writes...
SPARE_BYTES = 64 * 1024  # ...when they are this small (at most 16 MiB per device)
XATTR = "user.swift.metadata"
META_PREFIX = "x-object-meta-"
# What setxattr says when the value does not fit: the metadata goes to a `.meta` file.
XATTR_TOO_BIG = (errno.E2BIG, errno.ERANGE, errno.ENOSPC)
# What a POST replaces whole besides X-Object-Meta-*: Swift's object server's
# allowed_headers (constraints.OBJECT_HEADERS) and nothing of the data's own.
REPLACED_BY_POST = OBJECT_HEADERS


def normalize_timestamp(value: float | str) -> str:
    """Swift's timestamp format: 16 digits with 5 decimals (sorts as text and as number)."""
    return f"{float(value):016.5f}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Superseded(Exception):
    """The node already holds a newer (or the same) version; args[0] is its timestamp."""


def read_current(directory: str, xattrs: bool) -> dict | None:
    """The current state of the object whose files are in `directory`: the metadata of its
    newest `.data` or `.ts` (with `deleted` for a tombstone, `path` of the data), or None.
    Reads only: `minicloud check` uses it beside a running node."""
    ts, ext = Disk._state(Disk._names(directory))
    if ts is None:
        return None
    meta = _read_meta(f"{directory}/{ts}{ext}", xattrs) or {"X-Timestamp": ts}
    meta["deleted"] = ext == ".ts"
    meta["path"] = f"{directory}/{ts}.data"
    return meta


def _read_meta(path: str, xattrs: bool) -> dict | None:
    """A file's metadata: its xattr, else its `.meta` sidecar; None if it has neither."""
    if xattrs:
        try:
            return json.loads(os.getxattr(path, XATTR))
        except (OSError, ValueError):
            pass  # none, or too big for one: the sidecar has it
    try:
        with open(path.rsplit(".", 1)[0] + ".meta", "rb") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Disk:
    """The files of one device: put, read, delete and list objects by partition/hash."""

    write_chunk = staticmethod(_write_all)  # a test puts a full disk here (ENOSPC)

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

    def current(self, partition: int, hash_: str) -> dict | None:
        """The object's current metadata (with `deleted` for a tombstone), or None."""
        return read_current(self.object_dir(partition, hash_), self.xattrs)

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

    def _write_meta(self, path: str, final: str, meta: dict) -> None:
        """Metadata as an extended attribute of the file at `path` (as Swift does), or a
        `.meta` JSON file beside its `final` name where the file system has no xattrs or
        none this big (ext4 holds about 4 KiB); both replaced atomically."""
        data = json.dumps(meta).encode()
        if self.xattrs:
            try:
                os.setxattr(path, XATTR, data)
                return
            except OSError as exc:
                if exc.errno not in XATTR_TOO_BIG:
                    raise
            try:  # a reused spare's old xattr must not outlive this write
                os.removexattr(path, XATTR)
            except OSError:
                pass
        tmp, _ = self._temp()
        try:
            Path(tmp).write_bytes(data)
            os.replace(tmp, final.rsplit(".", 1)[0] + ".meta")
        except BaseException:
            _unlink(tmp)
            raise

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
        # on the file before it gets its name, or the sidecar first: never a .data
        # without its metadata
        self._write_meta(data_tmp, f"{directory}/{ts}{ext}", meta)
        os.replace(data_tmp, f"{directory}/{ts}{ext}")
        for name in names or ():
            if not name.startswith(ts + "."):
                self._retire(f"{directory}/{name}")

    def put(self, partition: int, hash_: str, meta: dict, stream, length: int) -> str:
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
                    self.write_chunk(fd, chunk)
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
            if tmp is not None:  # a failed write (short body, bad ETag, full disk) leaves nothing
                _unlink(tmp)

    def delete(self, partition: int, hash_: str, meta: dict) -> None:
        directory = self.object_dir(partition, hash_)
        self._install(directory, meta["X-Timestamp"], ".ts", meta, None, self._names(directory))

    def update_meta(self, partition: int, hash_: str, current: dict, updates: dict) -> None:
        """A POST: `updates` replace the user metadata and the allowed headers whole."""
        directory = self.object_dir(partition, hash_)
        meta = {k: v for k, v in current.items() if k not in ("deleted", "path")
                and not k.lower().startswith(META_PREFIX)
                and k.lower() not in REPLACED_BY_POST}
        meta.update(updates)
        path = f"{directory}/{current['X-Timestamp']}.data"
        self._write_meta(path, path, meta)

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

    def read_range(self, start: int, stop: int):
        """Yield the bytes [start, stop) in chunks."""
        self._file.seek(start)
        left = stop - start
        while left > 0:
            chunk = self._file.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            self.disk.reader_closed(self.path)


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

