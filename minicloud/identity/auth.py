"""`/v3/auth/...`: log in (issue a token), validate and revoke tokens, and what a token
may be scoped to. `POST /v3/auth/tokens` is the first request of every CLI command."""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json
from minicloud.identity import schemas, views
from minicloud.identity.core import Keystone


class AuthTokens:
    public_methods = frozenset({"POST"})

    def __init__(self, keystone: Keystone):
        self.keystone, self.tokens = keystone, keystone.tokens

    def on_post(self, req, resp):
        body = read_json(req, schemas.AUTH)
        token_id, token = self.tokens.authenticate(body["auth"])
        resp.status = falcon.HTTP_201
        resp.set_header("X-Subject-Token", token_id)
        resp.media = self.tokens.body(token, catalog="nocatalog" not in req.params)

    def _subject(self, req):
        subject = req.get_header("X-Subject-Token")
        if not subject:
            raise errors.BadRequest("Missing the X-Subject-Token header.")
        try:
            token = self.tokens.validate(subject)
        except errors.Unauthorized:
            raise errors.NotFound(f"Could not find token: {subject[:16]}...") from None
        ctx = req.context.ctx
        # Keystone's rule: an admin or a service may look at any token, a user at their own.
        if not (ctx.is_admin or "service" in ctx.roles or ctx.user_id == token.user["id"]):
            raise errors.Forbidden()
        return subject, token

    def on_get(self, req, resp):
        subject, token = self._subject(req)
        resp.set_header("X-Subject-Token", subject)
        resp.media = self.tokens.body(token, catalog="nocatalog" not in req.params)

    def on_head(self, req, resp):
        subject, _ = self._subject(req)
        resp.set_header("X-Subject-Token", subject)
        resp.status = falcon.HTTP_200

    def on_delete(self, req, resp):
        _, token = self._subject(req)
        self.tokens.revoke_token(token)
        resp.status = falcon.HTTP_204


class AuthCatalog:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        token = self.keystone.tokens.validate(req.context.ctx.auth_token)
        if not token.scoped:
            raise errors.Forbidden("The service catalog needs a scoped token.")
        resp.media = {"catalog": self.store.catalog(req.context.ctx.project_id),
                      "links": {"self": views.url(req, "auth/catalog"),
                                "previous": None, "next": None}}


class AuthProjects:
    """The projects the caller may scope a token to."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        ids = self.store.user_project_ids(req.context.ctx.user_id)
        projects = [p for p in (self.store.project(i) for i in ids) if p and p["enabled"]]
        resp.media = views.collection(req, "projects", [
            views.entity(req, f"projects/{p['id']}",
                         {"id": p["id"], "name": p["name"], "domain_id": p["domain_id"],
                          "enabled": True, "description": p["description"],
                          "parent_id": p["parent_id"] or p["domain_id"], "is_domain": False})
            for p in sorted(projects, key=lambda p: p["name"])])


class AuthDomains:
    """The domains the caller may scope a token to."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        user_id = req.context.ctx.user_id
        domains = [d for d in self.store.domains(enabled=True)
                   if self.store.roles_on(user_id, d["id"], "Domain")]
        resp.media = views.collection(req, "domains", [
            views.entity(req, f"domains/{d['id']}",
                         {"id": d["id"], "name": d["name"], "enabled": True,
                          "description": d["description"]}) for d in domains])


class AuthSystem:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        has = bool(self.store.roles_on(req.context.ctx.user_id, "system", "System"))
        resp.media = {"system": [{"all": True}] if has else [],
                      "links": {"self": views.url(req, "auth/system")}}
