"""What every Cinder resource module works on: the store, the config, the RPC clients to
cinder-scheduler and cinder-volume, Glance, and the rules they share (who sees what,
Cinder's error messages, quotas).

Resource modules (volumes.py, snapshots.py, ...) hold the logic as functions of a `Cinder`
and a RequestContext, so tests and the bench call the same code as the API.
"""

from __future__ import annotations

import time

from minicloud.common import errors, rpc
from minicloud.volume.store import VolumeStore

SCHEDULER_TOPIC = "cinder-scheduler"
VOLUME_TOPIC = "cinder-volume"
REPORTS_TOPIC = "cinder-volume-reports"  # cinder-volume -> cinder-api: what happened
DEFAULT_TYPE = "__DEFAULT__"

QUOTA_DEFAULTS = {"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
                  "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1}
ENFORCED = ("volumes", "snapshots", "gigabytes")


def not_found(noun: str, ident: str) -> errors.NotFound:
    """`Volume x could not be found.` (Cinder's VolumeNotFound and friends)."""
    return errors.NotFound(f"{noun} {ident} could not be found.")


def invalid(noun: str, reason: str) -> errors.BadRequest:
    """Cinder's Invalid* errors: `Invalid volume: <reason>`."""
    return errors.BadRequest(f"Invalid {noun}: {reason}")


class Cinder:
    def __init__(self, config, store: VolumeStore, transport=None, tracer=None, images=None,
                 clock=time.time):
        self.config, self.store, self.clock = config, store, clock
        self.images = images  # an ImageClient (Glance over REST), or None in unit tests
        self.transport = transport
        timeout = config.rpc_response_timeout
        self.scheduler = rpc.RPCClient(transport, SCHEDULER_TOPIC, service="cinder-api",
                                       tracer=tracer, timeout=timeout) if transport else None
        self.volume_rpc = rpc.RPCClient(transport, VOLUME_TOPIC, service="cinder-api",
                                        tracer=tracer, timeout=timeout) if transport else None

    def volume_host(self, host: str) -> rpc.RPCClient:
        """The cinder-volume of one storage node."""
        return self.volume_rpc.prepare(server=host.split("#")[0])

    # -- who sees what ----------------------------------------------------------------------
    @staticmethod
    def visible(ctx, row: dict) -> bool:
        return ctx.is_admin or row["project_id"] == ctx.project_id

    def _shown_to(self, ctx, row: dict | None, noun: str, row_id: str) -> dict:
        """The row if the caller may see it; a 404 for a row that is not there or not theirs."""
        if row is None or not self.visible(ctx, row):
            raise not_found(noun, row_id)
        return row

    def volume(self, ctx, volume_id: str) -> dict:
        return self._shown_to(ctx, self.store.volume(volume_id), "Volume", volume_id)

    def snapshot(self, ctx, snapshot_id: str) -> dict:
        return self._shown_to(ctx, self.store.snapshot(snapshot_id), "Snapshot", snapshot_id)

    def attachment(self, ctx, attachment_id: str) -> dict:
        return self._shown_to(ctx, self.store.attachment(attachment_id), "Attachment",
                             attachment_id)

    # -- quotas -----------------------------------------------------------------------------
    def default_quota(self, resource: str) -> int:
        """The cloud's default: `Config.volume_quotas`, else Cinder's (QUOTA_DEFAULTS)."""
        return int(self.config.volume_quotas.get(resource, QUOTA_DEFAULTS[resource]))

    def quota_limit(self, project_id: str, resource: str) -> int:
        """The limit an admin set for the project, else the cloud's default."""
        limit = self.store.quota_limit(project_id, resource)
        return self.default_quota(resource) if limit is None else limit

    def usage(self, project_id: str, resource: str) -> int:
        return self.store.project_usage(project_id).get(resource, 0)

    def check_quota(self, project_id: str, count: str | None, gigabytes: int) -> None:
        """Cinder's answers when a new volume or snapshot (`count`) or `gigabytes` more do
        not fit (413 overLimit). Call inside the transaction that inserts the row."""
        per_volume = self.quota_limit(project_id, "per_volume_gigabytes")
        if count == "volumes" and 0 <= per_volume < gigabytes:
            raise errors.PayloadTooLarge(
                f"VolumeSizeExceedsLimit: Requested volume size {gigabytes}G is larger than "
                f"maximum allowed limit {per_volume}G.")
        quota, used = self.quota_limit(project_id, "gigabytes"), self.usage(project_id,
                                                                           "gigabytes")
        if 0 <= quota < used + gigabytes:
            raise errors.PayloadTooLarge(
                f"VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds "
                f"allowed gigabytes quota. Requested {gigabytes}G, quota is {quota}G and "
                f"{used}G has been consumed.")
        allowed = self.quota_limit(project_id, count) if count else -1
        if 0 <= allowed <= self.usage(project_id, count):
            kind = "VolumeLimitExceeded" if count == "volumes" else "SnapshotLimitExceeded"
            raise errors.PayloadTooLarge(
                f"{kind}: Maximum number of {count} allowed ({allowed}) exceeded for quota "
                f"'{count}'.")

    # -- volume types -----------------------------------------------------------------------
    def default_type(self) -> dict:
        found = self.store.volume_type_by_name(DEFAULT_TYPE)
        return found or {"id": "", "name": DEFAULT_TYPE}  # only before bootstrap

    def volume_type(self, name_or_id: str) -> dict:
        found = self.store.volume_type_by_name_or_id(name_or_id)
        if found is None:
            raise not_found("Volume type", name_or_id)
        return found
