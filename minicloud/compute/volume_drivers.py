"""The compute host's side of a Cinder attachment (Nova's libvirt volume drivers, with
os-brick's connectors): from the `connection_info` Cinder answered, find the disk.

One connector per `driver_volume_type`; this cloud's backend speaks `nfs` (Cinder's NFS
driver): `data.export` is the storage node's share, `<management address>:<directory>`,
and `data.name` the volume's file on it. The host mounts the share once, at
`<state dir>/mnt/<md5 of the export>` (nova.conf `nfs_mount_point_base`, by default
`$state_path/mnt`), reuses the mount for every volume of that share, and hands the
hypervisor `<mount>/<name>` as the disk. A kind it has no connector for is refused with
`VolumeDriverNotFound`, as Nova refuses it.

On one machine (the in-process and processes modes) the storage node's directory is
already on this filesystem, so the "mount" is a symlink to it. In the network-namespace
and container modes a real NFS mount of the export goes at that same path: nothing above
`Mounts.mount` changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path


class VolumeDriverNotFound(Exception):
    """Cinder described a disk of a kind this host cannot connect."""


class VolumeConnectError(Exception):
    """The connection info is of a known kind but unusable (bad export, no such disk)."""


class Mounts:
    """The shares this host has mounted, each once, under `base` (Nova's mount manager)."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self._lock = threading.Lock()

    def mount_point(self, export: str) -> Path:
        """Where a share goes: named by a hash of the export, as Nova names it."""
        return self.base / hashlib.md5(export.encode(), usedforsecurity=False).hexdigest()

    def mount(self, export: str, options: str | None = None) -> Path:
        """Mount `export` unless it is mounted; return the mount point. `options` (mount
        options from Cinder's shares config) mean nothing to a symlink."""
        _server, directory = split_export(export)
        point = self.mount_point(export)
        with self._lock:  # two attaches of one share at once: one mount
            if not point.is_symlink():
                self.base.mkdir(parents=True, exist_ok=True)
                os.symlink(directory, point)
        return point


def split_export(export) -> tuple[str, str]:
    """`10.0.0.41:/srv/volumes` -> ("10.0.0.41", "/srv/volumes")."""
    server, sep, directory = str(export or "").partition(":")
    if not (server and sep and directory.startswith("/")):
        raise VolumeConnectError(f"NFS export {export!r} is not of the form "
                                 f"<server>:/<directory>")
    return server, directory


def connect_nfs(data: dict, mounts: Mounts) -> Path:
    if not data.get("name"):
        raise VolumeConnectError("NFS connection info names no volume file")
    return mounts.mount(data.get("export"), data.get("options")) / data["name"]


CONNECTORS = {"nfs": connect_nfs}


def connect_volume(connection_info: dict | None, mounts: Mounts) -> Path:
    """The path of the disk `connection_info` describes, its share mounted. Like Nova, it
    writes that path into the info (`data.device_path`) for the hypervisor."""
    info = connection_info or {}
    kind = info.get("driver_volume_type")
    connect = CONNECTORS.get(kind)
    if connect is None:
        raise VolumeDriverNotFound(f"Could not find a handler for {kind} volume (this "
                                   f"compute host connects: {', '.join(CONNECTORS)}).")
    data = info["data"] = info.get("data") or {}
    path = connect(data, mounts)
    if not path.is_file():  # what qemu would say opening the disk
        raise VolumeConnectError(f"Could not open '{path}': No such file or directory")
    data["device_path"] = str(path)
    return path
