"""The `rebuild` action: `openstack server rebuild --image IMAGE vm1`.

nova-api checks the new image in Glance with the caller's token (as at create), saves what
the request changes (image, name, metadata, description, key pair, user data, access
addresses), sets the task state `rebuilding` (status REBUILD) and casts `rebuild_instance`
to the server's host, which tears the guest down and spawns it again from the new image
(task states `rebuild_block_device_mapping`, `rebuild_spawning`). The 202 carries the
server with its new admin password: before 2.75 a smaller body than `server show`.
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.common.validation import validate
from minicloud.compute import views
from minicloud.compute.microversions import at_least
from minicloud.compute.schemas import NAME, NULLABLE_STR
from minicloud.compute.servers import check_access_ips, check_image, check_key
from minicloud.compute.states import check_state
from minicloud.compute.store import new_uuid

REBUILD = {"type": "object", "required": ["imageRef"], "properties": {
    "imageRef": {"type": "string", "minLength": 1}, "name": NAME,
    "adminPass": {"type": "string"},
    "metadata": {"type": "object", "additionalProperties": {"type": "string",
                                                            "maxLength": 255}},
    "accessIPv4": NULLABLE_STR, "accessIPv6": NULLABLE_STR,
    "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
    "preserve_ephemeral": {"type": "boolean"}, "personality": {"type": "array"},
    "description": {"type": ["string", "null"], "maxLength": 255},
    "key_name": NULLABLE_STR, "user_data": NULLABLE_STR,
    "trusted_image_certificates": {"type": ["array", "null"]},
    "hostname": {"type": "string"}}, "additionalProperties": False}
# Keys a microversion added (before it, Nova's schema refuses them) or removed (from it).
ADDED_IN = {"description": "2.19", "key_name": "2.54", "user_data": "2.57",
            "trusted_image_certificates": "2.63", "hostname": "2.90"}
REMOVED_IN = {"personality": "2.57"}
REBUILDABLE = ("active", "stopped", "error")


def check_args(req, args) -> dict:
    if not isinstance(args, dict):
        raise errors.BadRequest("Invalid input for field 'rebuild': it must be an object")
    for key, version in ADDED_IN.items():
        if key in args and not at_least(req, version):
            raise errors.BadRequest(f"Invalid input for field/attribute rebuild. Additional "
                                    f"properties are not allowed ('{key}' was unexpected)")
    for key, version in REMOVED_IN.items():
        if key in args and at_least(req, version):
            raise errors.BadRequest(f"Invalid input for field/attribute rebuild. Additional "
                                    f"properties are not allowed ('{key}' was unexpected)")
    validate(args, REBUILD)
    return args


def view(req, api, instance: dict, password: str) -> dict:
    """The 202's body: `server show` from 2.75, Nova's smaller rebuild view before (the
    one PUT /servers/{id} answers, plus key_name from 2.54 and user_data from 2.57)."""
    full = at_least(req, "2.75")
    body = views.server(req, instance, req.context.ctx, full=full, server_groups=True,
                        host_status=api.host_status(instance))
    if not full and at_least(req, "2.54"):
        body["key_name"] = instance["key_name"]
    if not full and at_least(req, "2.57"):
        body["user_data"] = instance["user_data"]
    body["adminPass"] = password
    return body


class RebuildAction:
    """The `rebuild` action of ServerAction (server_actions.py)."""

    def do_rebuild(self, req, resp, instance, action, args):
        api, ctx = self.api, req.context.ctx
        args = check_args(req, req.context.action_args)
        check_state(instance, "rebuild", REBUILDABLE)
        self._need_host(instance, "rebuild")
        ref = args["imageRef"].rstrip("/").rsplit("/", 1)[-1]
        if not instance["image_ref"] and ref != instance["system_metadata"].get("image_id"):
            raise errors.BadRequest(f"Unable to rebuild with a different image for a "
                                    f"volume-backed server {instance['id']}.")
        image = check_image(api, ctx, ref, instance["flavor"])
        updates = {"image_ref": ref if instance["image_ref"] else "",
                   **{k: args[k] for k in ("name", "metadata", "description", "user_data")
                      if k in args}}
        if "key_name" in args:
            key = check_key(api, ctx, args["key_name"])
            updates.update(key_name=key and key["name"], key_data=key and key["public_key"])
        updates.update(check_access_ips(args))
        instance = self._start(req, instance, action, "rebuilding", **updates)
        api.cast_to_host(ctx, instance, "rebuild_instance", image=image)
        resp.media = {"server": view(req, api, instance,
                                     args.get("adminPass") or new_uuid().replace("-", "")[:12])}
