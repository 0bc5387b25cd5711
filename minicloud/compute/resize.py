"""The `resize` action: `openstack server resize --flavor m1.small vm1`, then `server
resize confirm` or `server resize revert` (confirmResize and revertResize are in
server_actions.py, shared with cold migration).

A resize is a cold migration with a new flavor: nova-api checks the flavor and the
project's quota for the growth, sets `resize_prep` (status RESIZE) and casts
`migrate_server` with the flavor to the conductor, which asks the scheduler for a host
that fits the NEW flavor (not the current one: Nova's default
`allow_resize_to_same_host = False`) and claims it there. The source host hands the guest
over; the destination runs it with the new flavor and the server waits in VERIFY_RESIZE,
holding both claims, until the user confirms (the source's claim goes) or reverts (the old
flavor comes back on the source host).
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.common.validation import validate
from minicloud.compute.states import check_state

RESIZE = {"type": "object", "required": ["flavorRef"], "properties": {
    "flavorRef": {"type": ["string", "integer"], "minLength": 1},
    "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}}, "additionalProperties": False}


def check_flavor(api, instance: dict, ref) -> dict:
    flavor_id = str(ref).rstrip("/").rsplit("/", 1)[-1]
    flavor = api.store.flavor(flavor_id)
    if flavor is None or flavor["disabled"]:
        raise errors.BadRequest(f"Flavor {flavor_id} could not be found.")
    current = instance["flavor"]
    if flavor["id"] == current["id"]:
        raise errors.BadRequest("When resizing, instances must change flavor!")
    volume_backed = not instance["image_ref"]
    if not volume_backed and flavor["disk"] < current["disk"]:
        # Nova's libvirt driver fails such a resize on the host; here the API says it.
        raise errors.BadRequest(f"Unable to resize disk down: flavor {flavor['name']} has a "
                                f"{flavor['disk']} GB root disk, the server has "
                                f"{current['disk']} GB.")
    return flavor


def check_upsize_quota(api, instance: dict, flavor: dict) -> None:
    """Only growth counts (Nova's `_check_quota_for_upsize`)."""
    project = instance["project_id"]
    limits, used = api.quotas(project), api.store.usage(project)
    for resource, key in (("cores", "vcpus"), ("ram", "ram")):
        delta = flavor[key] - instance["flavor"][key]
        limit = limits[resource]
        if delta > 0 and limit >= 0 and used[resource] + delta > limit:
            raise errors.Forbidden(
                f"Quota exceeded for {resource}: Requested {delta}, but already used "
                f"{used[resource]} of {limit} {resource}", kind="forbidden")


class ResizeAction:
    """The `resize` action of ServerAction (server_actions.py)."""

    def do_resize(self, req, resp, instance, action, args):
        args = validate(req.context.action_args, RESIZE)
        check_state(instance, "resize", ("active", "stopped"))
        self._need_host(instance, "resize")
        flavor = check_flavor(self.api, instance, args["flavorRef"])
        with self.api.store.transaction():  # quota check and claim in one
            check_upsize_quota(self.api, instance, flavor)
            instance = self._start(req, instance, action, "resize_prep")
        self.api.conductor.cast(req.context.ctx, "migrate_server", instance_id=instance["id"],
                                host=None, live=False, flavor=flavor)
