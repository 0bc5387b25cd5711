"""The backend of a storage node, a shared filesystem as in Cinder's NFS driver: a volume
is a sparse file of its size in the node's own directory
(`<data dir>/storage/storage1/cinder-volumes/volume-<id>`), and the node exports that
directory as one share, `<its management address>:<the directory>` (`10.0.0.41:/...`).

A sparse file takes no disk space until written, so a 1000 GB volume costs nothing until
an image is written into it. Snapshots are copies of the file (holes stay holes). The
connection info an attach gets names the share and the file on it, never a path of this
node's: the compute host mounts the share and opens `<its mount>/volume-<id>`
(compute/volume_drivers.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

GiB = 1024**3
CHUNK = 1024 * 1024


class FileBackend:
    """`address`: the storage node's management address (topology.py), the server part of
    the share; what a compute host mounts is `export`."""

    def __init__(self, root: Path, capacity_gb: int = 1000, *, address: str):
        self.root = Path(root).absolute()
        self.root.mkdir(parents=True, exist_ok=True)
        self.capacity_gb = capacity_gb
        self.export = f"{address}:{self.root}"

    def path(self, volume_id: str) -> Path:
        return self.root / f"volume-{volume_id}"

    def _new(self, path: Path) -> Path:
        """Where a new file goes (the directory comes back if someone wiped the node)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return path

    def snapshot_path(self, snapshot_id: str) -> Path:
        return self.root / f"snapshot-{snapshot_id}"

    def create(self, volume_id: str, size_gb: int) -> Path:
        path = self._new(self.path(volume_id))
        with open(path, "wb") as f:
            f.truncate(size_gb * GiB)
        return path

    def create_from_image(self, volume_id: str, size_gb: int, chunks: Iterable[bytes]) -> int:
        """Write the image's bytes at the start of the volume; return how many were written."""
        written = 0
        with open(self._new(self.path(volume_id)), "wb") as f:
            for chunk in chunks:
                if written + len(chunk) > size_gb * GiB:
                    raise ValueError(f"the image does not fit in {size_gb} GB")
                f.write(chunk)
                written += len(chunk)
            f.truncate(size_gb * GiB)
        return written

    def copy(self, source: Path, target: Path, size_gb: int) -> None:
        """A sparse copy: only the data regions are read and written."""
        with open(source, "rb") as src, open(self._new(target), "wb") as dst:
            for start, end in _data_regions(src):
                src.seek(start)
                dst.seek(start)
                left = end - start
                while left > 0:
                    chunk = src.read(min(CHUNK, left))
                    if not chunk:
                        break
                    dst.write(chunk)
                    left -= len(chunk)
            dst.truncate(max(size_gb * GiB, os.fstat(src.fileno()).st_size))

    def create_snapshot(self, snapshot_id: str, volume_id: str, size_gb: int) -> None:
        self.copy(self.path(volume_id), self.snapshot_path(snapshot_id), size_gb)

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> None:
        self.copy(self.snapshot_path(snapshot_id), self.path(volume_id), size_gb)

    def clone(self, volume_id: str, source_id: str, size_gb: int) -> None:
        self.copy(self.path(source_id), self.path(volume_id), size_gb)

    def extend(self, volume_id: str, new_size_gb: int) -> None:
        with open(self.path(volume_id), "r+b") as f:
            f.truncate(new_size_gb * GiB)

    def delete(self, volume_id: str) -> None:
        self.path(volume_id).unlink(missing_ok=True)

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.snapshot_path(snapshot_id).unlink(missing_ok=True)

    def exists(self, volume_id: str) -> bool:
        return self.path(volume_id).exists()

    def connection_info(self, volume_id: str) -> dict:
        """What Cinder's NFS driver answers: the share, the file's name on it, the share's
        mount options (none) and the disk format (a sparse file is `raw`)."""
        return {"driver_volume_type": "nfs",
                "data": {"export": self.export, "name": self.path(volume_id).name,
                         "options": None, "format": "raw", "volume_id": volume_id,
                         "access_mode": "rw"}}

    def provisioned_gb(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(-(-p.stat().st_size // GiB) for p in self.root.iterdir() if p.is_file())

    def capabilities(self) -> dict:
        provisioned = self.provisioned_gb()
        return {"volume_backend_name": "file", "storage_protocol": "nfs",
                "driver_version": "1.0", "total_capacity_gb": self.capacity_gb,
                "provisioned_capacity_gb": provisioned,
                "free_capacity_gb": max(0, self.capacity_gb - provisioned)}


def _data_regions(f) -> list[tuple[int, int]]:
    """(start, end) of the parts of a file that hold data (SEEK_DATA/SEEK_HOLE)."""
    size = os.fstat(f.fileno()).st_size
    if not hasattr(os, "SEEK_DATA"):
        return [(0, size)]
    regions, offset = [], 0
    while offset < size:
        try:
            start = os.lseek(f.fileno(), offset, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole is left
            break
        end = os.lseek(f.fileno(), start, os.SEEK_HOLE)
        regions.append((start, end))
        offset = end
    return regions
