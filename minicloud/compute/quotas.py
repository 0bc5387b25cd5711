"""`/limits` (`openstack limits show --absolute`) and `/os-quota-sets` (`quota show|set`).

Quotas are counted, not reserved: creating a server counts the project's instances, cores
and RAM (under one lock) before it is recorded; going over is a 403 with Nova's message.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.compute import schemas
from minicloud.compute.servers import ComputeAPI
from minicloud.compute.store import DEFAULT_QUOTAS


class Limits:
    def __init__(self, api: ComputeAPI):
        self.api = api

    def on_get(self, req, resp):
        ctx = req.context.ctx
        project = req.get_param("tenant_id") if ctx.is_admin and req.get_param(
            "tenant_id") else ctx.project_id
        q, used = self.api.store.quotas(project), self.api.store.usage(project)
        resp.media = {"limits": {"rate": [], "absolute": {
            "maxTotalInstances": q["instances"], "maxTotalCores": q["cores"],
            "maxTotalRAMSize": q["ram"], "maxServerMeta": q["metadata_items"],
            "maxTotalKeypairs": q["key_pairs"], "maxServerGroups": q["server_groups"],
            "maxServerGroupMembers": q["server_group_members"],
            "maxPersonality": q["injected_files"],
            "maxPersonalitySize": q["injected_file_content_bytes"],
            "totalInstancesUsed": used["instances"], "totalCoresUsed": used["cores"],
            "totalRAMUsed": used["ram"], "totalServerGroupsUsed": 0}}}


class QuotaSet:
    def __init__(self, api: ComputeAPI, defaults: bool = False, detail: bool = False):
        self.api, self.defaults, self.detail = api, defaults, detail

    def on_get(self, req, resp, project_id):
        ctx = req.context.ctx
        if project_id != ctx.project_id and not ctx.is_admin:
            raise errors.Forbidden("Policy doesn't allow os_compute_api:os-quota-sets:show to "
                                   "be performed.")
        limits = dict(DEFAULT_QUOTAS) if self.defaults else self.api.store.quotas(project_id)
        if self.detail:
            used = self.api.store.usage(project_id)
            body = {k: {"limit": v, "in_use": used.get(k, 0), "reserved": 0}
                    for k, v in limits.items()}
        else:
            body = dict(limits)
        resp.media = {"quota_set": {"id": project_id, **body}}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, project_id):
        fields = read_json(req, schemas.QUOTA_UPDATE)["quota_set"]
        fields.pop("force", None)
        for key, value in fields.items():
            if key not in DEFAULT_QUOTAS:
                raise errors.BadRequest(f"Bad key(s) {key} in quota_set")
            try:
                self.api.store.set_quota(project_id, key, int(value))
            except ValueError:
                raise errors.BadRequest(f"Quota limit {value} for {key} must be an integer.")
        resp.media = {"quota_set": self.api.store.quotas(project_id)}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        self.api.store.db.execute("DELETE FROM quotas WHERE project_id = ?", (project_id,))
        resp.status = falcon.HTTP_202
