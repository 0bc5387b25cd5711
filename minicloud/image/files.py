"""The image file store (glance_store's `file` driver): one file per image in `images/`.

An upload is written to a hidden temporary file in the same folder, hashed (md5 and
sha512) while it is written, and renamed to the image's id only when every byte arrived:
a failed upload never leaves a half file under an image's name. Reads and writes go in
chunks of 1 MiB, so an image is never held in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
PART_SUFFIX = ".part"


class TooLarge(Exception):
    """More bytes arrived than the size limit allows."""


@dataclasses.dataclass
class Upload:
    """Bytes received into a temporary file, not yet an image's data."""
    temp: Path
    size: int
    checksum: str  # md5 hex, Glance's legacy `checksum`
    sha512: str  # `os_hash_value` (with `os_hash_algo` sha512)
    head: bytes  # the first bytes, for format inspection


class FileStore:
    def __init__(self, root: str | Path, opener=open):
        """`opener` opens a temporary file for writing (tests give one that fails)."""
        self.root = Path(root)
        self.opener = opener
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob(f".*{PART_SUFFIX}"):  # uploads cut short by a crash
            stale.unlink(missing_ok=True)

    def path(self, image_id: str) -> Path:
        return self.root / image_id

    def receive(self, image_id: str, stream, limit: int) -> Upload:
        """Copy `stream` to a temporary file, hashing it; raise TooLarge past `limit` bytes.

        Two 1 MiB buffers are reused for the whole upload: bytes are read into one while
        the other is still being hashed, and no chunk is allocated per read.
        """
        temp = self.root / f".{image_id}.{uuid.uuid4().hex}{PART_SUFFIX}"
        md5, sha512, size, head = hashlib.md5(), hashlib.sha512(), 0, b""
        buffers = [memoryview(bytearray(CHUNK)), memoryview(bytearray(CHUNK))]
        try:
            # hashlib lets go of the GIL on large buffers: both hashes of a chunk run on
            # other cores while this thread writes it and reads the next one.
            with self.opener(temp, "wb") as out, ThreadPoolExecutor(2) as hashers:
                pending = []
                while n := _read_into(stream, buffers[0]):
                    chunk = buffers[0][:n]
                    size += n
                    if size > limit:
                        raise TooLarge(size)
                    if len(head) < 512:
                        head += bytes(chunk[:512 - len(head)])
                    for done in pending:
                        done.result()
                    pending = [hashers.submit(md5.update, chunk),
                               hashers.submit(sha512.update, chunk)]
                    out.write(chunk)
                    buffers.reverse()  # the next read goes to the buffer not being hashed
                for done in pending:
                    done.result()
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Upload(temp, size, md5.hexdigest(), sha512.hexdigest(), head)

    def commit(self, upload: Upload, image_id: str) -> None:
        os.replace(upload.temp, self.path(image_id))

    @staticmethod
    def discard(upload: Upload) -> None:
        upload.temp.unlink(missing_ok=True)

    def open(self, image_id: str) -> BinaryIO:
        """The image's file, for the server to send (waitress sends it from the file)."""
        return open(self.path(image_id), "rb")

    def delete(self, image_id: str) -> None:
        self.path(image_id).unlink(missing_ok=True)

    def names(self) -> list[str]:
        """Every file in the store, temporary ones included (what tests look at)."""
        return sorted(p.name for p in self.root.iterdir())


class Incomplete(Exception):
    """The request body ended before its Content-Length."""


class BodyReader:
    """At most `length` bytes of a WSGI input, read into the caller's buffers."""

    def __init__(self, raw: BinaryIO, length: int):
        self.raw = raw
        self.left = length

    def readinto(self, view: memoryview) -> int:
        if self.left <= 0:
            return 0
        n = _read_into(self.raw, view[:min(len(view), self.left)])
        if n == 0:
            raise Incomplete(f"{self.left} bytes of the body never arrived")
        self.left -= n
        return n


def _read_into(stream, view: memoryview) -> int:
    if hasattr(stream, "readinto"):
        return stream.readinto(view) or 0
    data = stream.read(len(view))
    view[:len(data)] = data
    return len(data)
