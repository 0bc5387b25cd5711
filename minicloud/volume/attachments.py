"""`/v3/{project_id}/attachments` (microversion 3.27+): how Nova attaches a volume.

    POST   /attachments {volume_id, instance_uuid}     reserve: volume `reserved`
    PUT    /attachments/{id} {connector}               cinder-volume exports the volume and
                                                       answers its connection info: `attaching`
    POST   /attachments/{id}/action {"os-complete"}    the guest sees it: `in-use`
    DELETE /attachments/{id}                           `detaching`, unexported, `available`

nova-compute calls these with its service token and the caller's context; the connection
info is that of Cinder's NFS driver: the storage node's share and the volume's file on it.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, rpc
from minicloud.common.validation import read_json
from minicloud.volume import microversions, schemas, views
from minicloud.volume.core import Cinder, invalid
from minicloud.volume.store import new_id, stamp
from minicloud.volume.volumes import all_tenants

NEEDS = microversions.require("3.27")
# query parameter -> the column it filters on
FILTERS = {"volume_id": "volume_id", "instance_id": "instance_uuid", "status": "attach_status"}


def create(cinder: Cinder, ctx, volume_id: str, instance_uuid: str | None,
           connector: dict | None = None, mode: str | None = None) -> dict:
    with cinder.store.transaction():
        volume = cinder.volume(ctx, volume_id)
        if not cinder.store.move_volume(volume_id, ("available",), "reserved"):
            raise invalid("volume", f"Volume {volume_id} status must be available or "
                                    f"downloading to reserve, but the current status is "
                                    f"{volume['status']}.")
        row = cinder.store.insert_attachment({
            "id": new_id(), "volume_id": volume_id, "project_id": volume["project_id"],
            "instance_uuid": instance_uuid, "attached_host": None, "mountpoint": None,
            "attach_status": "reserved", "attach_mode": mode or "rw", "connector": {},
            "connection_info": {}, "attach_time": None, "detach_time": None,
            "created_at": stamp(cinder.clock())})
    if connector:
        row = update(cinder, ctx, row["id"], connector)
    return row


def update(cinder: Cinder, ctx, attachment_id: str, connector: dict) -> dict:
    """Export the volume to the connector's host (cinder-volume, RPC call)."""
    row = cinder.attachment(ctx, attachment_id)
    volume = cinder.store.volume(row["volume_id"])
    if not cinder.store.move_volume(volume["id"], ("reserved", "attaching"), "attaching"):
        raise invalid("volume", f"Volume {volume['id']} status must be reserved to attach, "
                                f"but the current status is {volume['status']}.")
    try:
        info = cinder.volume_host(volume["host"]).call(
            ctx, "initialize_connection", volume_id=volume["id"], connector=connector)
    except rpc.RPCError as exc:
        cinder.store.move_volume(volume["id"], ("attaching",), "reserved")
        raise errors.ApiError(f"Unable to create the attachment: the storage node "
                              f"{volume['host']} did not export the volume: {exc}") from None
    cinder.store.update_attachment(attachment_id, {
        "connector": connector, "connection_info": info, "attach_status": "attaching",
        "attached_host": connector.get("host"), "mountpoint": connector.get("mountpoint")})
    return cinder.store.attachment(attachment_id)


def complete(cinder: Cinder, ctx, attachment_id: str) -> None:
    with cinder.store.transaction():
        row = cinder.attachment(ctx, attachment_id)
        if not cinder.store.move_attachment(attachment_id, ("attaching",), "attached",
                                            attach_time=stamp(cinder.clock())):
            raise invalid("attachment", f"Attachment {attachment_id} is {row['attach_status']}"
                                        f": only an attachment with a connector completes.")
        cinder.store.move_volume(row["volume_id"], ("attaching",), "in-use",
                                 attach_status="attached")


def delete(cinder: Cinder, ctx, attachment_id: str) -> None:
    row = cinder.attachment(ctx, attachment_id)
    volume = cinder.store.volume(row["volume_id"])
    cinder.store.update_volume(volume["id"], {"status": "detaching"})
    if row["connection_info"]:
        try:
            cinder.volume_host(volume["host"]).call(
                ctx, "terminate_connection", volume_id=volume["id"], connector=row["connector"])
        except rpc.RPCError:
            pass  # the export is gone with the node; the attachment still goes
    with cinder.store.transaction():
        cinder.store.delete_attachment(attachment_id)
        if not cinder.store.attachments_of_volume(volume["id"]):
            cinder.store.update_volume(volume["id"], {"status": "available",
                                                      "attach_status": "detached"})


class Attachments:
    def __init__(self, cinder: Cinder, detail: bool = False):
        self.cinder, self.detail = cinder, detail

    @falcon.before(NEEDS)
    def on_get(self, req, resp):
        project = None if all_tenants(req) else req.context.ctx.project_id
        filters = {column: req.get_param(name) for name, column in FILTERS.items()
                   if req.get_param(name)}
        rows = self.cinder.store.attachments(project, **filters)
        view = views.attachment if self.detail else views.attachment_summary
        resp.media = {"attachments": [view(r) for r in rows]}

    @falcon.before(NEEDS)
    def on_post(self, req, resp):
        spec = read_json(req, schemas.ATTACHMENT_CREATE)["attachment"]
        row = create(self.cinder, req.context.ctx, spec["volume_id"], spec.get("instance_uuid"),
                     spec.get("connector"), spec.get("mode"))
        resp.media = {"attachment": views.attachment(row)}


class Attachment:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(NEEDS)
    def on_get(self, req, resp, attachment_id):
        resp.media = {"attachment": views.attachment(self.cinder.attachment(req.context.ctx,
                                                                            attachment_id))}

    @falcon.before(NEEDS)
    def on_put(self, req, resp, attachment_id):
        connector = read_json(req, schemas.ATTACHMENT_UPDATE)["attachment"]["connector"]
        row = update(self.cinder, req.context.ctx, attachment_id, connector)
        resp.media = {"attachment": views.attachment(row)}

    @falcon.before(NEEDS)
    def on_delete(self, req, resp, attachment_id):
        row = self.cinder.attachment(req.context.ctx, attachment_id)
        delete(self.cinder, req.context.ctx, attachment_id)
        left = self.cinder.store.attachments(None, volume_id=row["volume_id"])
        resp.media = {"attachments": [views.attachment_summary(r) for r in left]}


class AttachmentAction:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(microversions.require("3.44"))
    def on_post(self, req, resp, attachment_id):
        body = read_json(req, schemas.VOLUME_ACTION)
        if "os-complete" not in body:
            raise errors.BadRequest(f"There is no such action: {next(iter(body))}")
        complete(self.cinder, req.context.ctx, attachment_id)
        resp.status = falcon.HTTP_204

