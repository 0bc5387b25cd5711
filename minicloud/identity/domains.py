"""`/v3/domains`: the containers of projects, users and groups (`openstack domain ...`).

A domain must be disabled before it can be deleted, and deleting it deletes everything in
it (its projects, users, groups and their role assignments), as Keystone does.
Unlike Keystone, the `default` domain (which holds the admin user) can be neither
disabled nor deleted: a learner could otherwise lock everyone out of their cloud.
"""

from __future__ import annotations

import json

import falcon

from minicloud.common import errors, policy
from minicloud.identity import schemas, views
from minicloud.identity.core import DEFAULT_DOMAIN, Keystone, duplicate, same_id
from minicloud.identity.store import IdentityStore, load_json, new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"domains/{row['id']}", {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "enabled": views.flag(row["enabled"]), "tags": load_json(row["tags"], []),
        "options": {}})


def _may_read(store: IdentityStore, ctx, domain_id: str) -> bool:
    """Keystone lets a user see the domain their token is scoped to, or their project's domain."""
    if ctx.domain_id == domain_id:
        return True
    project = store.project(ctx.project_id) if ctx.project_id else None
    return project is not None and project["domain_id"] == domain_id


class Domains:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.store.domains(name=req.get_param("name"),
                                  enabled=views.query_bool(req.get_param("enabled")))
        resp.media = views.collection(req, "domains", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = views.body_of(req, schemas.DOMAIN_CREATE, "domain")
        row = {"id": new_id(), "name": fields["name"],
               "description": fields.get("description") or "",
               "enabled": int(fields.get("enabled") is not False),
               "tags": json.dumps(fields.get("tags") or [])}
        with self.store.transaction():
            if self.store.domain_by_name(row["name"]):
                raise duplicate("domain", row["name"])
            self.store.insert_domain(row)
        resp.status = falcon.HTTP_201
        resp.media = {"domain": view(req, row)}


class Domain:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, domain_id):
        domain = self.keystone.domain(domain_id)
        ctx = req.context.ctx
        if not _may_read(self.store, ctx, domain_id):
            policy.enforce(ctx, "admin")
        resp.media = {"domain": view(req, domain)}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, domain_id):
        fields = views.body_of(req, schemas.DOMAIN_PATCH, "domain")
        same_id("domain", fields, domain_id)
        changes = _changes(fields)
        if domain_id == DEFAULT_DOMAIN and changes.get("enabled") == 0:
            raise errors.Forbidden("minicloud does not let the default domain be disabled: "
                                   "it holds the admin user.")
        with self.store.transaction():
            self.keystone.domain(domain_id)
            other = self.store.domain_by_name(changes.get("name", ""))
            if other and other["id"] != domain_id:
                raise duplicate("domain", changes["name"])
            self.store.update_domain(domain_id, changes)
        resp.media = {"domain": view(req, self.keystone.domain(domain_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, domain_id):
        with self.store.transaction():
            domain = self.keystone.domain(domain_id)
            if domain_id == DEFAULT_DOMAIN:
                raise errors.Forbidden("minicloud does not let the default domain be deleted: "
                                       "it holds the admin user.")
            if domain["enabled"]:
                raise errors.Forbidden(
                    "Cannot delete a domain that is enabled, please disable it first.")
            # Tokens of its users stop validating because the users no longer exist.
            self.store.delete_domain(domain_id)
        resp.status = falcon.HTTP_204


def _changes(fields: dict) -> dict:
    """The columns a PATCH body changes (null means "leave as is")."""
    changes = {}
    if fields.get("name") is not None:
        changes["name"] = fields["name"]
    if "description" in fields:
        changes["description"] = fields["description"] or ""
    if fields.get("enabled") is not None:
        changes["enabled"] = int(fields["enabled"])
    if "tags" in fields:
        changes["tags"] = json.dumps(fields["tags"] or [])
    return changes

