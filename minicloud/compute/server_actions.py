"""`POST /servers/{id}/action` and `/servers/{id}/os-instance-actions` (`openstack server
event list`).

nova-api checks the lock (locking.py) and the server's state (a wrong state is 409, as in
Nova), records the instance action, sets the task state and casts the work to the server's
host (power actions, reboot, rebuild, snapshot, shelve), or to the conductor, which first
schedules a destination (migrate, live-migrate, resize, unshelve of an offloaded server,
evacuate).
Only the console output is a call: the answer comes from the hypervisor.

The actions live by theme, each a mixin of ServerAction: here power, reboot and
migrations (with resize's confirm and revert); lock and unlock in locking.py; rebuild in
rebuild.py; resize in resize.py; createImage in snapshots.py; shelve, shelveOffload and
unshelve in shelve.py; evacuate (admin, the server of a failed host) in evacuate.py.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy, rpc
from minicloud.common.validation import read_json
from minicloud.compute.evacuate import EvacuateAction
from minicloud.compute.locking import LockActions, check_unlocked
from minicloud.compute.microversions import at_least
from minicloud.compute.rebuild import RebuildAction
from minicloud.compute.resize import ResizeAction
from minicloud.compute.core import Nova
from minicloud.compute.shelve import ShelveActions
from minicloud.compute.snapshots import SnapshotAction
from minicloud.compute.states import check_state
from minicloud.common.timeutils import isotime

# action -> (allowed vm_states, task_state to set, compute method)
POWER = {
    "os-stop": (("active", "error"), "powering-off", "stop_instance"),
    "os-start": (("stopped",), "powering-on", "start_instance"),
    "pause": (("active",), "pausing", "pause_instance"),
    "unpause": (("paused",), "unpausing", "unpause_instance"),
    "suspend": (("active",), "suspending", "suspend_instance"),
    "resume": (("suspended",), "resuming", "resume_instance"),
}
ACTION_NAMES = {"os-stop": "stop", "os-start": "start", "pause": "pause", "unpause": "unpause",
                "suspend": "suspend", "resume": "resume", "reboot": "reboot",
                "migrate": "migrate", "confirmResize": "confirmResize",
                "revertResize": "revertResize", "os-migrateLive": "live-migration",
                "rebuild": "rebuild", "resize": "resize", "createImage": "createImage",
                "shelve": "shelve", "shelveOffload": "shelveOffload", "unshelve": "unshelve",
                "lock": "lock", "unlock": "unlock", "evacuate": "evacuate"}
# What a locked server still allows a non-admin (Nova has no check_instance_lock on these).
LOCK_EXEMPT = {"lock", "unlock", "os-getConsoleOutput", "createImage", "evacuate"}
UNSET = object()


class ServerAction(LockActions, RebuildAction, ResizeAction, SnapshotAction, ShelveActions,
                   EvacuateAction):
    def __init__(self, api: Nova):
        self.api = api

    def on_post(self, req, resp, server_id):
        body = read_json(req)
        if not isinstance(body, dict) or len(body) != 1:
            raise errors.BadRequest("An action body has exactly one key: the action's name.")
        action, args = next(iter(body.items()))
        instance = self.api.instance(req, server_id)
        handler = getattr(self, "do_" + action.replace("-", "_"), None)
        if action in POWER:
            handler = self.power
        if handler is None:
            raise errors.BadRequest(f"There is no such action: {action}")
        if action not in LOCK_EXEMPT:
            check_unlocked(req.context.ctx, instance)
        req.context.action_args = args  # the raw argument, for actions with a schema
        resp.status = falcon.HTTP_202
        handler(req, resp, instance, action, args if isinstance(args, dict) else {})

    def _start(self, req, instance, action, task_state=UNSET, **updates):
        """Record the instance action; set the task state (unless UNSET) and `updates`."""
        ctx = req.context.ctx
        self.api.store.start_action(ctx, instance["id"], ACTION_NAMES.get(action, action))
        if task_state is not UNSET:
            updates["task_state"] = task_state
        if updates:
            instance = self.api.store.update_instance(instance["id"], **updates)
        return instance

    def _need_host(self, instance, action) -> None:
        if not instance["host"]:
            raise errors.Conflict(f"Cannot '{action}' instance {instance['id']}: it has no host")

    def power(self, req, resp, instance, action, args):
        vm_states, task_state, method = POWER[action]
        check_state(instance, action, vm_states)
        self._need_host(instance, action)
        instance = self._start(req, instance, action, task_state)
        self.api.cast_to_host(req.context.ctx, instance, method)

    def do_reboot(self, req, resp, instance, action, args):
        kind = str(args.get("type", "SOFT")).upper()
        if kind not in ("SOFT", "HARD") or not isinstance(req.context.action_args, dict):
            raise errors.BadRequest("Argument 'type' for reboot must be a string with value "
                                    "'SOFT' or 'HARD'.")
        allowed = ("active",) if kind == "SOFT" else ("active", "stopped", "paused",
                                                      "suspended", "error")
        check_state(instance, "reboot", allowed, (None, "rebooting") if kind == "HARD" else
                    (None,))
        self._need_host(instance, "reboot")
        task = "rebooting" if kind == "SOFT" else "rebooting_hard"
        instance = self._start(req, instance, action, task)
        self.api.cast_to_host(req.context.ctx, instance, "reboot_instance", reboot_type=kind)

    def _dest(self, host: str | None) -> str | None:
        if host and self.api.store.compute_node(host) is None:
            raise errors.BadRequest(f"Compute host {host} could not be found.")
        return host

    def do_migrate(self, req, resp, instance, action, args):
        policy.enforce(req.context.ctx, "admin")
        host = args.get("host") if at_least(req, "2.56") else None
        check_state(instance, "migrate", ("active", "stopped"))
        instance = self._start(req, instance, action, "resize_prep")
        self.api.conductor.cast(req.context.ctx, "migrate_server", instance_id=instance["id"],
                                host=self._dest(host), live=False)

    def do_os_migrateLive(self, req, resp, instance, action, args):
        policy.enforce(req.context.ctx, "admin")
        check_state(instance, "os-migrateLive", ("active", "paused"))
        host = self._dest(args.get("host"))
        if host and host == instance["host"]:
            raise errors.BadRequest(f"The requested host {host} is the instance's current host.")
        instance = self._start(req, instance, action, "migrating")
        self.api.conductor.cast(req.context.ctx, "migrate_server", instance_id=instance["id"],
                                host=host, live=True)

    def _migration(self, instance):
        migration = self.api.store.migration(instance["id"], "finished")
        if migration is None:
            raise errors.BadRequest("Instance has not been resized.")
        return migration

    def do_confirmResize(self, req, resp, instance, action, args):
        check_state(instance, "confirmResize", ("resized",))
        migration = self._migration(instance)
        instance = self._start(req, instance, action)
        self.api.store.set_migration_status(migration["uuid"], "confirming")
        self.api.cast_to_host(req.context.ctx, instance, "confirm_resize",
                              host=migration["source"], migration=migration)
        resp.status = falcon.HTTP_204

    def do_revertResize(self, req, resp, instance, action, args):
        check_state(instance, "revertResize", ("resized",))
        migration = self._migration(instance)
        instance = self._start(req, instance, action, "resize_reverting")
        self.api.store.set_migration_status(migration["uuid"], "reverting")
        self.api.cast_to_host(req.context.ctx, instance, "revert_resize",
                              host=migration["dest"], migration=migration)

    def do_os_getConsoleOutput(self, req, resp, instance, action, args):
        if not instance["host"] or instance["vm_state"] in ("building", "error"):
            raise errors.Conflict(f"Instance {instance['id']} is not ready: it is in vm_state "
                                  f"{instance['vm_state']}.")
        length = args.get("length")
        try:
            length = int(length) if length not in (None, "") else None
        except (TypeError, ValueError):
            raise errors.BadRequest("length must be an integer") from None
        try:
            output = self.api.compute.prepare(server=instance["host"]).call(
                req.context.ctx, "get_console_output", instance=instance, length=length)
        except rpc.RPCError as exc:
            raise errors.Conflict(f"Console output is not available: {exc}") from None
        resp.status = falcon.HTTP_200
        resp.media = {"output": output}


def _time(ts):
    text = isotime(ts)
    return text.replace("Z", ".000000") if text else None


class InstanceActions:
    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp, server_id):
        instance = self.api.instance(req, server_id)
        rows = self.api.store.instance_actions(instance["id"])
        resp.media = {"instanceActions": [action_view(req, r) for r in rows]}


class InstanceAction:
    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp, server_id, request_id):
        instance = self.api.instance(req, server_id)
        row = self.api.store.instance_action(instance["id"], request_id)
        if row is None:
            raise errors.NotFound(f"Action for request_id {request_id} on instance "
                                  f"{server_id} not found")
        events = self.api.store.action_events(instance["id"], request_id)
        admin = req.context.ctx.is_admin
        body = action_view(req, row)
        body["events"] = [event_view(req, e, admin) for e in events]
        resp.media = {"instanceAction": body}


def action_view(req, row: dict) -> dict:
    body = {"action": row["action"], "instance_uuid": row["instance_id"],
            "request_id": row["request_id"], "user_id": row["user_id"],
            "project_id": row["project_id"], "start_time": _time(row["start_time"]),
            "message": row["message"]}
    if at_least(req, "2.58"):
        body["updated_at"] = _time(row["updated"])
    return body


def event_view(req, row: dict, admin: bool) -> dict:
    body = {"event": row["event"], "start_time": _time(row["start_time"]),
            "finish_time": _time(row["finish_time"]), "result": row["result"]}
    if admin:
        body["traceback"] = None
        if at_least(req, "2.62"):
            body["host"] = row["host"] or ""
    if at_least(req, "2.62"):
        body["hostId"] = ""
    if at_least(req, "2.84"):
        body["details"] = row["details"]
    return body
