"""The request context: who is calling, in which project, with which roles, in which trace.

The auth middleware builds one from a validated token and puts it on `req.context.ctx`;
RPC carries it inside every message envelope so a compute node knows who asked.
"""

from __future__ import annotations

import dataclasses

from minicloud.common import ids


def new_request_id() -> str:
    return "req-" + ids.random_uuid()


@dataclasses.dataclass
class RequestContext:
    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    domain_id: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)
    request_id: str = dataclasses.field(default_factory=new_request_id)
    trace_id: str | None = None
    span_id: str | None = None
    auth_token: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        """True if the caller holds `role` or a role that implies it (admin > member > reader)."""
        implied = {"admin": {"admin", "member", "reader"}, "member": {"member", "reader"},
                   "reader": {"reader"}}
        return any(role in implied.get(r, {r}) for r in self.roles)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RequestContext":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
