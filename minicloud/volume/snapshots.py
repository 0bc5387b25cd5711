"""`/v3/{project_id}/snapshots`: point-in-time copies of a volume
(`openstack volume snapshot create --volume v1 s1`, list, show, set, delete).

cinder-api records the snapshot `creating` and casts to the cinder-volume of the volume's
storage node, which copies the volume's file and reports `available`. A volume with
snapshots cannot be deleted (400) unless `--purge` (cascade) is given.
"""

from __future__ import annotations

import falcon

from minicloud.common.validation import read_json
from minicloud.volume import schemas, views
from minicloud.volume.core import Cinder, invalid
from minicloud.volume.store import SNAPSHOT_FILTERS, new_id, stamp
from minicloud.volume.volumes import all_tenants, page, with_count


def create(cinder: Cinder, ctx, spec: dict) -> dict:
    force = str(spec.get("force") or "false").lower() in ("true", "1", "yes")
    with cinder.store.transaction():
        volume = cinder.volume(ctx, spec["volume_id"])
        allowed = ("available", "in-use") if force else ("available",)
        if volume["status"] not in allowed:
            raise invalid("volume", f"Volume {volume['id']} status must be available, but "
                                    f"current status is: {volume['status']}.")
        cinder.check_quota(volume["project_id"], "snapshots", volume["size"])
        row = {"id": new_id(), "name": spec.get("name") or spec.get("display_name"),
               "description": spec.get("description"), "project_id": volume["project_id"],
               "user_id": ctx.user_id, "volume_id": volume["id"], "size": volume["size"],
               "status": "creating", "progress": "0%", "host": volume["host"],
               "metadata": spec.get("metadata") or {}, "created_at": stamp(cinder.clock()),
               "updated_at": None}
        cinder.store.insert_snapshot(row)
    if cinder.volume_rpc is not None:
        cinder.volume_host(volume["host"]).cast(ctx, "create_snapshot", snapshot_id=row["id"],
                                                volume_id=volume["id"], size=row["size"])
    return row


def delete(cinder: Cinder, ctx, snapshot_id: str) -> None:
    with cinder.store.transaction():
        row = cinder.snapshot(ctx, snapshot_id)
        if not cinder.store.move_snapshot(snapshot_id, ("available", "error"), "deleting"):
            raise invalid("snapshot", "Snapshot status must be available or error and no "
                                      "volume can be currently being created from it.")
    if cinder.volume_rpc is None or row["host"] is None:
        cinder.store.delete_snapshot(snapshot_id)
        return
    cinder.volume_host(row["host"]).cast(ctx, "delete_snapshot", snapshot_id=snapshot_id)


class Snapshots:
    def __init__(self, cinder: Cinder, detail: bool = False):
        self.cinder, self.detail = cinder, detail

    def on_get(self, req, resp):
        project = None if all_tenants(req) else req.context.ctx.project_id
        filters = {name: req.get_param(name) for name in SNAPSHOT_FILTERS
                   if req.get_param(name) is not None}
        rows = self.cinder.store.snapshots(project, **filters)
        total = len(rows)
        rows, links = page(req, rows, "/snapshots/detail" if self.detail else "/snapshots")
        if self.detail:
            body = {"snapshots": [views.snapshot(req, r) for r in rows]}
        else:
            body = {"snapshots": [views.snapshot_summary(r) for r in rows]}
        if links:
            body["snapshots_links"] = links
        if with_count(req):
            body["count"] = total
        resp.media = body

    def on_post(self, req, resp):
        spec = read_json(req, schemas.SNAPSHOT_CREATE)["snapshot"]
        row = create(self.cinder, req.context.ctx, spec)
        resp.status = falcon.HTTP_202
        resp.media = {"snapshot": views.snapshot(req, row, extended=False)}


class Snapshot:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def _find(self, req, snapshot_id):
        return self.cinder.snapshot(req.context.ctx, snapshot_id)

    def on_get(self, req, resp, snapshot_id):
        resp.media = {"snapshot": views.snapshot(req, self._find(req, snapshot_id))}

    def on_put(self, req, resp, snapshot_id):
        spec = read_json(req, schemas.SNAPSHOT_UPDATE)["snapshot"]
        self._find(req, snapshot_id)
        changes = {}
        for key, column in (("name", "name"), ("display_name", "name"),
                            ("description", "description")):
            if key in spec:
                changes[column] = spec[key]
        if changes:
            self.cinder.store.update_snapshot(snapshot_id, changes)
        resp.media = {"snapshot": views.snapshot(req, self._find(req, snapshot_id),
                                                 extended=False)}

    def on_delete(self, req, resp, snapshot_id):
        delete(self.cinder, req.context.ctx, snapshot_id)
        resp.status = falcon.HTTP_202
