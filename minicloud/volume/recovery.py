"""What Cinder does with work a crash cut short, when it starts again (cinder-volume's
init_host in real Cinder). A volume whose create had been accepted (202) is created again
from its record: its file is written from the start, so a half-written one does not
matter (real Cinder sets such a volume to `error`; the learner was told "accepted", so
minicloud finishes the job). A delete under way is sent to the storage node again
(deleting a file that is already gone is fine). A snapshot that was being made becomes
`error`, an attach that never completed goes back to `available`, a detach to `in-use`,
an extend to `error_extending`. Nothing half-made stays looking busy for ever.
"""

from __future__ import annotations

import logging

from minicloud.common.context import RequestContext
from minicloud.volume import volumes
from minicloud.volume.core import Cinder

LOG = logging.getLogger(__name__)

# status at the crash -> status after the restart (None: decided by its attachments)
VOLUME_AFTER = {"downloading": "creating", "extending": "error_extending",
                "reserved": None, "attaching": None, "detaching": None}
SNAPSHOT_AFTER = {"creating": "error"}
REDONE = ("creating", "deleting")  # sent to the storage node again


def settle_interrupted(cinder: Cinder) -> list[dict]:
    """Give every volume and snapshot a status somebody can act on; return the creates and
    deletes to send again once the storage nodes run."""
    store = cinder.store
    with store.transaction():
        for volume in store.volumes_in_status(VOLUME_AFTER):
            after = VOLUME_AFTER[volume["status"]] or _attach_status(cinder, volume["id"])
            store.update_volume(volume["id"], {"status": after})
            LOG.warning("volume %s was %s when Cinder stopped: now %s", volume["id"],
                        volume["status"], after)
        for snap in store.snapshots_in_status(SNAPSHOT_AFTER):
            store.update_snapshot(snap["id"], {"status": SNAPSHOT_AFTER[snap["status"]]})
        return ([{"kind": "volumes", **row} for row in store.volumes_in_status(REDONE)] +
                [{"kind": "snapshots", **row} for row in store.snapshots_in_status(REDONE)])


def redo(cinder: Cinder, interrupted: list[dict]) -> None:
    """Send the creates and deletes the crash interrupted again (storage nodes are up)."""
    ctx = RequestContext(user_name="cinder", roles=["admin"])
    for row in interrupted:
        if row["kind"] == "volumes" and row["status"] == "creating":
            volumes.schedule(cinder, ctx, row)
        elif row["host"] is None:  # never reached a storage node: nothing to remove there
            _forget(cinder, row)
        elif row["kind"] == "volumes":
            snapshot_ids = [s["id"] for s in cinder.store.snapshots_of_volume(row["id"])]
            cinder.volume_host(row["host"]).cast(ctx, "delete_volume", volume_id=row["id"],
                                                 snapshot_ids=snapshot_ids)
        else:
            cinder.volume_host(row["host"]).cast(ctx, "delete_snapshot", snapshot_id=row["id"])


def _forget(cinder: Cinder, row: dict) -> None:
    if row["kind"] == "volumes":
        cinder.store.delete_volume(row["id"])
    else:
        cinder.store.delete_snapshot(row["id"])


def _attach_status(cinder: Cinder, volume_id: str) -> str:
    attached = any(a["attach_status"] == "attached"
                   for a in cinder.store.attachments_of_volume(volume_id))
    return "in-use" if attached else "available"
