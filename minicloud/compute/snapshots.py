"""The `createImage` action: `openstack server image create --name snap vm1`.

As in Nova, nova-api creates the image record in Glance with the CALLER's token (so the
snapshot belongs to the caller's project; status `queued`), sets the task state
`image_snapshot_pending` and casts `snapshot_instance` to the server's host; the host asks
its driver for the disk (`image_pending_upload`), uploads it to Glance over REST
(`image_uploading`, the image becomes `active`) and clears the task. The new image is
bootable like any other: `openstack server create --image snap ...`.

Shelve (shelve.py) takes its snapshot the same way, with `create_image` below. A
volume-backed server is snapshotted in Cinder instead (`snapshot_volume_backed`).
"""

from __future__ import annotations

import json

from minicloud.common import errors
from minicloud.common.validation import validate
from minicloud.common.clients import ServiceError
from minicloud.compute.microversions import at_least
from minicloud.compute.states import check_state

CREATE_IMAGE = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "metadata": {"type": "object", "additionalProperties": {"type": "string",
                                                            "maxLength": 255}}},
    "additionalProperties": False}
SNAPSHOTTABLE = ("active", "stopped", "paused", "suspended")
# Properties of the base image a snapshot must not inherit (Nova's non_inheritable list).
NOT_INHERITED = {"id", "name", "status", "owner", "visibility", "protected", "checksum",
                 "os_hash_algo", "os_hash_value", "size", "virtual_size", "created_at",
                 "updated_at", "file", "self", "schema", "tags", "locations",
                 "direct_url", "os_hidden", "image_type", "instance_uuid", "base_image_ref",
                 "image_location", "stores", "os_glance_importing_to_stores",
                 "os_glance_failed_import", "min_disk", "min_ram", "disk_format",
                 "container_format", "user_id", "owner_specified.openstack.md5",
                 "owner_specified.openstack.sha256", "owner_specified.openstack.object"}


def create_image(api, ctx, instance: dict, name: str, metadata: dict | None = None) -> dict:
    """The snapshot's Glance record (queued), made with the caller's token."""
    base = {}
    if instance["image_ref"]:
        try:
            base = api.images.get(instance["image_ref"], token=ctx.auth_token)
        except ServiceError:
            base = {}  # the base image is gone: the snapshot still works
    inherited = {k: v for k, v in base.items() if k not in NOT_INHERITED and
                 isinstance(v, str)}
    fields = {**inherited, "name": name, "visibility": "private",
              "disk_format": base.get("disk_format") or "qcow2",
              "container_format": base.get("container_format") or "bare",
              "min_disk": max(instance["flavor"]["disk"] if instance["image_ref"] else 0,
                              base.get("min_disk") or 0),
              "min_ram": base.get("min_ram") or 0, "image_type": "snapshot",
              "instance_uuid": instance["id"], "user_id": ctx.user_id,
              "base_image_ref": instance["image_ref"] or "", "image_location": "snapshot",
              **(metadata or {})}
    try:
        return api.images.create(token=ctx.auth_token, **fields)
    except ServiceError as exc:
        if exc.status in (400, 403, 413):
            raise errors.BadRequest(f"Glance refused the snapshot image: {exc}") from None
        raise errors.ApiError(f"Glance answered {exc.status}: {exc}") from None


def snapshot_volume_backed(api, ctx, instance: dict, name: str, metadata) -> dict:
    """Nova's snapshot of a volume-backed server, all in nova-api: a Cinder snapshot of each
    volume (caller's token, `force`: they are in use), then an image with no bytes whose
    `block_device_mapping` points at them; booting it makes volumes from the snapshots."""
    mappings = []
    for bdm in api.store.bdms(instance["id"]):
        try:
            snap = api.volumes.snapshot_create(bdm["volume_id"], f"snapshot for {name}",
                                               token=ctx.auth_token)
        except ServiceError as exc:
            raise errors.BadRequest(f"Cinder refused the snapshot of volume "
                                    f"{bdm['volume_id']}: {exc}") from None
        root = bdm["device_name"] == "/dev/vda"
        mappings.append({"source_type": "snapshot", "destination_type": "volume",
                         "snapshot_id": snap["id"], "volume_size": snap.get("size"),
                         "device_name": bdm["device_name"], "boot_index": 0 if root else None,
                         "delete_on_termination": bool(bdm["delete_on_termination"]),
                         "tag": bdm["tag"], "volume_id": None, "disk_bus": None,
                         "device_type": None, "guest_format": None, "no_device": None})
    properties = {"bdm_v2": "True", "root_device_name": "/dev/vda",
                  "block_device_mapping": json.dumps(mappings)}
    image = create_image(api, ctx, instance, name, {**(metadata or {}), **properties})
    try:
        api.images.upload(image["id"], b"")  # Nova activates it with no data
    except ServiceError as exc:
        raise errors.ApiError(f"Glance answered {exc.status}: {exc}") from None
    return image


class SnapshotAction:
    """The `createImage` action of ServerAction (server_actions.py)."""

    def do_createImage(self, req, resp, instance, action, args):
        api, ctx = self.api, req.context.ctx
        args = validate(req.context.action_args, CREATE_IMAGE)
        check_state(instance, "createImage", SNAPSHOTTABLE)
        self._need_host(instance, "createImage")
        if instance["image_ref"]:
            image = create_image(api, ctx, instance, args["name"], args.get("metadata"))
            instance = self._start(req, instance, action, "image_snapshot_pending")
            api.cast_to_host(ctx, instance, "snapshot_instance", image_id=image["id"])
        else:
            self._start(req, instance, action)
            image = snapshot_volume_backed(api, ctx, instance, args["name"],
                                           args.get("metadata"))
        if at_least(req, "2.45"):
            resp.media = {"image_id": image["id"]}
        else:
            resp.set_header("Location", api.images.url_of(image["id"]))
