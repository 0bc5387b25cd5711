"""Role inference rules (`openstack implied role create|list|delete`): holding a prior role
implies another, so a token for an admin also carries member and reader, as in Keystone."""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.identity import views
from minicloud.identity.store import IdentityStore


def _ref(req, role: dict) -> dict:
    return {"id": role["id"], "name": role["name"],
            "links": {"self": views.url(req, f"roles/{role['id']}")}}


def _inference(req, prior: dict, implied: list[dict]) -> dict:
    return {"prior_role": _ref(req, prior), "implies": [_ref(req, r) for r in implied]}


def _implied_of(store: IdentityStore, prior_id: str) -> list[dict]:
    return store.query("SELECT roles.* FROM implied_roles JOIN roles ON roles.id = "
                       "implied_roles.implied_role_id WHERE prior_role_id = ? ORDER BY name",
                       (prior_id,))


class RoleInferences:
    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        priors = self.store.query("SELECT DISTINCT roles.* FROM implied_roles JOIN roles ON "
                                  "roles.id = implied_roles.prior_role_id ORDER BY name")
        resp.media = {"role_inferences": [_inference(req, p, _implied_of(self.store, p["id"]))
                                          for p in priors],
                      "links": {"self": views.url(req, "role_inferences")}}


class ImpliedRoles:
    """`/v3/roles/{role_id}/implies`: what one role implies."""

    def __init__(self, store: IdentityStore):
        self.store = store

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id):
        prior = views.must_exist(self.store.role(role_id), "role", role_id)
        resp.media = {"role_inference": _inference(req, prior, _implied_of(self.store, role_id)),
                      "links": {"self": views.url(req, f"roles/{role_id}/implies")}}


class ImpliedRole:
    """`/v3/roles/{role_id}/implies/{implied_role_id}`: one rule."""

    def __init__(self, store: IdentityStore):
        self.store = store

    def _pair(self, role_id: str, implied_role_id: str) -> tuple[dict, dict]:
        prior = views.must_exist(self.store.role(role_id), "role", role_id)
        implied = views.must_exist(self.store.role(implied_role_id), "role", implied_role_id)
        return prior, implied

    def _exists(self, role_id: str, implied_role_id: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM implied_roles WHERE prior_role_id = ? AND "
                                     "implied_role_id = ?", (role_id, implied_role_id)))

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, role_id, implied_role_id):
        prior, implied = self._pair(role_id, implied_role_id)
        if role_id == implied_role_id:
            raise errors.BadRequest("A role cannot imply itself.")
        with self.store.transaction() as db:
            if self.store.query("WITH RECURSIVE c(id) AS (SELECT ? UNION SELECT "
                                "implied_role_id FROM implied_roles JOIN c ON prior_role_id "
                                "= c.id) SELECT 1 FROM c WHERE id = ?",
                                (implied_role_id, role_id)):
                raise errors.Conflict("That rule would make roles imply each other in a loop.")
            db["implied_roles"].upsert({"prior_role_id": role_id,
                                        "implied_role_id": implied_role_id},
                                       pk=("prior_role_id", "implied_role_id"))
        resp.status = falcon.HTTP_201
        resp.media = {"role_inference": {"prior_role": _ref(req, prior),
                                         "implies": _ref(req, implied)}}

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp, role_id, implied_role_id):
        prior, implied = self._pair(role_id, implied_role_id)
        if not self._exists(role_id, implied_role_id):
            raise errors.NotFound(f"{role_id} does not imply {implied_role_id}.")
        resp.media = {"role_inference": {"prior_role": _ref(req, prior),
                                         "implies": _ref(req, implied)}}

    @falcon.before(policy.require("admin"))
    def on_head(self, req, resp, role_id, implied_role_id):
        self._pair(role_id, implied_role_id)
        resp.status = (falcon.HTTP_204 if self._exists(role_id, implied_role_id)
                       else falcon.HTTP_404)

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, role_id, implied_role_id):
        self._pair(role_id, implied_role_id)
        if not self._exists(role_id, implied_role_id):
            raise errors.NotFound(f"{role_id} does not imply {implied_role_id}.")
        self.store.db.execute("DELETE FROM implied_roles WHERE prior_role_id = ? AND "
                              "implied_role_id = ?", (role_id, implied_role_id))
        resp.status = falcon.HTTP_204
