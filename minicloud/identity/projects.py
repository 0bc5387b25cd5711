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
from minicloud.identity.domains import require_domain
from minicloud.identity.store import IdentityStore, load_json, new_id


def view(req, row: dict) -> dict:
    return views.entity(req, f"projects/{row['id']}", {
        "id": row["id"], "name": row["name"], "domain_id": row["domain_id"],
        "description": row["description"], "enabled": views.flag(row["enabled"]),
        "is_domain": False, "parent_id": row["parent_id"] or row["domain_id"],
        "tags": load_json(row["tags"], []), "options": {}})


def _duplicate(name: str, domain_id: str) -> errors.Conflict:
    return errors.Conflict("Conflict occurred attempting to store project - Duplicate entry "
                           f"found with name {name} at domain ID {domain_id}.")


def _filter_sql(req) -> tuple[str, list]:
    where, params = [], []
    for key in ("name", "domain_id"):
        if req.get_param(key) is not None:
            where.append(f"{key} = ?")
            params.append(req.get_param(key))
    if req.get_param("parent_id") is not None:
        # a top-level project's parent is its domain
        where.append("COALESCE(parent_id, domain_id) = ?")
        params.append(req.get_param("parent_id"))
    enabled = views.query_bool(req.get_param("enabled"))
    if enabled is not None:
        where.append("enabled = ?")
        params.append(int(enabled))
    if views.query_bool(req.get_param("is_domain")):
        where.append("0")  # no project is a domain here
    return " AND ".join(where), params


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
    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.store.rows("projects", *_filter_sql(req))
        rows = [r for r in rows if _tag_filter(req, load_json(r["tags"], []))]
        resp.media = views.collection(req, "projects", [view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = views.body_of(req, schemas.PROJECT_CREATE, "project")
        if fields.get("is_domain"):
            raise errors.BadRequest("minicloud does not support projects acting as domains "
                                    "(is_domain: true).")
        row = {"id": new_id(), "name": fields["name"],
               "domain_id": fields.get("domain_id") or req.context.ctx.domain_id or "default",
               "description": fields.get("description") or "",
               "enabled": int(fields.get("enabled") is not False),
               "parent_id": None, "tags": json.dumps(fields.get("tags") or [])}
        with self.store.transaction() as db:
            require_domain(self.store, row["domain_id"])
            row["parent_id"] = self._parent(fields.get("parent_id"), row["domain_id"])
            if self.store.project_by_name(row["name"], row["domain_id"]):
                raise _duplicate(row["name"], row["domain_id"])
            db["projects"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"project": view(req, row)}

    def _parent(self, parent_id: str | None, domain_id: str) -> str | None:
        """The parent project's id, or None for a top-level project (parent = its domain)."""
        if parent_id is None or parent_id == domain_id:
            return None
        parent = views.must_exist(self.store.project(parent_id), "project", parent_id)
        if parent["domain_id"] != domain_id:
            raise errors.BadRequest("Cannot create project, the parent "
                                    f"({parent_id}) is in a different domain.")
        return parent_id


class Project:
    def __init__(self, store: IdentityStore):
        self.store = store

    def _find(self, project_id: str) -> dict:
        return views.must_exist(self.store.project(project_id), "project", project_id)

    def on_get(self, req, resp, project_id):
        project = self._find(project_id)
        ctx = req.context.ctx
        if project_id not in self.store.user_project_ids(ctx.user_id):
            policy.enforce(ctx, "admin")
        resp.media = {"project": view(req, project)}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, project_id):
        fields = views.body_of(req, schemas.PROJECT_UPDATE, "project")
        with self.store.transaction() as db:
            project = self._find(project_id)
            changes = _changes(fields, project)
            name = changes.get("name")
            other = self.store.project_by_name(name, project["domain_id"]) if name else None
            if other and other["id"] != project_id:
                raise _duplicate(name, project["domain_id"])
            if changes:
                db["projects"].update(project_id, changes)
        resp.media = {"project": view(req, self._find(project_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        with self.store.transaction() as db:
            self._find(project_id)
            if self.store.one("projects", "parent_id = ?", (project_id,)):
                raise errors.Forbidden(f"Cannot delete the project {project_id} since it is "
                                       "not a leaf in the hierarchy.")
            db.execute("DELETE FROM assignments WHERE target_id = ? AND type IN "
                       "('UserProject', 'GroupProject')", (project_id,))
            db["projects"].delete(project_id)
        resp.status = falcon.HTTP_204


def _changes(fields: dict, project: dict) -> dict:
    """The columns a PATCH body changes; the id, domain and parent are fixed at creation."""
    if fields.get("id") not in (None, project["id"]):
        raise errors.BadRequest("Cannot change the ID of a project.")
    if fields.get("domain_id") not in (None, project["domain_id"]):
        raise errors.BadRequest("Update of `domain_id` is not allowed.")
    if fields.get("parent_id") not in (None, project["parent_id"] or project["domain_id"]):
        raise errors.BadRequest("Update of `parent_id` is not allowed.")
    if fields.get("is_domain"):
        raise errors.BadRequest("Update of `is_domain` is not allowed.")
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
