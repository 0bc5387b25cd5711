"""`/v3/users`: people and services that log in (`openstack user ...`).

Only the scrypt hash of a password is stored, and no response ever carries it. Changing a
password, disabling or deleting a user revokes every token the user holds (a revocation
event, see tokens.py), so the change takes effect at once. A user changes their own
password with `POST /v3/users/{id}/password` (`openstack user password set`), proving
the old one; an admin sets anyone's with `PATCH /v3/users/{id}` (`openstack user set
--password`). Attributes Keystone does not know are kept in the `extra` column, as Keystone
keeps them. User options (`lock_password`, ...) are checked against Keystone's list and
kept, but not acted upon; a password with a NUL character, and any link to an identity
provider (`federated`: there is no federation here), are refused with a 400.
"""

from __future__ import annotations

import json

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.identity import groups, passwords, projects, schemas, views
from minicloud.identity.core import Keystone, duplicate, fixed, same_id
from minicloud.identity.store import IdentityStore, load_json, new_id

COLUMNS = ("name", "domain_id", "enabled", "default_project_id", "email", "description")
# never stored as extra attributes: they are computed, or secret
NOT_EXTRA = {"id", "links", "password", "password_expires_at", "federated", *COLUMNS}
MAX_PASSWORD = 4096


def view(req, row: dict) -> dict:
    extra = load_json(row["extra"], {})
    fields = {**extra, "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
              "enabled": views.flag(row["enabled"]), "password_expires_at": None,
              "options": extra.get("options") or {}}
    for key in ("default_project_id", "email", "description"):
        if row[key] is not None:
            fields[key] = row[key]
    return views.entity(req, f"users/{row['id']}", fields)


def _check_default_project(store: IdentityStore, project_id: str | None) -> None:
    if project_id is not None and store.project(project_id) is None:
        raise errors.BadRequest(f"Expecting to find default_project_id {project_id} in "
                                "project table.")


def _extra(fields: dict, old: dict | None = None) -> str:
    """The `extra` column: options and unknown attributes, merged over the old ones. As in
    Keystone, options given are set one by one and an option set to null is removed."""
    extra = dict(old or {})
    extra.update({k: v for k, v in fields.items() if k not in NOT_EXTRA and k != "options"})
    options = {**extra.get("options", {}), **(fields.get("options") or {})}
    extra["options"] = {k: v for k, v in options.items() if v is not None}
    return json.dumps(extra)


def check_password(value: str | None, field: str = "user.password") -> None:
    """Rules a new password must meet; the message never repeats the password."""
    if value is None:
        return
    if "\x00" in value:
        raise errors.BadRequest(f"Invalid input for field '{field}': a password may not "
                                "contain a NUL character.")
    if len(value) > MAX_PASSWORD:
        raise errors.BadRequest(f"Invalid input for field '{field}': a password may not be "
                                f"longer than {MAX_PASSWORD} characters.")


def _no_federation(fields: dict) -> None:
    """Keystone checks that each identity provider of `federated` exists; none does here."""
    for link in fields.get("federated") or []:
        raise errors.BadRequest(f"Could not find Identity Provider: {link['idp_id']}.")


def user_fields(req, schema: dict) -> dict:
    fields = read_json(req, schema)["user"]
    check_password(fields.get("password"))
    _no_federation(fields)
    return fields


class Users:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.store.users(name=req.get_param("name"), domain_id=req.get_param("domain_id"),
                                enabled=views.query_bool(req.get_param("enabled")))
        resp.media = views.collection(req, "users", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = user_fields(req, schemas.USER_CREATE)
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": self.keystone.new_domain_id(fields, req.context.ctx),
               "enabled": int(fields.get("enabled") is not False),
               "default_project_id": fields.get("default_project_id"),
               "email": fields.get("email"), "description": fields.get("description"),
               "extra": _extra(fields)}
        if fields.get("password") is not None:
            row["password_hash"] = self.keystone.hash_password(fields["password"])
            row["password_created_at"] = self.keystone.clock()
        with self.store.transaction():
            self.keystone.domain(row["domain_id"])
            _check_default_project(self.store, row["default_project_id"])
            if self.store.user_by_name(row["name"], row["domain_id"]):
                raise duplicate("user", row["name"], row["domain_id"])
            self.store.insert_user(row)
        resp.status = falcon.HTTP_201
        resp.media = {"user": view(req, row)}


