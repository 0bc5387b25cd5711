"""Identity (admin only): projects, users and role assignments, from Keystone's v3 API."""

from __future__ import annotations

from minicloud.dashboard import forms
from minicloud.dashboard.app import redirect
from minicloud.dashboard.views.base import Panel


class Projects(Panel):
    def on_get(self, req, resp):
        projects = self.api(req).get("identity", "/projects")["projects"]
        self.render(req, resp, "identity_projects.html", title="Projects", projects=projects)

    def on_post(self, req, resp):
        form = req.context.form
        self.api(req).post("identity", "/projects", {"project": {
            "name": forms.text(form, "name"), "description": forms.text(form, "description"),
            "domain_id": "default", "enabled": True}})
        req.context.session.flash("success", f"Project {forms.text(form, 'name')} created.")
        raise redirect("/identity/projects")


class Users(Panel):
    def on_get(self, req, resp):
        users = self.api(req).get("identity", "/users")["users"]
        self.render(req, resp, "identity_users.html", title="Users", users=users)


class RoleAssignments(Panel):
    def on_get(self, req, resp):
        api = self.api(req)
        assignments = api.get("identity", "/role_assignments", params={"include_names": "true"})
        self.render(req, resp, "identity_assignments.html", title="Role Assignments",
                    assignments=assignments["role_assignments"])
