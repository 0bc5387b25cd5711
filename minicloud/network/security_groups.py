"""`/v2.0/security-groups`: per-port firewalls (`openstack security group ...`).

Every project has a `default` group, created on first use with Neutron's four rules
(egress anywhere over IPv4 and IPv6; ingress from members of the same group). A listing
by `name` is scoped to the caller's own project even for an admin (unless `project_id` or
`all_projects` is given), so `security group rule create ... default` finds exactly one
group, where real Neutron shows an admin every project's `default`. The `default` group
cannot be deleted or renamed. Rules are in security_group_rules.py.
"""

from __future__ import annotations

import falcon

from minicloud.common import policy
from minicloud.network import bulk, schemas, security_group_rules, views
from minicloud.network.core import Neutron, conflict
from minicloud.network.store import new_id


def view(neutron: Neutron, row: dict, rules: list[dict] | None = None) -> dict:
    if rules is None:
        rules = neutron.store.rules_of(row["id"])
    return {**views.common(row), "stateful": bool(row["stateful"]),
            "security_group_rules": [security_group_rules.view(r, row) for r in rules]}


def _check_name(fields: dict) -> None:
    """Neutron's name_not_default validator: no second `default`, in any case."""
    if (fields.get("name") or "").lower() == "default":
        raise conflict("Default security group already exists.",
                       "SecurityGroupDefaultAlreadyExists")


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    _check_name(fields)
    project_id = neutron.project_of(ctx, fields)
    neutron.default_security_group(project_id)
    with neutron.store.transaction():
        neutron.check_quota(project_id, "security_group")
        row = neutron.store.insert("security_groups", {
            "id": new_id(), "name": fields.get("name") or "", "project_id": project_id,
            "description": fields.get("description") or "",
            "stateful": int(fields.get("stateful") is not False)})
        for ethertype in ("IPv4", "IPv6"):
            neutron.store.insert("security_group_rules", {
                "id": new_id(), "project_id": project_id, "security_group_id": row["id"],
                "direction": "egress", "ethertype": ethertype})
    return row


def update(neutron: Neutron, ctx, group_id: str, fields: dict) -> dict:
    _check_name(fields)
    group = neutron.owned(ctx, "security_groups", "security group", group_id)
    if group["name"] == "default" and "name" in fields:
        raise conflict("Updating default security group not allowed.",
                       "SecurityGroupCannotUpdateDefault")
    changes = {k: fields[k] or "" for k in ("name", "description") if k in fields}
    if fields.get("stateful") is not None:
        changes["stateful"] = int(fields["stateful"])
    with neutron.store.transaction():
        neutron.store.update("security_groups", group_id, changes)
    return neutron.store.get("security_groups", group_id)


def delete(neutron: Neutron, ctx, group_id: str) -> None:
    group = neutron.owned(ctx, "security_groups", "security group", group_id)
    if group["name"] == "default" and not ctx.is_admin:
        raise conflict("Insufficient rights for removing default security group.",
                       "SecurityGroupCannotRemoveDefault")
    with neutron.store.transaction():
        if neutron.store.security_group_in_use(group_id):
            raise conflict(f"Security Group {group_id} in use.", "SecurityGroupInUse")
        neutron.store.delete_security_group(group_id)


def listing(neutron: Neutron, req) -> list[dict]:
    ctx = req.context.ctx
    if ctx.project_id:
        neutron.default_security_group(ctx.project_id)
    rows = neutron.store.security_groups()
    named = req.get_param("name") is not None
    everyone = views.query_bool(req.get_param("all_projects")) or views.query_bool(
        req.get_param("all_tenants")) or req.get_param("project_id") or req.get_param(
        "tenant_id")
    if not ctx.is_admin or (named and not everyone):
        rows = [r for r in rows if r["project_id"] == ctx.project_id]
    rules: dict[str, list] = {}
    for rule in neutron.store.security_group_rules():
        rules.setdefault(rule["security_group_id"], []).append(rule)
    return views.select(req, [view(neutron, r, rules.get(r["id"], [])) for r in rows])


class SecurityGroups:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        resp.media = {"security_groups": listing(self.neutron, req)}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        items, many = schemas.SECURITY_GROUP.create(req)
        rows = bulk.create_all(self.neutron, req.context.ctx, create, items)
        bulk.answer(resp, schemas.SECURITY_GROUP, rows, lambda r: view(self.neutron, r), many)


class SecurityGroup:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, security_group_id):
        ctx = req.context.ctx
        if ctx.project_id:
            self.neutron.default_security_group(ctx.project_id)
        row = self.neutron.owned(ctx, "security_groups", "security group", security_group_id)
        resp.media = {"security_group": views.only_fields(req, view(self.neutron, row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, security_group_id):
        fields = schemas.SECURITY_GROUP.update(req)
        row = update(self.neutron, req.context.ctx, security_group_id, fields)
        resp.media = {"security_group": view(self.neutron, row)}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, security_group_id):
        delete(self.neutron, req.context.ctx, security_group_id)
        resp.status = falcon.HTTP_204
