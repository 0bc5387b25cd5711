"""Role assignments: who (a user or a group) holds which role on what (a project, a domain
or the whole system). `openstack role add|remove` call the grant URLs
(`PUT /v3/projects/{p}/users/{u}/roles/{r}`), `openstack role assignment list` calls
`GET /v3/role_assignments`.

A row of the `assignments` table has a `type` naming actor and target kinds together
("UserProject", "GroupDomain", "UserSystem"...); the system's target id is "system".
Tokens re-read assignments when they are validated, so a revoked role stops working at
once. Limitation: inherited assignments (OS-INHERIT) are not supported.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.identity import roles, views
from minicloud.identity.core import Keystone

SYSTEM = "system"


def grant_path(kind: str, target_id: str, actor_id: str, role_id: str) -> str:
    """The URL path of one grant, as Keystone links it; `kind` is the assignment type."""
    actor = "users" if kind.startswith("User") else "groups"
    if kind.endswith("System"):
        return f"system/{actor}/{actor_id}/roles/{role_id}"
    target = "projects" if kind.endswith("Project") else "domains"
    return f"{target}/{target_id}/{actor}/{actor_id}/roles/{role_id}"


class _Grants:
    """What grant resources share: their kinds, and which URL fields are target and actor
    (the routes name them `project_id`/`domain_id` and `user_id`/`group_id`)."""

    def __init__(self, keystone: Keystone, target_kind: str, actor_kind: str):
        self.keystone, self.store = keystone, keystone.store
        self.type = actor_kind + target_kind
        self.target_kind, self.actor_kind = target_kind, actor_kind

    def _ids(self, fields: dict) -> tuple[str, str]:
        """(actor id, target id) from the URL fields; the system's target id is "system"."""
        return (fields[f"{self.actor_kind.lower()}_id"],
                fields.get(f"{self.target_kind.lower()}_id", SYSTEM))

    def _find_target(self, target_id: str) -> None:
        if self.target_kind == "Project":
            self.keystone.project(target_id)
        elif self.target_kind == "Domain":
            self.keystone.domain(target_id)

    def _find_actor(self, actor_id: str) -> None:
        if self.actor_kind == "User":
            self.keystone.user(actor_id)
        else:
            self.keystone.group(actor_id)


class RoleGrants(_Grants):
    """The roles one actor holds directly on one target (`GET .../users/{u}/roles`)."""

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, **fields):
        actor_id, target_id = self._ids(fields)
        self._find_target(target_id)
        self._find_actor(actor_id)
        rows = self.store.granted_roles(self.type, actor_id, target_id)
        resp.media = views.collection(req, "roles", [roles.view(req, r) for r in rows])


class RoleGrant(_Grants):
    """One grant: PUT gives the role, HEAD/GET check it (204 or 404), DELETE takes it away."""

    def _check_refs(self, actor_id: str, target_id: str, role_id: str) -> None:
        self._find_target(target_id)
        self._find_actor(actor_id)
        self.keystone.role(role_id)

    def _exists(self, actor_id: str, target_id: str, role_id: str) -> bool:
        return self.store.has_grant(self.type, actor_id, target_id, role_id)

    def _not_found(self, actor_id: str, target_id: str, role_id: str) -> errors.NotFound:
        return errors.NotFound(
            f"Could not find role assignment with role: {role_id}, user or group: "
            f"{actor_id}, project, domain, or system: {target_id}.")

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, role_id, **fields):
        actor_id, target_id = self._ids(fields)
        with self.store.transaction():
            self._check_refs(actor_id, target_id, role_id)
            self.store.grant(self.type, actor_id, target_id, role_id)
        resp.status = falcon.HTTP_204

    @falcon.before(policy.require("admin"))
    def on_head(self, req, resp, role_id, **fields):
        actor_id, target_id = self._ids(fields)
        self._check_refs(actor_id, target_id, role_id)
        if not self._exists(actor_id, target_id, role_id):
            raise self._not_found(actor_id, target_id, role_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, role_id, **fields):
        actor_id, target_id = self._ids(fields)
        with self.store.transaction():
            self._check_refs(actor_id, target_id, role_id)
            if not self._exists(actor_id, target_id, role_id):
                raise self._not_found(actor_id, target_id, role_id)
            self.store.revoke_grant(self.type, actor_id, target_id, role_id)
        resp.status = falcon.HTTP_204


