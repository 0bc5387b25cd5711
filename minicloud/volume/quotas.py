"""`/v3/{project_id}/os-quota-sets/{project_id}`: how many volumes, snapshots and
gigabytes a project may use (`openstack quota show|set --volumes N --gigabytes G`), and
`/limits` (`openstack limits show --absolute`).

Defaults are Cinder's (volumes 10, snapshots 10, gigabytes 1000; snapshots count towards
gigabytes), changeable per cloud with `Config.volume_quotas` and per project by an admin.
Exceeding one is a 413 `overLimit`, checked in the transaction that creates the row.
As in Cinder, every volume type adds three lines (`volumes_<type>`, `gigabytes_<type>`,
`snapshots_<type>`); here they are always unlimited (-1) and cannot be set.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.volume import schemas
from minicloud.volume.core import ENFORCED, QUOTA_DEFAULTS, Cinder


def _may_read(ctx, project_id: str) -> None:
    if project_id != ctx.project_id:
        policy.enforce(ctx, "admin")


PER_TYPE = ("volumes", "gigabytes", "snapshots")


def _per_type(cinder: Cinder, project_id: str, usage: bool) -> dict:
    """The `<resource>_<type name>` lines: unlimited, with the type's usage if asked."""
    lines = {}
    for vtype in cinder.store.volume_types():
        used = cinder.store.type_usage(project_id, vtype["id"]) if usage else {}
        for part in PER_TYPE:
            lines[f"{part}_{vtype['name']}"] = (
                {"limit": -1, "in_use": used[part], "reserved": 0} if usage else -1)
    return lines


def quota_set(cinder: Cinder, project_id: str, usage: bool) -> dict:
    """The quota lines of a project; with `usage`, each as {limit, in_use, reserved}."""
    body = {}
    for resource in QUOTA_DEFAULTS:
        limit = cinder.quota_limit(project_id, resource)
        if usage:
            used = cinder.usage(project_id, resource) if resource in ENFORCED else 0
            body[resource] = {"limit": limit, "in_use": used, "reserved": 0}
        else:
            body[resource] = limit
    return {**body, **_per_type(cinder, project_id, usage)}


def defaults(cinder: Cinder) -> dict:
    lines = {r: cinder.default_quota(r) for r in QUOTA_DEFAULTS}
    return {**lines, **{k: -1 for k in _per_type(cinder, "", usage=False)}}


class QuotaSet:
    def __init__(self, cinder: Cinder, defaults: bool = False):
        self.cinder, self.defaults = cinder, defaults

    def on_get(self, req, resp, project_id):
        _may_read(req.context.ctx, project_id)
        if self.defaults:
            resp.media = {"quota_set": {**defaults(self.cinder), "id": project_id}}
            return
        usage = (req.get_param("usage") or "false").lower() in ("true", "1", "yes")
        resp.media = {"quota_set": {**quota_set(self.cinder, project_id, usage),
                                    "id": project_id}}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, project_id):
        wanted = read_json(req, schemas.QUOTA_UPDATE)["quota_set"]
        per_type = set(wanted) & set(_per_type(self.cinder, project_id, usage=False))
        if per_type:
            raise errors.BadRequest(f"Invalid input received: per-volume-type quotas cannot "
                                    f"be set in minicloud: {', '.join(sorted(per_type))}")
        unknown = set(wanted) - set(QUOTA_DEFAULTS) - {"tenant_id", "id"}
        if unknown:
            raise errors.BadRequest(f"Invalid input received: Bad key(s) in quota set: "
                                    f"{', '.join(sorted(unknown))}")
        with self.cinder.store.transaction():  # every limit is set, or none
            for resource, limit in wanted.items():
                if resource not in QUOTA_DEFAULTS:
                    continue
                limit = int(limit)
                if limit < -1:
                    raise errors.BadRequest(f"Invalid input received: Quota limit {limit} for "
                                            f"{resource} must be -1 or greater.")
                self.cinder.store.set_quota_limit(project_id, resource, limit)
        # Cinder's update answer has no `id` line, unlike show's
        resp.media = {"quota_set": quota_set(self.cinder, project_id, False)}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, project_id):
        self.cinder.store.delete_quota_limits(project_id)
        resp.status = falcon.HTTP_200


class Limits:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp):
        project = req.context.ctx.project_id
        limit, used = self.cinder.quota_limit, self.cinder.usage
        resp.media = {"limits": {"rate": [], "absolute": {
            "maxTotalVolumes": limit(project, "volumes"),
            "maxTotalSnapshots": limit(project, "snapshots"),
            "maxTotalVolumeGigabytes": limit(project, "gigabytes"),
            "maxTotalBackups": limit(project, "backups"),
            "maxTotalBackupGigabytes": limit(project, "backup_gigabytes"),
            "totalVolumesUsed": used(project, "volumes"),
            "totalSnapshotsUsed": used(project, "snapshots"),
            "totalGigabytesUsed": used(project, "gigabytes"),
            "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}}}
