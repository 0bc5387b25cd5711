"""Role inference rules (`openstack implied role create|list|delete`): holding a prior role
implies another, so a token for an admin also carries member and reader, as in Keystone."""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.identity import views
from minicloud.identity.core import Keystone


def _ref(req, role: dict) -> dict:
    return {"id": role["id"], "name": role["name"],
            "links": {"self": views.url(req, f"roles/{role['id']}")}}


def _inference(req, prior: dict, implied: list[dict]) -> dict:
    return {"prior_role": _ref(req, prior), "implies": [_ref(req, r) for r in implied]}


class RoleInferences:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        resp.media = {"role_inferences": [_inference(req, p, self.store.implied_roles(p["id"]))
                                          for p in self.store.prior_roles()],
                      "links": {"self": views.url(req, "role_inferences")}}


class ImpliedRoles:
    """`/v3/roles/{role_id}/implies`: what one role implies."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id):
        prior = self.keystone.role(role_id)
        resp.media = {"role_inference": _inference(req, prior, self.store.implied_roles(role_id)),
                      "links": {"self": views.url(req, f"roles/{role_id}/implies")}}


class ImpliedRole:
    """`/v3/roles/{role_id}/implies/{implied_role_id}`: one rule."""

    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def _pair(self, role_id: str, implied_role_id: str) -> tuple[dict, dict]:
        return self.keystone.role(role_id), self.keystone.role(implied_role_id)

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, role_id, implied_role_id):
        prior, implied = self._pair(role_id, implied_role_id)
        if role_id == implied_role_id:
            raise errors.BadRequest("A role cannot imply itself.")
        with self.store.transaction():
            if self.store.role_reaches(implied_role_id, role_id):
                raise errors.Conflict("That rule would make roles imply each other in a loop.")
            self.store.add_implied_role(role_id, implied_role_id)
        resp.status = falcon.HTTP_201
        resp.media = {"role_inference": {"prior_role": _ref(req, prior),
                                         "implies": _ref(req, implied)}}

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id, implied_role_id):
        prior, implied = self._pair(role_id, implied_role_id)
        if not self.store.implies(role_id, implied_role_id):
            raise errors.NotFound(f"{role_id} does not imply {implied_role_id}.")
        resp.media = {"role_inference": {"prior_role": _ref(req, prior),
                                         "implies": _ref(req, implied)}}

    @falcon.before(policy.require("admin"))
    def on_head(self, req, resp, role_id, implied_role_id):
        self._pair(role_id, implied_role_id)
        resp.status = (falcon.HTTP_204 if self.store.implies(role_id, implied_role_id)
                       else falcon.HTTP_404)

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, role_id, implied_role_id):
        self._pair(role_id, implied_role_id)
        if not self.store.implies(role_id, implied_role_id):
            raise errors.NotFound(f"{role_id} does not imply {implied_role_id}.")
        self.store.delete_implied_role(role_id, implied_role_id)
        resp.status = falcon.HTTP_204
