"""Server locks: `openstack server lock [--reason R]` and `server unlock` (the `lock` and
`unlock` actions), and the check every lock-guarded action makes first.

A locked server refuses what would change it (delete, power actions, rebuild, resize,
shelve, volume and interface attach/detach...) with 409 to anyone but an admin, as Nova's
`check_instance_lock` does. Nova remembers who locked it: `owner` (someone of the
server's project) or `admin` (an admin of another project); only an admin may unlock a
server an admin locked (Nova's `unlock_override` policy).
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.common.validation import validate
from minicloud.compute.microversions import at_least

# `{"lock": {"locked_reason": "..."}}` from 2.73 (before, any argument is ignored).
LOCK_273 = {"type": ["object", "null"], "properties": {
    "locked_reason": {"type": "string", "minLength": 1, "maxLength": 255}},
    "additionalProperties": False}


def check_unlocked(ctx, instance: dict) -> None:
    """409 if the server is locked and the caller is no admin."""
    if instance.get("locked") and not ctx.is_admin:
        raise errors.Conflict(f"Instance {instance['id']} is locked")


class LockActions:
    """The `lock` and `unlock` actions of ServerAction (server_actions.py)."""

    def do_lock(self, req, resp, instance, action, args):
        ctx = req.context.ctx
        reason = None
        if at_least(req, "2.73"):
            reason = (validate(req.context.action_args, LOCK_273) or {}).get("locked_reason")
        owner = ctx.project_id == instance["project_id"]
        self._start(req, instance, action, locked=1, locked_by="owner" if owner else "admin",
                    locked_reason=reason)

    def do_unlock(self, req, resp, instance, action, args):
        ctx = req.context.ctx
        if instance.get("locked_by") == "admin" and not ctx.is_admin:
            raise errors.Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:"
                                   "unlock_override to be performed.")
        self._start(req, instance, action, locked=0, locked_by=None, locked_reason=None)
