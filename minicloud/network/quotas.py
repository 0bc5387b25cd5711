"""`/v2.0/quotas`: how many networks, ports, ... each project may have
(`openstack quota show|set --networks N ...`).

Defaults are Neutron's (network 100, subnet 100, port 500, router 10, floatingip 50,
security_group 10, security_group_rule 100), changeable per cloud with
`Config.network_quotas` and per project by an admin. Exceeding one is a 409 OverQuota
"Quota exceeded for resources: ['network']." (checked inside the creating transaction).
"""

from __future__ import annotations

import falcon

from minicloud.common import policy
from minicloud.common.validation import read_json
from minicloud.network import schemas
from minicloud.network.core import QUOTA_DEFAULTS, Neutron, bad_request


def limits(neutron: Neutron, project_id: str) -> dict:
    return {r: neutron.quota_limit(project_id, r) for r in QUOTA_DEFAULTS}


def _may_read(ctx, project_id: str) -> None:
    if project_id != ctx.project_id:
        policy.enforce(ctx, "admin")


class Quotas:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        projects = self.neutron.store.quota_projects()
        resp.media = {"quotas": [{**limits(self.neutron, p), "project_id": p, "tenant_id": p}
                                 for p in projects]}


class Quota:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, project_id):
        _may_read(req.context.ctx, project_id)
        resp.media = {"quota": limits(self.neutron, project_id)}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, project_id):
        wanted = read_json(req, schemas.QUOTA_UPDATE)["quota"]
        check_limit = wanted.pop("check_limit", False)
        wanted.pop("force", None)
        unknown = set(wanted) - set(QUOTA_DEFAULTS)
        if unknown:
            raise bad_request(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        store = self.neutron.store
        with store.transaction():  # all limits or none, each checked against the usage
            for resource, limit in wanted.items():
                used = self.neutron.usage(project_id, resource)
                if check_limit and 0 <= limit < used:
                    raise bad_request(f"Quota limit {limit} for {resource} must be greater "
                                      f"than or equal to already used {used}.",
                                      "InvalidQuotaValue")
                store.set_quota_limit(project_id, resource, limit)
        resp.media = {"quota": limits(self.neutron, project_id)}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        self.neutron.store.delete_quota_limits(project_id)
        resp.status = falcon.HTTP_204


class QuotaDefault:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, project_id):
        _may_read(req.context.ctx, project_id)
        resp.media = {"quota": {r: self.neutron.default_quota(r) for r in QUOTA_DEFAULTS}}


class QuotaDetails:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, project_id):
        _may_read(req.context.ctx, project_id)
        resp.media = {"quota": {r: {"limit": limit, "used": self.neutron.usage(project_id, r),
                                    "reserved": 0}
                                for r, limit in limits(self.neutron, project_id).items()}}
