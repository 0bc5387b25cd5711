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
from minicloud.identity.core import Keystone, duplicate, fixed, same_id
from minicloud.identity.store import new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"groups/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"]})


class Groups:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.store.groups(name=req.get_param("name"),
                                 domain_id=req.get_param("domain_id"))
        resp.media = views.collection(req, "groups", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.GROUP_CREATE)["group"]
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": self.keystone.new_domain_id(fields, req.context.ctx),
               "description": fields.get("description") or ""}
        with self.store.transaction():
            self.keystone.domain(row["domain_id"])
            if self.store.group_by_name(row["name"], row["domain_id"]):
                raise duplicate("group", row["name"], row["domain_id"])
            self.store.insert_group(row)
        resp.status = falcon.HTTP_201
        resp.media = {"group": view(req, row)}


class Group:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, group_id):
        resp.media = {"group": view(req, self.keystone.group(group_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, group_id):
        fields = read_json(req, schemas.GROUP_PATCH)["group"]
        with self.store.transaction():
            group = self.keystone.group(group_id)
            same_id("group", fields, group_id)
            if fields.get("domain_id") not in (None, group["domain_id"]):
                raise fixed("domain_id")
            changes = {}
            if fields.get("name") is not None:
                other = self.store.group_by_name(fields["name"], group["domain_id"])
                if other and other["id"] != group_id:
                    raise duplicate("group", fields["name"], group["domain_id"])
                changes["name"] = fields["name"]
            if "description" in fields:
                changes["description"] = fields["description"] or ""
            self.store.update_group(group_id, changes)
        resp.media = {"group": view(req, self.keystone.group(group_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, group_id):
        with self.store.transaction():
            self.keystone.group(group_id)
            self.store.delete_group(group_id)  # with its assignments and memberships
        resp.status = falcon.HTTP_204


class GroupUsers:
    """The members of a group."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, group_id):
        self.keystone.group(group_id)
        rows = self.store.group_users(group_id)
        resp.media = views.collection(req, "users", [users.view(req, u) for u in rows])


class GroupUser:
    """One membership: PUT adds the user, HEAD/GET check it (204 or 404), DELETE removes it."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def _both(self, group_id: str, user_id: str) -> None:
        self.keystone.group(group_id)
        self.keystone.user(user_id)

    def _not_member(self, group_id: str, user_id: str) -> errors.NotFound:
        return errors.NotFound(f"User {user_id} is not a member of group {group_id}.")

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, group_id, user_id):
        with self.store.transaction():
            self._both(group_id, user_id)
            self.store.add_member(group_id, user_id)
        resp.status = falcon.HTTP_204

    @falcon.before(policy.require("admin"))
    def on_head(self, req, resp, group_id, user_id):
        self._both(group_id, user_id)
        if not self.store.is_member(group_id, user_id):
            raise self._not_member(group_id, user_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, group_id, user_id):
        with self.store.transaction():
            self._both(group_id, user_id)
            if not self.store.is_member(group_id, user_id):
                raise self._not_member(group_id, user_id)
            self.store.remove_member(group_id, user_id)
        resp.status = falcon.HTTP_204
