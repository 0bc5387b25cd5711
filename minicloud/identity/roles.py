"""`/v3/roles`: the names that policy checks (`openstack role create|list|show|delete`).

Bootstrap creates `admin`, `member` and `reader`; every service's policy reads these names
from the token. Granting a role is a role assignment (assignments.py). Deleting a role
deletes its assignments. Limitation: domain-specific roles are not supported.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.identity import schemas, views
from minicloud.identity.core import Keystone, duplicate, same_id
from minicloud.identity.store import new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"roles/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"], "options": {}})


def _no_domain_roles(fields: dict) -> None:
    if fields.get("domain_id") is not None:
        raise errors.BadRequest("minicloud does not support domain-specific roles: "
                                "leave domain_id out.")


class Roles:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        # no role has a domain_id, so asking for one lists nothing
        rows = self.store.roles(name=req.get_param("name"),
                                domain_id=req.get_param("domain_id") or None)
        resp.media = views.collection(req, "roles", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = views.body_of(req, schemas.ROLE_CREATE, "role")
        _no_domain_roles(fields)
        row = {"id": new_id(), "name": fields["name"], "domain_id": None,
               "description": fields.get("description") or ""}
        with self.store.transaction():
            if self.store.role_by_name(row["name"]):
                raise duplicate("role", row["name"])
            self.store.insert_role(row)
        resp.status = falcon.HTTP_201
        resp.media = {"role": view(req, row)}


class Role:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id):
        resp.media = {"role": view(req, self.keystone.role(role_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, role_id):
        fields = views.body_of(req, schemas.ROLE_PATCH, "role")
        _no_domain_roles(fields)
        same_id("role", fields, role_id)
        changes = {}
        if "description" in fields:
            changes["description"] = fields["description"] or ""
        with self.store.transaction():
            self.keystone.role(role_id)
            if fields.get("name") is not None:
                other = self.store.role_by_name(fields["name"])
                if other and other["id"] != role_id:
                    raise duplicate("role", fields["name"])
                changes["name"] = fields["name"]
            self.store.update_role(role_id, changes)
        resp.media = {"role": view(req, self.keystone.role(role_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, role_id):
        with self.store.transaction():
            self.keystone.role(role_id)
            self.store.delete_role(role_id)  # with its assignments
        resp.status = falcon.HTTP_204
