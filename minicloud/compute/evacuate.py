"""The `evacuate` action (admin): `openstack server evacuate [--host compute2] vm1` builds a
server again on another host after its own host failed.

nova-api refuses while the server's host still looks alive (its nova-compute service is up:
heartbeats arrive and nobody forced it down, services.py), records the instance action
`evacuate` and a migration of type `evacuation` (status `accepted`), sets the task state
`rebuilding` (status REBUILD) and casts `rebuild_instance` to the conductor. The conductor
asks the scheduler for a host other than the failed one (or verifies the requested one;
with `force` it takes it unchecked), claims it and casts `rebuild_instance` (recreate) to
that host's nova-compute (manager_evacuate.py), which binds the ports there, reattaches
the volumes and spawns the server from its image. The failed host, when it comes back,
destroys what it still has of the server (recovery.py).

Per microversion, as Nova: before 2.14 the body needs `onSharedStorage` and the 200 names
the new `adminPass`; from 2.14 there is no body; `force` exists only from 2.29 to 2.67;
from 2.95 the server ends stopped (SHUTOFF), before as it was (ACTIVE or SHUTOFF).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import validate
from minicloud.compute.microversions import at_least
from minicloud.compute.schemas import BOOLEAN, as_bool
from minicloud.compute.states import check_state
from minicloud.compute.store import new_uuid

HOST = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9-._]*$"}
PASSWORD = {"type": "string"}
# The body's keys, by the microversion that accepts them (Nova's four schemas).
BEFORE_214 = {"type": "object", "required": ["onSharedStorage"], "properties": {
    "host": HOST, "onSharedStorage": BOOLEAN, "adminPass": PASSWORD},
    "additionalProperties": False}
FROM_214 = {"type": "object", "properties": {"host": HOST, "adminPass": PASSWORD},
            "additionalProperties": False}
WITH_FORCE = {"type": "object", "properties": {"host": HOST, "adminPass": PASSWORD,
                                               "force": BOOLEAN},
              "additionalProperties": False}
EVACUABLE = ("active", "stopped", "error")


def schema(req) -> dict:
    if not at_least(req, "2.14"):
        return BEFORE_214
    if at_least(req, "2.29") and not at_least(req, "2.68"):
        return WITH_FORCE
    return FROM_214


class EvacuateAction:
    """The `evacuate` action of ServerAction (server_actions.py)."""

    def do_evacuate(self, req, resp, instance, action, args):
        raw = req.context.action_args
        if not isinstance(raw, dict):
            raise errors.BadRequest("Invalid input for field 'evacuate': it must be an object")
        args = validate(raw, schema(req))
        ctx = req.context.ctx
        policy.enforce(ctx, "admin")
        host, shared = args.get("host"), None
        force = as_bool(args.get("force", False)) if at_least(req, "2.29") else None
        if force and not host:
            raise errors.BadRequest("Can't force to a non-provided destination")
        if not at_least(req, "2.14"):
            shared = as_bool(args["onSharedStorage"])
            if shared and "adminPass" in args:
                raise errors.BadRequest("admin password can't be changed on existing disk")
        password = args.get("adminPass")
        if password is None and not shared:
            password = new_uuid().replace("-", "")[:12]
        self._check_destination(instance, host)
        check_state(instance, "evacuate", EVACUABLE)
        if self.api.service_up(instance["host"]):
            raise errors.BadRequest(f"Compute service of {instance['host']} is still in use.")
        with self.api.store.transaction():
            instance = self._start(req, instance, action, "rebuilding")
            migration = self.api.store.add_migration(instance["id"], instance["host"], host,
                                                     "evacuation", status="accepted")
        # Only a forced host (or any host before 2.29) skips the scheduler's check.
        self.api.conductor.cast(ctx, "rebuild_instance", instance_id=instance["id"],
                                migration=migration, host=host if force is not False else None,
                                requested_host=host if force is False else None,
                                new_pass=password, on_shared_storage=shared,
                                target_state="stopped" if at_least(req, "2.95") else None)
        resp.status = falcon.HTTP_200
        if not at_least(req, "2.14"):  # Nova: with [api] enable_instance_password (default)
            resp.media = {"adminPass": password}

    def _check_destination(self, instance: dict, host: str | None) -> None:
        if host is None:
            return
        if not any(s["binary"] == "nova-compute" and s["host"] == host
                   for s in self.api.store.services()):
            raise errors.NotFound(f"Compute host {host} not found.")
        if host == instance["host"]:
            raise errors.BadRequest("The target host can't be the same one.")
