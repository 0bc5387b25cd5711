"""Log in (POST /v3/auth/tokens through keystoneauth, the token kept in the server-side
session) and log out (DELETE /v3/auth/tokens: the token is revoked, not just forgotten)."""

from __future__ import annotations

from minicloud.dashboard import client, forms
from minicloud.dashboard.app import redirect, safe_next


class Home:
    def on_get(self, req, resp):
        raise redirect("/project")


class Login:
    def __init__(self, dash):
        self.dash = dash

    def on_get(self, req, resp):
        session = req.context.session
        if session is not None and session.logged_in:
            raise redirect(safe_next(req.get_param("next")))
        if session is None:
            req.context.session = self.dash.sessions.new()
        self.dash.render(req, resp, "login.html", next=safe_next(req.get_param("next")))

    def on_post(self, req, resp):
        form = req.context.form
        user = forms.text(form, "username")
        project = forms.text(form, "project") or user  # demo's project is demo, admin's admin
        domain = forms.text(form, "domain") or "Default"
        try:
            token, body, expires = client.log_in(self.dash.config.auth_url, user,
                                                 forms.text(form, "password"), project, domain)
        except client.ApiError as exc:
            req.context.errors.append(("error", f"Unable to log in: {exc.message}"))
            self.dash.render(req, resp, "login.html", next=safe_next(forms.text(form, "next")))
            return
        req.context.session = self.dash.sessions.log_in(
            req.context.session, token, body, expires)
        raise redirect(safe_next(forms.text(form, "next")))


class Logout:
    def __init__(self, dash):
        self.dash = dash

    def on_post(self, req, resp):
        session = req.context.session
        try:
            self.dash.api(req).revoke()
        except client.ApiError:
            pass  # already expired or revoked: the session goes all the same
        self.dash.sessions.drop(session.id)
        fresh = req.context.session = self.dash.sessions.new()
        fresh.flash("success", "You have been signed out; your token was revoked.")
        raise redirect("/auth/login")