def _flag_param(req, name: str) -> bool:
    """Keystone's reading of `?effective`, `?include_names=True`: present means true,
    unless it says false."""
    value = req.get_param(name)
    return value is not None and value.strip().lower() not in ("0", "false", "no", "off")


class RoleAssignments:
    """`GET /v3/role_assignments`, with Keystone's filters, `effective` and `include_names`."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        user_id, group_id = req.get_param("user.id"), req.get_param("group.id")
        effective = _flag_param(req, "effective")
        _check_filters(req, effective)
        ctx = req.context.ctx
        if user_id is None or user_id != ctx.user_id:
            policy.enforce(ctx, "admin")  # a user may list their own assignments only
        rows = self.store.role_assignments(
            role_id=req.get_param("role.id"), project_id=req.get_param("scope.project.id"),
            domain_id=req.get_param("scope.domain.id"),
            system=req.get_param("scope.system") is not None,
            inherited=req.get_param("scope.OS-INHERIT:inherited_to") is not None,
            group_id=group_id, user_id=user_id, via_groups=effective)
        if effective:
            rows = self._expand_groups(rows, user_id)
        namer = _Namer(self.store) if _flag_param(req, "include_names") else None
        resp.media = views.collection(req, "role_assignments",
                                      [_item(req, row, namer) for row in rows])

    def _expand_groups(self, rows: list[dict], user_id: str | None) -> list[dict]:
        """Keystone's `effective`: a group's assignment becomes one per member user."""
        expanded = []
        for row in rows:
            if not row["type"].startswith("Group"):
                expanded.append(row)
                continue
            members = self.store.group_user_ids(row["actor_id"])
            expanded.extend({**row, "type": "User" + row["type"][len("Group"):],
                             "actor_id": member, "via_group": row["actor_id"]}
                            for member in members if user_id in (None, member))
        return expanded


def _check_filters(req, effective: bool) -> None:
    if req.get_param("user.id") is not None and req.get_param("group.id") is not None:
        raise errors.BadRequest("Specify a user or group, not both.")
    if req.get_param("scope.project.id") is not None and \
            req.get_param("scope.domain.id") is not None:
        raise errors.BadRequest("Specify a domain or project, not both.")
    if effective and req.get_param("group.id") is not None:
        raise errors.BadRequest("Combining effective and group filter will always result "
                                "in an empty list.")


def _ref(namer: "_Namer | None", kind: str, ident: str) -> dict:
    return namer.ref(kind, ident) if namer else {"id": ident}


def _scope(row: dict, namer: "_Namer | None") -> dict:
    kind = row["type"]
    if kind.endswith("System"):
        return {"system": {"all": True}}
    target = "project" if kind.endswith("Project") else "domain"
    return {target: _ref(namer, target, row["target_id"])}


def _links(req, row: dict) -> dict:
    """The grant behind the row; for an assignment held through a group, the group's grant
    and the membership that passes it on."""
    group = row.get("via_group")
    kind = "Group" + row["type"][len("User"):] if group else row["type"]
    links = {"assignment": views.url(req, grant_path(
        kind, row["target_id"], group or row["actor_id"], row["role_id"]))}
    if group:
        links["membership"] = views.url(req, f"groups/{group}/users/{row['actor_id']}")
    return links


def _item(req, row: dict, namer: "_Namer | None") -> dict:
    actor = "user" if row["type"].startswith("User") else "group"
    return {"role": _ref(namer, "role", row["role_id"]),
            actor: _ref(namer, actor, row["actor_id"]),
            "scope": _scope(row, namer), "links": _links(req, row)}


class _Namer:
    """`include_names`: id references with their names (and owning domain), looked up once."""

    def __init__(self, store):
        self.lookups = {"role": store.role, "user": store.user, "group": store.group,
                        "project": store.project, "domain": store.domain}
        self.cache: dict[tuple[str, str], dict] = {}

    def ref(self, kind: str, ident: str) -> dict:
        key = (kind, ident)
        if key not in self.cache:
            self.cache[key] = self._lookup(kind, ident)
        return self.cache[key]

    def _lookup(self, kind: str, ident: str) -> dict:
        record = self.lookups[kind](ident) or {}
        ref = {"id": ident, "name": record.get("name", "")}
        # the CLI prints users, groups and projects as name@domain
        if kind in ("user", "group", "project") and record.get("domain_id"):
            ref["domain"] = self.ref("domain", record["domain_id"])
        return ref
