"""`/v3/projects`: the tenants that own servers, networks, volumes (`openstack project ...`).

A project lives in a domain (its `parent_id` is that domain unless it has a parent project).
Only admins list, create, change and delete projects; a user may read a project they hold
a role on. Deleting a project deletes its role assignments; a project with children cannot
be deleted. Limitation: projects acting as domains (`is_domain: true`) are not supported.
"""

from __future__ import annotations

import json

import falcon

from minicloud.common import errors, policy
from minicloud.identity import schemas, views
from minicloud.identity.core import Keystone, duplicate, fixed, same_id
from minicloud.identity.store import load_json, new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"projects/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"], "enabled": views.flag(row["enabled"]),
        "is_domain": False, "parent_id": row["parent_id"] or row["domain_id"],
        "tags": load_json(row["tags"], []), "options": {}})


def _listed(store, req) -> list[dict]:
    """The projects `GET /v3/projects` filters pick (`parent_id`: a top-level project's
    parent is its domain)."""
    if views.query_bool(req.get_param("is_domain")):
        return []  # no project is a domain here
    rows = store.projects(name=req.get_param("name"), domain_id=req.get_param("domain_id"),
                          parent_id=req.get_param("parent_id"),
                          enabled=views.query_bool(req.get_param("enabled")))
    return [r for r in rows if _tag_filter(req, load_json(r["tags"], []))]


def _tag_filter(req, tags: list[str]) -> bool:
    """Keystone's four tag filters: `tags` (all of), `tags-any`, `not-tags`, `not-tags-any`."""
    def wanted(key):
        value = req.get_param(key)
        return set(value.split(",")) if value else None

    have = set(tags)
    checks = {"tags": lambda w: w <= have, "tags-any": lambda w: bool(w & have),
              "not-tags": lambda w: not w <= have, "not-tags-any": lambda w: not w & have}
    return all(check(w) for key, check in checks.items() if (w := wanted(key)) is not None)


class Projects:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = _listed(self.store, req)
        resp.media = views.collection(req, "projects", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = views.body_of(req, schemas.PROJECT_CREATE, "project")
        if fields.get("is_domain"):
            raise errors.BadRequest("minicloud does not support projects acting as domains "
                                    "(is_domain: true).")
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": self.keystone.new_domain_id(fields, req.context.ctx),
               "description": fields.get("description") or "",
               "enabled": int(fields.get("enabled") is not False),
               "parent_id": None, "tags": json.dumps(fields.get("tags") or [])}
        with self.store.transaction():
            self.keystone.domain(row["domain_id"])
            row["parent_id"] = self._parent(fields.get("parent_id"), row["domain_id"])
            if self.store.project_by_name(row["name"], row["domain_id"]):
                raise duplicate("project", row["name"], row["domain_id"])
            self.store.insert_project(row)
        resp.status = falcon.HTTP_201
        resp.media = {"project": view(req, row)}

    def _parent(self, parent_id: str | None, domain_id: str) -> str | None:
        """The parent project's id, or None for a top-level project (parent = its domain)."""
        if parent_id is None or parent_id == domain_id:
            return None
        parent = self.keystone.project(parent_id)
        if parent["domain_id"] != domain_id:
            raise errors.BadRequest("Cannot create project, the parent "
                                    f"({parent_id}) is in a different domain.")
        return parent_id


class Project:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, project_id):
        project = self.keystone.project(project_id)
        ctx = req.context.ctx
        if project_id not in self.store.user_project_ids(ctx.user_id):
            policy.enforce(ctx, "admin")
        resp.media = {"project": view(req, project)}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, project_id):
        fields = views.body_of(req, schemas.PROJECT_PATCH, "project")
        with self.store.transaction():
            project = self.keystone.project(project_id)
            changes = _changes(fields, project)
            name = changes.get("name")
            other = self.store.project_by_name(name, project["domain_id"]) if name else None
            if other and other["id"] != project_id:
                raise duplicate("project", name, project["domain_id"])
            self.store.update_project(project_id, changes)
        resp.media = {"project": view(req, self.keystone.project(project_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        with self.store.transaction():
            self.keystone.project(project_id)
            if self.store.has_child_projects(project_id):
                raise errors.Forbidden(f"Cannot delete the project {project_id} since it is "
                                       "not a leaf in the hierarchy.")
            self.store.delete_project(project_id)  # with its role assignments
        resp.status = falcon.HTTP_204


def _changes(fields: dict, project: dict) -> dict:
    """The columns a PATCH body changes; the id, domain and parent are fixed at creation."""
    same_id("project", fields, project["id"])
    if fields.get("domain_id") not in (None, project["domain_id"]):
        raise fixed("domain_id")
    if fields.get("parent_id") not in (None, project["parent_id"] or project["domain_id"]):
        raise fixed("parent_id")
    if fields.get("is_domain"):
        raise fixed("is_domain")
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
