"""`/v3/groups`: sets of users that receive roles together (`openstack group ...`).

A role granted to a group is held by each of its members (store.roles_on follows the
memberships), so adding a user to a group can give them access to a project. Only admins
manage groups. Deleting a group deletes its memberships and role assignments.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.identity import schemas, users, views
from minicloud.identity.domains import require_domain
from minicloud.identity.store import IdentityStore, new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"groups/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"]})


def _duplicate(name: str, domain_id: str) -> errors.Conflict:
    return errors.Conflict("Conflict occurred attempting to store group - Duplicate entry "
                           f"found with name {name} at domain ID {domain_id}.")


def _by_name(store: IdentityStore, name: str, domain_id: str) -> dict | None:
    return store.one("groups_", "name = ? AND domain_id = ?", (name, domain_id))


def find(store: IdentityStore, group_id: str) -> dict:
    return views.must_exist(store.get("groups_", group_id), "group", group_id)


class Groups:
    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        where, params = [], []
        for key in ("name", "domain_id"):
            if req.get_param(key) is not None:
                where.append(f"{key} = ?")
                params.append(req.get_param(key))
        rows = self.store.rows("groups_", " AND ".join(where), params)
        resp.media = views.collection(req, "groups", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.GROUP_CREATE)["group"]
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": fields.get("domain_id") or req.context.ctx.domain_id or "default",
               "description": fields.get("description") or ""}
        with self.store.transaction() as db:
            require_domain(self.store, row["domain_id"])
            if _by_name(self.store, row["name"], row["domain_id"]):
                raise _duplicate(row["name"], row["domain_id"])
            db["groups_"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"group": view(req, row)}


class Group:
    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, group_id):
        resp.media = {"group": view(req, find(self.store, group_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, group_id):
        fields = read_json(req, schemas.GROUP_UPDATE)["group"]
        with self.store.transaction() as db:
            group = find(self.store, group_id)
            if fields.get("id") not in (None, group_id):
                raise errors.BadRequest("Cannot change the ID of a group.")
            if fields.get("domain_id") not in (None, group["domain_id"]):
                raise errors.BadRequest("Update of `domain_id` is not allowed.")
            changes = {}
            if fields.get("name") is not None:
                other = _by_name(self.store, fields["name"], group["domain_id"])
                if other and other["id"] != group_id:
                    raise _duplicate(fields["name"], group["domain_id"])
                changes["name"] = fields["name"]
            if "description" in fields:
                changes["description"] = fields["description"] or ""
            if changes:
                db["groups_"].update(group_id, changes)
        resp.media = {"group": view(req, find(self.store, group_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, group_id):
        with self.store.transaction() as db:
            find(self.store, group_id)
            db.execute("DELETE FROM assignments WHERE actor_id = ? AND type LIKE 'Group%'",
                       (group_id,))
            db["groups_"].delete(group_id)  # memberships: ON DELETE CASCADE
        resp.status = falcon.HTTP_204


class GroupUsers:
    """The members of a group."""

    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, group_id):
        find(self.store, group_id)
        rows = self.store.query("SELECT users.* FROM users JOIN group_members ON "
                                "group_members.user_id = users.id WHERE group_id = ? "
                                "ORDER BY name", (group_id,))
        resp.media = views.collection(req, "users", [users.view(req, u) for u in rows])


class GroupUser:
    """One membership: PUT adds the user, HEAD/GET check it (204 or 404), DELETE removes it."""

    def __init__(self, store: IdentityStore):
        self.store = store

    def _both(self, group_id: str, user_id: str) -> None:
        find(self.store, group_id)
        views.must_exist(self.store.user(user_id), "user", user_id)

    def _is_member(self, group_id: str, user_id: str) -> bool:
        return bool(self.store.one("group_members", "group_id = ? AND user_id = ?",
                                   (group_id, user_id)))

    def _not_member(self, group_id: str, user_id: str) -> errors.NotFound:
        return errors.NotFound(f"User {user_id} is not a member of group {group_id}.")

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, group_id, user_id):
        with self.store.transaction() as db:
            self._both(group_id, user_id)
            db["group_members"].insert({"group_id": group_id, "user_id": user_id},
                                       ignore=True)
        resp.status = falcon.HTTP_204

    @falcon.before(policy.require("admin"))
    def on_head(self, req, resp, group_id, user_id):
        self._both(group_id, user_id)
        if not self._is_member(group_id, user_id):
            raise self._not_member(group_id, user_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, group_id, user_id):
        with self.store.transaction() as db:
            self._both(group_id, user_id)
            if not self._is_member(group_id, user_id):
                raise self._not_member(group_id, user_id)
            db.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                       (group_id, user_id))
        resp.status = falcon.HTTP_204