class User:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, user_id):
        user = self.keystone.user(user_id)
        self.keystone.require_self_or_admin(req.context.ctx, user_id)
        resp.media = {"user": view(req, user)}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, user_id):
        fields = user_fields(req, schemas.USER_PATCH)
        with self.store.transaction():
            user = self.keystone.user(user_id)
            changes = self._changes(fields, user)
            self.store.update_user(user_id, changes)
        if "password_hash" in changes or changes.get("enabled") == 0:
            self.keystone.tokens.revoke_user(user_id)
        resp.media = {"user": view(req, self.keystone.user(user_id))}

    def _changes(self, fields: dict, user: dict) -> dict:
        same_id("user", fields, user["id"])
        if fields.get("domain_id") not in (None, user["domain_id"]):
            raise fixed("domain_id")
        changes = {k: fields[k] for k in ("email", "description", "default_project_id")
                   if k in fields}
        _check_default_project(self.store, changes.get("default_project_id"))
        if fields.get("name") is not None:
            other = self.store.user_by_name(fields["name"], user["domain_id"])
            if other and other["id"] != user["id"]:
                raise duplicate("user", fields["name"], user["domain_id"])
            changes["name"] = fields["name"]
        if fields.get("enabled") is not None:
            changes["enabled"] = int(fields["enabled"])
        if fields.get("password") is not None:
            changes["password_hash"] = self.keystone.hash_password(fields["password"])
            changes["password_created_at"] = self.keystone.clock()
        changes["extra"] = _extra(fields, load_json(user["extra"], {}))
        return changes

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, user_id):
        with self.store.transaction():
            self.keystone.user(user_id)
            self.store.delete_user(user_id)  # with their assignments and memberships
        self.keystone.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


class UserPassword:
    """`openstack user password set`: a user replaces their own password."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_post(self, req, resp, user_id):
        fields = read_json(req, schemas.USER_PASSWORD)["user"]
        check_password(fields["password"])
        user = self.keystone.user(user_id)
        if req.context.ctx.user_id != user_id:
            raise errors.Forbidden("You are not authorized to perform the requested action: "
                                   "only the user themself may change their password.")
        if not passwords.verify_password(fields["original_password"], user["password_hash"]):
            raise errors.Unauthorized("The request you have made requires authentication: "
                                      "the original password is wrong.")
        self.store.update_user(user_id, {
            "password_hash": self.keystone.hash_password(fields["password"]),
            "password_created_at": self.keystone.clock()})
        self.keystone.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


class UserProjects:
    """The projects a user holds a role on, directly or through a group."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, user_id):
        self.keystone.user(user_id)
        self.keystone.require_self_or_admin(req.context.ctx, user_id)
        found = [self.store.project(i) for i in self.store.user_project_ids(user_id)]
        rows = sorted((p for p in found if p), key=lambda p: p["name"])
        enabled = views.query_bool(req.get_param("enabled"))
        if enabled is not None:
            rows = [p for p in rows if views.flag(p["enabled"]) == enabled]
        resp.media = views.collection(req, "projects", [projects.view(req, p) for p in rows])


class UserGroups:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, user_id):
        self.keystone.user(user_id)
        self.keystone.require_self_or_admin(req.context.ctx, user_id)
        rows = self.store.user_groups(user_id)
        resp.media = views.collection(req, "groups", [groups.view(req, g) for g in rows])
