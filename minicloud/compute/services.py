"""`/os-services` (`openstack compute service list|set`) and `/os-availability-zone`.

A service is up while its heartbeats arrive (one every `report_interval` s, through the
conductor); after `service_down_time` s of silence it is down and the scheduler's
ComputeFilter stops choosing it. Admins disable and enable compute services (by UUID from
2.53, by host and binary before).
"""

from __future__ import annotations


import falcon

from minicloud.common import errors, policy, servicegroup
from minicloud.common.validation import read_json
from minicloud.compute import schemas
from minicloud.compute.microversions import at_least
from minicloud.compute.core import Nova
from minicloud.common.timeutils import isotime


def view(req, api: Nova, row: dict) -> dict:
    body = {"id": row["uuid"] if at_least(req, "2.53") else row["id"], "binary": row["binary"],
            "host": row["host"], "zone": "internal" if row["binary"] != "nova-compute"
            else row["zone"], "status": "disabled" if row["disabled"] else "enabled",
            "state": "up" if servicegroup.service_is_up(row, api.config.service_down_time)
            else "down",
            "updated_at": isotime(row["last_seen"]).replace("Z", ".000000") if row[
                "last_seen"] else None,
            "disabled_reason": row["disabled_reason"]}
    if at_least(req, "2.11"):
        body["forced_down"] = bool(row["forced_down"])
    return body


class Services:
    def __init__(self, api: Nova):
        self.api = api

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.api.store.services()
        for key in ("host", "binary"):
            if req.get_param(key):
                rows = [r for r in rows if r[key] == req.get_param(key)]
        resp.media = {"services": [view(req, self.api, r) for r in rows]}


class Service:
    def __init__(self, api: Nova):
        self.api = api

    def _row(self, service_id: str) -> dict:
        rows = [r for r in self.api.store.services() if service_id in (r["uuid"], str(r["id"]))]
        if not rows:
            raise errors.NotFound(f"Service {service_id} not found.")
        return rows[0]

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, service_id):
        if service_id in ("enable", "disable", "disable-log-reason", "force-down"):
            return self._legacy(req, resp, service_id)
        if not at_least(req, "2.53"):
            raise errors.NotFound("Updating a service by id needs microversion 2.53.")
        row = self._row(service_id)
        fields = read_json(req, schemas.SERVICE_UPDATE)
        if row["binary"] != "nova-compute" and "status" in fields:
            raise errors.BadRequest(f"Updating a {row['binary']} service is not supported. "
                                    "Only nova-compute services can be updated.")
        self._apply(row, fields)
        resp.media = {"service": view(req, self.api, self._row(service_id))}

    def _apply(self, row: dict, fields: dict) -> None:
        updates = {}
        if "status" in fields:
            updates["disabled"] = int(fields["status"] == "disabled")
            updates["disabled_reason"] = fields.get("disabled_reason") if updates[
                "disabled"] else None
        if "forced_down" in fields:
            updates["forced_down"] = int(fields["forced_down"])
        if updates:
            self.api.store.update_service(row["id"], **updates)

    def _legacy(self, req, resp, verb: str):
        body = read_json(req)
        rows = [r for r in self.api.store.services() if r["host"] == body.get("host")
                and r["binary"] == body.get("binary", "nova-compute")]
        if not rows:
            raise errors.NotFound(f"Host {body.get('host')} not found.")
        fields = {"enable": {"status": "enabled"}, "disable": {"status": "disabled"},
                  "disable-log-reason": {"status": "disabled",
                                         "disabled_reason": body.get("disabled_reason")},
                  "force-down": {"forced_down": bool(body.get("forced_down"))}}[verb]
        self._apply(rows[0], fields)
        row = self._row(str(rows[0]["id"]))
        # Before 2.53 the answer names only what the verb changed.
        body = {"host": row["host"], "binary": row["binary"]}
        if verb == "force-down":
            body["forced_down"] = bool(row["forced_down"])
        else:
            body["status"] = "disabled" if row["disabled"] else "enabled"
        if verb == "disable-log-reason":
            body["disabled_reason"] = row["disabled_reason"]
        resp.media = {"service": body}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, service_id):
        row = self._row(service_id)
        if row["binary"] == "nova-compute" and self.api.store.instances(host=row["host"]):
            raise errors.Conflict(f"Unable to delete compute service that is hosting "
                                  f"instances.")
        self.api.store.delete_service(row["id"])
        resp.status = falcon.HTTP_204


class AvailabilityZones:
    def __init__(self, api: Nova, detail: bool = False):
        self.api, self.detail = api, detail

    def on_get(self, req, resp):
        if self.detail:
            policy.enforce(req.context.ctx, "admin")
        services = self.api.store.services()
        zones = [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
        if self.detail:
            zones[0]["hosts"] = {s["host"]: {s["binary"]: self._state(s)}
                                 for s in services if s["binary"] == "nova-compute"}
            internal = {}
            for s in services:
                if s["binary"] != "nova-compute":
                    internal.setdefault(s["host"], {})[s["binary"]] = self._state(s)
            zones.append({"zoneName": "internal", "zoneState": {"available": True},
                          "hosts": internal})
        resp.media = {"availabilityZoneInfo": zones}

    def _state(self, s: dict) -> dict:
        return {"available": servicegroup.service_is_up(
                    s, self.api.config.service_down_time), "active": not s["disabled"],
                "updated_at": isotime(s["last_seen"])}


class Aggregates:
    """`/os-aggregates`: host aggregates do not exist here (read by `hypervisor show`)."""

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        resp.media = {"aggregates": []}
