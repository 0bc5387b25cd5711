"""`/servers/{id}/os-volume_attachments`: attach and detach Cinder volumes
(`openstack server add volume vm1 v1`, `server remove volume`, `server volume list`).

Attach: nova-api finds the volume in Cinder with the caller's token, reserves it (Cinder
attachment create, status `reserved`), records the block device mapping with the next
free device name (`/dev/vdb`, `/dev/vdc`, ...) and casts `attach_volume` to the server's
compute host, which hands Cinder its connector, gets the connection info, has the driver
attach the disk and completes the attachment (volume `in-use`). Detach: nova-api begins
detaching (volume `detaching`) and casts `detach_volume`; the host detaches the disk,
deletes the Cinder attachment (volume `available`) and the mapping.
"""

from __future__ import annotations

import string

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json
from minicloud.common.clients import ServiceError
from minicloud.compute.locking import check_unlocked
from minicloud.compute.microversions import at_least
from minicloud.compute.store import new_uuid

UUID = r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"


def _attach(extra: dict) -> dict:
    """The attach body: a volume UUID and a device path like /dev/vdb; `tag` from 2.49,
    `delete_on_termination` from 2.79 (anything else is 400, as in Nova)."""
    return {"type": "object", "required": ["volumeAttachment"], "additionalProperties": False,
            "properties": {"volumeAttachment": {
                "type": "object", "required": ["volumeId"], "additionalProperties": False,
                "properties": {
                    "volumeId": {"type": "string", "pattern": UUID},
                    "device": {"type": ["string", "null"],
                               "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"},
                    **extra}}}}


TAG = {"type": "string", "pattern": "^[^,/]*$", "minLength": 1, "maxLength": 60}
ATTACH = {"2.1": _attach({}), "2.49": _attach({"tag": TAG}),
          "2.79": _attach({"tag": TAG, "delete_on_termination": {"type": "boolean"}})}
ATTACHABLE = ("active", "stopped", "paused", "suspended", "resized", "shelved",
              "shelved_offloaded")


def view(req, bdm: dict, created: bool = False) -> dict:
    """The attachment as the microversion shows it (2.70 tag, 2.79 delete_on_termination,
    2.89 attachment_id and bdm_uuid instead of id; a new attachment keeps `id`)."""
    body = {"serverId": bdm["instance_id"], "volumeId": bdm["volume_id"],
            "device": bdm["device_name"]}
    if created or not at_least(req, "2.89"):
        body["id"] = bdm["volume_id"]
    if at_least(req, "2.70"):
        body["tag"] = bdm["tag"]
    if at_least(req, "2.79"):
        body["delete_on_termination"] = bool(bdm["delete_on_termination"])
    if at_least(req, "2.89") and not created:
        body["attachment_id"], body["bdm_uuid"] = bdm["attachment_id"], bdm["uuid"]
    return body


def next_device(bdms: list[dict], wanted: str | None) -> str:
    used = {b["device_name"] for b in bdms} | {"/dev/vda"}  # vda is the root disk
    if wanted:
        if wanted in used:
            raise errors.BadRequest(f"The supplied device path ({wanted}) is in use.")
        return wanted
    for letter in string.ascii_lowercase[1:]:
        if f"/dev/vd{letter}" not in used:
            return f"/dev/vd{letter}"
    raise errors.BadRequest("No free disk device names for prefix 'vd'")


def _cinder_error(exc: ServiceError) -> errors.ApiError:
    if exc.status == 404:
        return errors.NotFound(str(exc))
    if exc.status in (400, 409):
        return errors.BadRequest(str(exc))
    return errors.ApiError(f"Cinder failed: {exc}")


class VolumeAttachments:
    def __init__(self, api):
        self.api = api

    def on_get(self, req, resp, server_id):
        instance = self.api.instance(req, server_id)
        resp.media = {"volumeAttachments": [view(req, b) for b in
                                            self.api.store.bdms(instance["id"])]}

    def on_post(self, req, resp, server_id):
        api, ctx = self.api, req.context.ctx
        schema = ATTACH[[v for v in ATTACH if at_least(req, v)][-1]]
        spec = read_json(req, schema)["volumeAttachment"]
        instance = api.instance(req, server_id)
        check_unlocked(ctx, instance)
        if instance["vm_state"] not in ATTACHABLE or instance["task_state"] is not None:
            raise errors.Conflict(f"Cannot 'attach_volume' instance {server_id} while it is "
                                  f"in vm_state {instance['vm_state']}")
        volume_id = spec["volumeId"]
        try:
            api.volumes.get(volume_id, token=ctx.auth_token)
        except ServiceError as exc:
            raise _cinder_error(exc) from None
        if api.store.bdm(server_id, volume_id):
            raise errors.BadRequest(f"Invalid volume: volume {volume_id} already attached to "
                                    f"server {server_id}")
        try:
            attachment = api.volumes.attachment_create(volume_id, server_id)
        except ServiceError as exc:
            raise _cinder_error(exc) from None
        try:
            with api.store.transaction():
                bdm = api.store.add_bdm({
                    "uuid": new_uuid(), "instance_id": server_id, "volume_id": volume_id,
                    "attachment_id": attachment["id"],
                    "device_name": next_device(api.store.bdms(server_id), spec.get("device")),
                    "tag": spec.get("tag"),
                    "delete_on_termination": int(bool(spec.get("delete_on_termination")))})
        except Exception:
            api.volumes.attachment_delete(attachment["id"])
            raise
        api.store.start_action(ctx, server_id, "attach_volume")
        if instance["host"]:  # shelved offloaded: its host connects it at unshelve
            api.cast_to_host(ctx, instance, "attach_volume", bdm=bdm)
        resp.media = {"volumeAttachment": view(req, bdm, created=True)}


class VolumeAttachment:
    def __init__(self, api):
        self.api = api

    def _bdm(self, req, server_id, volume_id) -> tuple[dict, dict]:
        instance = self.api.instance(req, server_id)
        bdm = self.api.store.bdm(server_id, volume_id)
        if bdm is None:
            raise errors.NotFound(f"Volume {volume_id} is not attached to server {server_id}; "
                                  f"no volume attachment could be found.")
        return instance, bdm

    def on_get(self, req, resp, server_id, volume_id):
        resp.media = {"volumeAttachment": view(req, self._bdm(req, server_id, volume_id)[1])}

    def on_delete(self, req, resp, server_id, volume_id):
        api, ctx = self.api, req.context.ctx
        instance, bdm = self._bdm(req, server_id, volume_id)
        check_unlocked(ctx, instance)
        if instance["vm_state"] not in ATTACHABLE or instance["task_state"] is not None:
            raise errors.Conflict(f"Cannot 'detach_volume' instance {server_id} while it is "
                                  f"in vm_state {instance['vm_state']}")
        if not instance["host"]:  # shelved offloaded: connected nowhere, nova-api lets go
            api.store.start_action(ctx, server_id, "detach_volume")
            api.volumes.attachment_delete(bdm["attachment_id"])
            api.store.delete_bdm(bdm["uuid"])
            resp.status = falcon.HTTP_202
            return
        try:
            api.volumes.begin_detaching(volume_id)
        except ServiceError as exc:
            raise _cinder_error(exc) from None
        api.store.start_action(ctx, server_id, "detach_volume")
        api.cast_to_host(ctx, instance, "detach_volume", bdm=bdm)
        resp.status = falcon.HTTP_202
