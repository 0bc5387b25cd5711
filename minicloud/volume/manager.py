"""cinder-volume: the service on a storage node that owns its backend (backend.py).

It listens on topic `cinder-volume` as `<node>@file` (Cinder's host@backend), does the work
cinder-api and cinder-scheduler cast to it (create from nothing, an image, a snapshot or
another volume; delete; extend; snapshots) and calls (export a volume to a compute host:
the NFS share that holds it and its file's name, backend.py),
and reports every outcome back to cinder-api over RPC (topic `cinder-volume-reports`): a
storage node never touches the controller's database. It also tells the scheduler, every
`report_interval` seconds and after each change, how much space it has left.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import requests

from minicloud.common import rpc
from minicloud.common.clients import ServiceError
from minicloud.volume.backend import FileBackend
from minicloud.volume.core import REPORTS_TOPIC, SCHEDULER_TOPIC, VOLUME_TOPIC

LOG = logging.getLogger(__name__)
BACKEND_NAME = "file"


class VolumeManager:
    def __init__(self, node: str, backend: FileBackend, transport, tracer=None, images=None):
        self.node, self.backend, self.images, self.tracer = node, backend, images, tracer
        self.server = f"{node}@{BACKEND_NAME}"
        self.host = f"{self.server}#{BACKEND_NAME}"  # what volumes show as their host
        self.service = f"cinder-volume@{node}"  # as traces name it
        self.reports = rpc.RPCClient(transport, REPORTS_TOPIC, service=self.service,
                                     tracer=tracer)
        # Capacity reports travel untraced: every 10 s they would bury the users' requests.
        self.scheduler = rpc.RPCClient(transport, SCHEDULER_TOPIC, service=self.service)

    def _backend(self, operation: str, **attrs):
        """A span for the work on the backend itself (the disk, in `minicloud trace`)."""
        if self.tracer is None:
            return contextlib.nullcontext()
        return self.tracer.span(f"file-backend@{self.node}", operation, **attrs)

    # -- volumes ----------------------------------------------------------------------------
    def create_volume(self, ctx, volume_id: str, size: int, snapshot_id=None, source_volid=None,
                      image_id=None) -> None:
        try:
            with self._backend("create volume", volume=volume_id, size_gb=size):
                changes = self._create(ctx, volume_id, size, snapshot_id, source_volid,
                                       image_id)
        except (ServiceError, requests.RequestException, OSError, ValueError) as exc:
            # Glance refused or is away, the disk failed, the image does not fit
            LOG.warning("%s: creating volume %s failed: %s", self.server, volume_id, exc)
            self._create_failed(ctx, volume_id)
            return
        except Exception:  # noqa: BLE001 - a bug: still `error`, the traceback in the log
            LOG.exception("%s: creating volume %s failed", self.server, volume_id)
            self._create_failed(ctx, volume_id)
            return
        self.reports.cast(ctx, "volume_update", volume_id=volume_id, status="available",
                          host=self.host, **changes)
        self.announce(ctx)

    def _create_failed(self, ctx, volume_id: str) -> None:
        """A half-written file goes; cinder-api shows the volume as `error`."""
        self.backend.delete(volume_id)
        self.reports.cast(ctx, "volume_update", volume_id=volume_id, status="error",
                          host=self.host)

    def _create(self, ctx, volume_id, size, snapshot_id, source_volid, image_id) -> dict:
        if snapshot_id:
            self.backend.create_from_snapshot(volume_id, snapshot_id, size)
            return {}
        if source_volid:
            self.backend.clone(volume_id, source_volid, size)
            return {}
        if image_id:
            image = self.images.get(image_id, token=ctx.auth_token)
            self.backend.create_from_image(volume_id, size,
                                           self.images.download(image_id, ctx.auth_token))
            return {"bootable": 1, "image_metadata": _image_metadata(image)}
        self.backend.create(volume_id, size)
        return {}

    def delete_volume(self, ctx, volume_id: str, snapshot_ids=()) -> None:
        with self._backend("delete volume", volume=volume_id):
            for snapshot_id in snapshot_ids:
                self.backend.delete_snapshot(snapshot_id)
            self.backend.delete(volume_id)
        self.reports.cast(ctx, "volume_deleted", volume_id=volume_id,
                          snapshot_ids=list(snapshot_ids))
        self.announce(ctx)

    def extend_volume(self, ctx, volume_id: str, new_size: int) -> None:
        try:
            self.backend.extend(volume_id, new_size)
        except OSError as exc:
            LOG.warning("%s: extending volume %s failed: %s", self.server, volume_id, exc)
            self.reports.cast(ctx, "volume_update", volume_id=volume_id,
                              status="error_extending")
            return
        self.reports.cast(ctx, "volume_update", volume_id=volume_id, status="available",
                          size=new_size)
        self.announce(ctx)

    # -- snapshots --------------------------------------------------------------------------
    def create_snapshot(self, ctx, snapshot_id: str, volume_id: str, size: int = 0) -> None:
        try:
            with self._backend("copy to snapshot", volume=volume_id, snapshot=snapshot_id):
                self.backend.create_snapshot(snapshot_id, volume_id, size)
            status = "available"
        except OSError as exc:
            LOG.warning("%s: snapshot %s failed: %s", self.server, snapshot_id, exc)
            status = "error"
        self.reports.cast(ctx, "snapshot_update", snapshot_id=snapshot_id, status=status,
                          progress="100%" if status == "available" else "0%")

    def delete_snapshot(self, ctx, snapshot_id: str) -> None:
        self.backend.delete_snapshot(snapshot_id)
        self.reports.cast(ctx, "snapshot_deleted", snapshot_id=snapshot_id)

    # -- attach: export a volume to a compute host ------------------------------------------
    def initialize_connection(self, ctx, volume_id: str, connector: dict) -> dict:
        """The share and file the compute host `connector` names will mount and open. The
        share is exported to every host once, so no per-host export is made here (as in
        Cinder's NFS driver, which takes any connector)."""
        if not self.backend.exists(volume_id):
            raise FileNotFoundError(f"volume {volume_id} is not on {self.server}")
        info = self.backend.connection_info(volume_id)
        LOG.info("%s: volume %s for %s: share %s, file %s", self.server, volume_id,
                 (connector or {}).get("host"), info["data"]["export"], info["data"]["name"])
        return info

    def terminate_connection(self, ctx, volume_id: str, connector: dict) -> None:
        return None  # the share stays exported; a compute host keeps its mount

    # -- capacity reports to the scheduler ---------------------------------------------------
    def announce(self, ctx=None) -> None:
        self.scheduler.fanout(ctx, "update_service_capabilities", host=self.server,
                              capabilities=self.backend.capabilities())


def _image_metadata(image: dict) -> dict:
    """What Cinder copies from the image (`volume_image_metadata`)."""
    keys = ("id", "name", "checksum", "size", "min_disk", "min_ram", "disk_format",
            "container_format")
    return {("image_id" if k == "id" else "image_name" if k == "name" else k): str(image[k])
            for k in keys if image.get(k) is not None}


class VolumeNode:
    """One storage node's cinder-volume: its RPC server and its capacity reports."""

    def __init__(self, manager: VolumeManager, transport, tracer=None,
                 report_interval: float = 10.0, *, workers: int):
        """`workers`: threads serving cinder-volume's RPC (`Config.volume_workers`)."""
        self.manager = manager
        self.rpc = rpc.RPCServer(transport, VOLUME_TOPIC, manager.server, [manager],
                                 service=manager.service, tracer=tracer, workers=workers)
        self.interval = report_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "VolumeNode":
        """Serve RPC and report capacity; again after a stop (the node came back)."""
        self.rpc.start()
        self.manager.announce()
        self._stop.clear()
        self._thread = threading.Thread(target=self._report, daemon=True,
                                        name=f"cinder-volume-{self.manager.node}")
        self._thread.start()
        return self

    def _report(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.manager.announce()
            except (rpc.RPCError, OSError) as exc:
                LOG.warning("%s: could not report capacity: %s", self.manager.server, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.rpc.stop()
