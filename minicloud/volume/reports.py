"""What cinder-volume and cinder-scheduler report to cinder-api (topic
`cinder-volume-reports`): the outcome of the work they were cast. cinder-api alone writes
`volume.db`, so a storage node never touches the controller's database; in real Cinder the
volume service writes the database itself.
"""

from __future__ import annotations

import logging

from minicloud.common import rpc
from minicloud.topology import CONTROLLER
from minicloud.volume.core import REPORTS_TOPIC, Cinder

LOG = logging.getLogger(__name__)
VOLUME_FIELDS = ("status", "host", "bootable", "image_metadata", "size")


class VolumeReports:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def volume_update(self, ctx, volume_id: str, status: str, reason: str | None = None,
                      **changes) -> None:
        if reason:
            LOG.warning("volume %s: %s: %s", volume_id, status, reason)
        fields = {k: v for k, v in {"status": status, **changes}.items() if k in VOLUME_FIELDS}
        with self.cinder.store.transaction():
            if self.cinder.store.volume(volume_id) is not None:
                self.cinder.store.update_volume(volume_id, fields)

    def volume_deleted(self, ctx, volume_id: str, snapshot_ids=()) -> None:
        with self.cinder.store.transaction():
            for snapshot_id in snapshot_ids:
                self.cinder.store.delete_snapshot(snapshot_id)
            self.cinder.store.delete_volume(volume_id)

    def snapshot_update(self, ctx, snapshot_id: str, status: str, progress: str = "0%") -> None:
        with self.cinder.store.transaction():
            if self.cinder.store.snapshot(snapshot_id) is not None:
                self.cinder.store.update_snapshot(snapshot_id,
                                                  {"status": status, "progress": progress})

    def snapshot_deleted(self, ctx, snapshot_id: str) -> None:
        self.cinder.store.delete_snapshot(snapshot_id)


def start_reports(cinder: Cinder, transport, tracer=None) -> rpc.RPCServer:
    """cinder-api's endpoint for the reports, with `Config.volume_workers` threads."""
    return rpc.RPCServer(transport, REPORTS_TOPIC, CONTROLLER, [VolumeReports(cinder)],
                         service="cinder-api", tracer=tracer,
                         workers=cinder.config.volume_workers).start()
