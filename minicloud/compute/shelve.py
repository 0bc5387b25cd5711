"""The `shelve`, `shelveOffload` and `unshelve` actions: `openstack server shelve vm1`,
`server shelve --offload`, `server unshelve vm1`.

Shelve: nova-api creates a snapshot image `<name>-shelved` in Glance (caller's token, as
createImage does; none for a volume-backed server), sets `shelving` and casts
`shelve_instance` to the host, which powers the guest off, uploads the snapshot (status
SHELVED) and, with `shelved_offload_time = 0` (Nova's default), offloads at once: the
guest leaves the hypervisor, its ports lose their host binding and the conductor frees
the host's resources (status SHELVED_OFFLOADED, no host). The ports and addresses stay.
Unshelve goes to the conductor: it schedules the server again (any host that fits), the
chosen host spawns it from the shelved image, which is then deleted from Glance.
"""

from __future__ import annotations

from minicloud.common import errors, policy
from minicloud.common.validation import validate
from minicloud.common.clients import ServiceError
from minicloud.compute.microversions import at_least
from minicloud.compute.snapshots import create_image
from minicloud.compute.states import check_state

SHELVABLE = ("active", "stopped", "paused", "suspended")
UNSHELVE_277 = {"type": ["object", "null"], "properties": {
    "availability_zone": {"type": ["string", "null"]}, "host": {"type": "string"}},
    "additionalProperties": False}


def unshelve_args(req, instance: dict) -> dict:
    """2.77 lets an offloaded server pick a zone, 2.91 a host (admin) or a zone `null`."""
    raw = req.context.action_args
    if not at_least(req, "2.77") or raw is None:
        return {}
    args = validate(raw, UNSHELVE_277)
    if not at_least(req, "2.91"):
        if "host" in args or ("availability_zone" in args and args["availability_zone"] is None):
            raise errors.BadRequest("Invalid input for field/attribute unshelve. Additional "
                                    "properties are not allowed ('host' was unexpected)")
    if "host" in args:
        policy.enforce(req.context.ctx, "admin")
    if args and instance["vm_state"] != "shelved_offloaded":
        raise errors.Conflict(f"The unshelve action on instance {instance['id']} with an "
                              f"availability zone or host needs a SHELVED_OFFLOADED server.")
    zone = args.get("availability_zone")
    if zone and zone != "nova":
        raise errors.BadRequest(f"The requested availability zone is not available: {zone}")
    return args


class ShelveActions:
    """The shelve actions of ServerAction (server_actions.py)."""

    def do_shelve(self, req, resp, instance, action, args):
        api, ctx = self.api, req.context.ctx
        check_state(instance, "shelve", SHELVABLE)
        self._need_host(instance, "shelve")
        image_id = None
        if instance["image_ref"]:  # a volume-backed server keeps its disk in Cinder
            image_id = create_image(api, ctx, instance, f"{instance['name']}-shelved")["id"]
        instance = self._start(req, instance, action, "shelving")
        api.cast_to_host(ctx, instance, "shelve_instance", image_id=image_id,
                         offload=api.config.shelved_offload_time == 0)

    def do_shelveOffload(self, req, resp, instance, action, args):
        policy.enforce(req.context.ctx, "admin")
        check_state(instance, "shelveOffload", ("shelved",))
        instance = self._start(req, instance, action, "shelving_offloading")
        self.api.cast_to_host(req.context.ctx, instance, "shelve_offload_instance")

    def do_unshelve(self, req, resp, instance, action, args):
        check_state(instance, "unshelve", ("shelved", "shelved_offloaded"))
        args = unshelve_args(req, instance)
        host = self._dest(args.get("host"))  # 400 for an unknown host
        instance = self._start(req, instance, action, "unshelving")
        self.api.conductor.cast(req.context.ctx, "unshelve_instance",
                                instance_id=instance["id"], host=host)


def delete_shelved_image(api, ctx, instance: dict) -> None:
    """Deleting a shelved server deletes its shelve snapshot too (as Nova's API does)."""
    image_id = (instance.get("system_metadata") or {}).get("shelved_image_id")
    if instance["vm_state"] not in ("shelved", "shelved_offloaded") or not image_id:
        return
    try:
        api.images.delete(image_id, token=ctx.auth_token)
    except ServiceError:
        pass  # already gone, or Glance is down: the server goes anyway
