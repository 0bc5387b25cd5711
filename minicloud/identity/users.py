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
from minicloud.identity.domains import require_domain
from minicloud.identity.store import IdentityStore, load_json, new_id
from minicloud.identity.tokens import TokenService

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


def _duplicate(name: str, domain_id: str) -> errors.Conflict:
    return errors.Conflict("Conflict occurred attempting to store user - Duplicate entry "
                           f"found with name {name} at domain ID {domain_id}.")


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
    def __init__(self, store: IdentityStore, tokens: TokenService, scrypt_n: int):
        self.store = store
        self.tokens = tokens
        self.scrypt_n = scrypt_n

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        where, params = [], []
        for key in ("name", "domain_id"):
            if req.get_param(key) is not None:
                where.append(f"{key} = ?")
                params.append(req.get_param(key))
        enabled = views.query_bool(req.get_param("enabled"))
        if enabled is not None:
            where.append("enabled = ?")
            params.append(int(enabled))
        rows = self.store.rows("users", " AND ".join(where), params)
        resp.media = views.collection(req, "users", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = user_fields(req, schemas.USER_CREATE)
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": fields.get("domain_id") or req.context.ctx.domain_id or "default",
               "enabled": int(fields.get("enabled") is not False),
               "default_project_id": fields.get("default_project_id"),
               "email": fields.get("email"), "description": fields.get("description"),
               "extra": _extra(fields)}
        if fields.get("password") is not None:
            row["password_hash"] = passwords.hash_password(fields["password"], n=self.scrypt_n)
            row["password_created_at"] = self.tokens.clock()
        with self.store.transaction() as db:
            require_domain(self.store, row["domain_id"])
            _check_default_project(self.store, row["default_project_id"])
            if self.store.user_by_name(row["name"], row["domain_id"]):
                raise _duplicate(row["name"], row["domain_id"])
            db["users"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"user": view(req, row)}


class User:
    def __init__(self, store: IdentityStore, tokens: TokenService, scrypt_n: int):
        self.store = store
        self.tokens = tokens
        self.scrypt_n = scrypt_n

    def _find(self, user_id: str) -> dict:
        return views.must_exist(self.store.user(user_id), "user", user_id)

    def on_get(self, req, resp, user_id):
        user = self._find(user_id)
        if req.context.ctx.user_id != user_id:
            policy.enforce(req.context.ctx, "admin")
        resp.media = {"user": view(req, user)}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, user_id):
        fields = user_fields(req, schemas.USER_UPDATE)
        with self.store.transaction() as db:
            user = self._find(user_id)
            changes = self._changes(fields, user)
            if changes:
                db["users"].update(user_id, changes)
        if "password_hash" in changes or changes.get("enabled") == 0:
            self.tokens.revoke_user(user_id)
        resp.media = {"user": view(req, self._find(user_id))}

    def _changes(self, fields: dict, user: dict) -> dict:
        if fields.get("id") not in (None, user["id"]):
            raise errors.BadRequest("Cannot change the ID of a user.")
        if fields.get("domain_id") not in (None, user["domain_id"]):
            raise errors.BadRequest("Update of `domain_id` is not allowed.")
        changes = {k: fields[k] for k in ("email", "description", "default_project_id")
                   if k in fields}
        _check_default_project(self.store, changes.get("default_project_id"))
        if fields.get("name") is not None:
            other = self.store.user_by_name(fields["name"], user["domain_id"])
            if other and other["id"] != user["id"]:
                raise _duplicate(fields["name"], user["domain_id"])
            changes["name"] = fields["name"]
        if fields.get("enabled") is not None:
            changes["enabled"] = int(fields["enabled"])
        if fields.get("password") is not None:
            changes["password_hash"] = passwords.hash_password(fields["password"],
                                                               n=self.scrypt_n)
            changes["password_created_at"] = self.tokens.clock()
        changes["extra"] = _extra(fields, load_json(user["extra"], {}))
        return changes

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, user_id):
        with self.store.transaction() as db:
            self._find(user_id)
            # group memberships go with the row (ON DELETE CASCADE); assignments name the
            # user only by id, so they are deleted here
            db.execute("DELETE FROM assignments WHERE actor_id = ? AND type LIKE 'User%'",
                       (user_id,))
            db["users"].delete(user_id)
        self.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


class UserPassword:
    """`openstack user password set`: a user replaces their own password."""

    def __init__(self, store: IdentityStore, tokens: TokenService, scrypt_n: int):
        self.store = store
        self.tokens = tokens
        self.scrypt_n = scrypt_n

    def on_post(self, req, resp, user_id):
        fields = read_json(req, schemas.USER_PASSWORD)["user"]
        check_password(fields["password"])
        user = views.must_exist(self.store.user(user_id), "user", user_id)
        if req.context.ctx.user_id != user_id:
            raise errors.Forbidden("You are not authorized to perform the requested action: "
                                   "only the user themself may change their password.")
        if not passwords.verify_password(fields["original_password"], user["password_hash"]):
            raise errors.Unauthorized("The request you have made requires authentication: "
                                      "the original password is wrong.")
        self.store.db["users"].update(user_id, {
            "password_hash": passwords.hash_password(fields["password"], n=self.scrypt_n),
            "password_created_at": self.tokens.clock()})
        self.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


def _self_or_admin(req, store: IdentityStore, user_id: str) -> None:
    views.must_exist(store.user(user_id), "user", user_id)
    if req.context.ctx.user_id != user_id:
        policy.enforce(req.context.ctx, "admin")


class UserProjects:
    """The projects a user holds a role on, directly or through a group."""

    def __init__(self, store: IdentityStore):
        self.store = store

    def on_get(self, req, resp, user_id):
        _self_or_admin(req, self.store, user_id)
        found = [self.store.project(i) for i in self.store.user_project_ids(user_id)]
        rows = sorted((p for p in found if p), key=lambda p: p["name"])
        enabled = views.query_bool(req.get_param("enabled"))
        if enabled is not None:
            rows = [p for p in rows if views.flag(p["enabled"]) == enabled]
        resp.media = views.collection(req, "projects", [projects.view(req, p) for p in rows])


class UserGroups:
    def __init__(self, store: IdentityStore):
        self.store = store

    def on_get(self, req, resp, user_id):
        _self_or_admin(req, self.store, user_id)
        rows = self.store.query("SELECT groups_.* FROM groups_ JOIN group_members ON "
                                "group_members.group_id = groups_.id WHERE user_id = ? "
                                "ORDER BY name", (user_id,))
        resp.media = views.collection(req, "groups", [groups.view(req, g) for g in rows])
