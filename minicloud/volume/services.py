"""`/v3/{project_id}/os-services` and `/scheduler-stats/get_pools` (admin): which Cinder
services run and whether they are up (`openstack volume service list`), and what each
backend reported (`openstack volume backend pool list --long`).

cinder-api asks cinder-scheduler over RPC: every cinder-volume reports its capacity to the
scheduler every `report_interval` seconds, and one that has not reported for
`service_down_time` seconds is `down`. A scheduler that does not answer is `down` too.
"""

from __future__ import annotations

import datetime

import falcon

from minicloud.common import policy, rpc
from minicloud.volume.core import Cinder


def _time(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")


def _row(binary: str, host: str, up: bool, when: float) -> dict:
    return {"binary": binary, "host": host, "zone": "nova", "status": "enabled",
            "state": "up" if up else "down", "updated_at": _time(when),
            "disabled_reason": None, "frozen": False, "cluster": None,
            "replication_status": "disabled", "active_backend_id": None, "backend_state": None}


class Services:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        now = self.cinder.clock()
        down_after = getattr(self.cinder.config, "service_down_time", 60.0)
        try:
            reported = self.cinder.scheduler.prepare(timeout=5).call(req.context.ctx,
                                                                     "get_services")
            rows = [_row("cinder-scheduler", "controller", True, now)]
        except rpc.RPCError:
            reported, rows = [], [_row("cinder-scheduler", "controller", False, now)]
        rows += [_row("cinder-volume", r["host"], now - r["last_seen"] <= down_after,
                      r["last_seen"]) for r in reported]
        for name in ("binary", "host"):
            if req.get_param(name):
                rows = [r for r in rows if r[name] == req.get_param(name)]
        resp.media = {"services": rows}


class Pools:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        pools = self.cinder.scheduler.prepare(timeout=5).call(req.context.ctx, "get_pools")
        detail = (req.get_param("detail") or "").lower() in ("true", "1")
        resp.media = {"pools": [p if detail else {"name": p["name"]} for p in pools]}

