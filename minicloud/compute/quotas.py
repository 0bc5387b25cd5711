"""`/limits` (`openstack limits show --absolute`) and `/os-quota-sets` (`quota show|set`).

Quotas are counted, not reserved: creating a server counts the project's instances, cores
and RAM (under one lock) before it is recorded; going over is a 403 with Nova's message.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.compute import schemas
from minicloud.compute.microversions import at_least
from minicloud.compute.core import DEFAULT_QUOTAS, Nova


# Nova still lists the quotas of its old nova-network (fixed and floating IPs, security
# groups) and of file injection, with their defaults, until the microversion that dropped
# them: 2.36 (network proxies) and 2.57 (personality files).
LEGACY_QUOTAS = {"fixed_ips": -1, "floating_ips": 10, "security_groups": 10,
                 "security_group_rules": 20}
DROPPED_236 = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules")
DROPPED_257 = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def dropped(req) -> tuple[str, ...]:
    """The quotas this microversion no longer shows."""
    if at_least(req, "2.57"):
        return DROPPED_236 + DROPPED_257
    return DROPPED_236 if at_least(req, "2.36") else ()


def visible(req, limits: dict) -> dict:
    gone = dropped(req)
    return {k: v for k, v in {**LEGACY_QUOTAS, **limits}.items() if k not in gone}


# `limits.absolute` name -> quota, in Nova's order; the used counts follow.
ABSOLUTE = [("maxImageMeta", "metadata_items"), ("maxPersonality", "injected_files"),
            ("maxPersonalitySize", "injected_file_content_bytes"),
            ("maxSecurityGroupRules", "security_group_rules"),
            ("maxSecurityGroups", "security_groups"), ("maxServerGroupMembers",
                                                      "server_group_members"),
            ("maxServerGroups", "server_groups"), ("maxServerMeta", "metadata_items"),
            ("maxTotalCores", "cores"), ("maxTotalFloatingIps", "floating_ips"),
            ("maxTotalInstances", "instances"), ("maxTotalKeypairs", "key_pairs"),
            ("maxTotalRAMSize", "ram")]
USED = [("totalCoresUsed", "cores"), ("totalFloatingIpsUsed", "floating_ips"),
        ("totalInstancesUsed", "instances"), ("totalRAMUsed", "ram"),
        ("totalSecurityGroupsUsed", "security_groups"),
        ("totalServerGroupsUsed", "server_groups")]


class Limits:
    def __init__(self, api: Nova):
        self.api = api

    def on_get(self, req, resp):
        ctx = req.context.ctx
        project = req.get_param("tenant_id") if ctx.is_admin and req.get_param(
            "tenant_id") else ctx.project_id
        limits = visible(req, self.api.quotas(project))
        used = {"server_groups": 0, "floating_ips": 0, "security_groups": 0,
                **self.api.store.usage(project)}
        absolute = {name: limits[quota] for name, quota in ABSOLUTE if quota in limits}
        if at_least(req, "2.39"):  # image metadata moved to Glance's own limits
            absolute.pop("maxImageMeta")
        absolute.update({name: used[quota] for name, quota in USED if quota in limits})
        resp.media = {"limits": {"rate": [], "absolute": absolute}}


class QuotaSet:
    def __init__(self, api: Nova, defaults: bool = False, detail: bool = False):
        self.api, self.defaults, self.detail = api, defaults, detail

    def on_get(self, req, resp, project_id):
        ctx = req.context.ctx
        if project_id != ctx.project_id and not ctx.is_admin:
            raise errors.Forbidden("Policy doesn't allow os_compute_api:os-quota-sets:show to "
                                   "be performed.")
        limits = visible(req, dict(DEFAULT_QUOTAS) if self.defaults else
                         self.api.quotas(project_id))
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
        known = visible(req, DEFAULT_QUOTAS)
        for key, value in fields.items():
            if key not in known:
                raise errors.BadRequest(f"Invalid input for field/attribute quota_set. "
                                        f"Additional properties are not allowed ('{key}' was "
                                        f"unexpected)")
            try:
                limit = int(value)
            except ValueError:
                raise errors.BadRequest(f"Quota limit {value} for {key} must be an "
                                        f"integer.") from None
            if not -1 <= limit <= 0x7FFFFFFF:
                raise errors.BadRequest(f"Quota limit {limit} for {key} must be -1 or "
                                        f"between 0 and {0x7FFFFFFF}.")
            self.api.store.set_quota_limit(project_id, key, limit)
        # Nova's update answer has no `id`
        resp.media = {"quota_set": visible(req, self.api.quotas(project_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        self.api.store.delete_quota_limits(project_id)
        resp.status = falcon.HTTP_202
