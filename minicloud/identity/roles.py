"""`/v3/roles`: the names that policy checks (`openstack role create|list|show|delete`).

Bootstrap creates `admin`, `member` and `reader`; every service's policy reads these names
from the token. Granting a role is a role assignment (assignments.py). Deleting a role
deletes its assignments. Limitation: domain-specific roles are not supported.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.identity import schemas, views
from minicloud.identity.store import IdentityStore, new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"roles/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"], "options": {}})


def _duplicate(name: str) -> errors.Conflict:
    return errors.Conflict("Conflict occurred attempting to store role - "
                           f"Duplicate entry found with name {name}.")


def _no_domain_roles(fields: dict) -> None:
    if fields.get("domain_id") is not None:
        raise errors.BadRequest("minicloud does not support domain-specific roles: "
                                "leave domain_id out.")


class Roles:
    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        where, params = [], []
        if req.get_param("name") is not None:
            where.append("name = ?")
            params.append(req.get_param("name"))
        if req.get_param("domain_id"):
            where.append("domain_id = ?")  # there are none, so this lists nothing
            params.append(req.get_param("domain_id"))
        rows = self.store.rows("roles", " AND ".join(where), params)
        resp.media = views.collection(req, "roles", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = views.body_of(req, schemas.ROLE_CREATE, "role")
        _no_domain_roles(fields)
        row = {"id": new_id(), "name": fields["name"], "domain_id": None,
               "description": fields.get("description") or ""}
        with self.store.transaction() as db:
            if self.store.role_by_name(row["name"]):
                raise _duplicate(row["name"])
            db["roles"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"role": view(req, row)}


class Role:
    def __init__(self, store: IdentityStore):
        self.store = store

    def _find(self, role_id: str) -> dict:
        return views.must_exist(self.store.role(role_id), "role", role_id)

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id):
        resp.media = {"role": view(req, self._find(role_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, role_id):
        fields = views.body_of(req, schemas.ROLE_UPDATE, "role")
        _no_domain_roles(fields)
        if fields.get("id") not in (None, role_id):
            raise errors.BadRequest("Cannot change the ID of a role.")
        changes = {}
        if "description" in fields:
            changes["description"] = fields["description"] or ""
        with self.store.transaction() as db:
            self._find(role_id)
            if fields.get("name") is not None:
                other = self.store.role_by_name(fields["name"])
                if other and other["id"] != role_id:
                    raise _duplicate(fields["name"])
                changes["name"] = fields["name"]
            if changes:
                db["roles"].update(role_id, changes)
        resp.media = {"role": view(req, self._find(role_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, role_id):
        with self.store.transaction() as db:
            self._find(role_id)
            # the foreign key cascades too; saying it here keeps the rule visible
            db.execute("DELETE FROM assignments WHERE role_id = ?", (role_id,))
            db["roles"].delete(role_id)
        resp.status = falcon.HTTP_204
