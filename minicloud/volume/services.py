"""`/v3/{project_id}/os-services`, `/os-availability-zone` and `/scheduler-stats/get_pools`
(admin, except zones): which Cinder services run and whether they are up (`openstack
volume service list`), their zones (`openstack availability zone list --volume`), and
what each backend reported (`openstack volume backend pool list --long`).

cinder-api asks cinder-scheduler over RPC: every cinder-volume reports its capacity to the
scheduler every `report_interval` seconds, and one that has not reported for
`service_down_time` seconds is `down`. A scheduler that does not answer is `down` too.
The availability zones (`/os-availability-zone`) are those of the cinder-volume services.
"""

from __future__ import annotations

import datetime

import falcon

from minicloud.common import policy, rpc, servicegroup
from minicloud.topology import CONTROLLER
from minicloud.volume import microversions
from minicloud.volume.core import Cinder


def _time(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")


def _row(req, binary: str, host: str, up: bool, when: float) -> dict:
    """One line of `volume service list`, with the fields Cinder shows for its binary at
    this microversion (the replication fields and backend state are cinder-volume's)."""
    row = {"binary": binary, "host": host, "zone": "nova", "status": "enabled",
           "state": "up" if up else "down", "updated_at": _time(when)}
    volume = binary == "cinder-volume"
    if volume and microversions.at_least(req, "3.49"):
        row["backend_state"] = "up" if up else None  # what its pool last reported
    if microversions.at_least(req, "3.7"):
        row["cluster"] = None
    row["disabled_reason"] = None
    if volume:
        row.update(replication_status="disabled", active_backend_id=None, frozen=False)
    return row


def reported_volume_services(cinder: Cinder, ctx) -> list[dict] | None:
    """What cinder-scheduler knows of the cinder-volume services, or None if it is down."""
    try:
        return cinder.scheduler.prepare(timeout=cinder.config.rpc_quick_timeout).call(
            ctx, "get_services")
    except rpc.RPCError:
        return None


class Services:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        now = self.cinder.clock()
        reported = reported_volume_services(self.cinder, req.context.ctx)
        rows = [_row(req, "cinder-scheduler", CONTROLLER, reported is not None, now)]
        down_time = self.cinder.config.service_down_time
        rows += [_row(req, "cinder-volume", r["host"],
                      servicegroup.service_is_up(r, down_time, now), r["last_seen"])
                 for r in reported or []]
        for name in ("binary", "host"):
            if req.get_param(name):
                rows = [r for r in rows if r[name] == req.get_param(name)]
        resp.media = {"services": rows}


class AvailabilityZones:
    """`GET /os-availability-zone` (`openstack availability zone list --volume`): the zones
    of the cinder-volume services. Every storage node is in `nova`; as in Cinder, a zone is
    available unless all its services are disabled (never, here), whether they are up or not."""

    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp):
        reported = reported_volume_services(self.cinder, req.context.ctx) or []
        zones = ["nova"] if reported else []
        resp.media = {"availabilityZoneInfo": [
            {"zoneName": zone, "zoneState": {"available": True}} for zone in zones]}


class Pools:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        scheduler = self.cinder.scheduler.prepare(timeout=self.cinder.config.rpc_quick_timeout)
        pools = scheduler.call(req.context.ctx, "get_pools")
        detail = (req.get_param("detail") or "").lower() in ("true", "1")
        resp.media = {"pools": [p if detail else {"name": p["name"]} for p in pools]}

