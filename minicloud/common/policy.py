"""Role policy: which role a route needs (the role of oslo.policy, with three fixed rules).

Roles imply each other as in Keystone's default roles: admin > member > reader. Attach a
rule to a responder with `@falcon.before(policy.require("admin"))`.
"""

from __future__ import annotations

from minicloud.common import errors


def check(ctx, rule: str) -> bool:
    return ctx is not None and ctx.has_role(rule)


def enforce(ctx, rule: str) -> None:
    if not check(ctx, rule):
        raise errors.Forbidden(
            f"You are not authorized to perform the requested action: this needs the role '{rule}'.")


def require(rule: str):
    """A Falcon `before` hook that refuses callers without `rule` with 403."""

    def hook(req, resp, resource, params):
        enforce(req.context.ctx, rule)

    return hook
