"""`POST /os-server-external-events`: how Neutron tells Nova that a server's ports
changed, and how the server's compute host then refreshes its network info cache.

    neutron-server --REST, neutron's service token--> nova-api  (this resource, admin only)
    nova-api --cast external_instance_event--> nova-compute@<the server's host>
    nova-compute --REST GET ports, floatingips--> neutron-server    (refresh_network_info)
    nova-compute --call instance_update(network_info)--> nova-conductor --> compute.db

`openstack server add floating ip` talks to Neutron only; this is why `server show` then
lists the floating address (`OS-EXT-IPS:type: floating`). Neutron sends `network-changed`
(tag: the port id) when a floating IP is associated or disassociated and when a port's
fixed IPs change (minicloud/network/nova_notifier.py), carrying the trace headers of its own
request, so `minicloud trace` shows the whole chain. Each event gets its own result: code
200 (sent to the host), 404 (no such server), 422 (the server has no host yet) or 400 (a
tag is missing where one is required); the answer is 207 when any event failed.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.common.microversions import parse
from minicloud.common.validation import read_json, validate
from minicloud.compute.microversions import at_least


# Event names, and the microversion that added each.
EVENT_NAMES = [("network-changed", "2.1"), ("network-vif-plugged", "2.1"),
               ("network-vif-unplugged", "2.1"), ("network-vif-deleted", "2.1"),
               ("volume-extended", "2.51"), ("power-update", "2.76"),
               ("accelerator-request-bound", "2.82"), ("volume-reimaged", "2.93")]
TAG_REQUIRED = ("volume-extended", "power-update", "accelerator-request-bound")
UUID = r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"


def _schema(names: list[str]) -> dict:
    return {"type": "object", "required": ["events"], "additionalProperties": False,
            "properties": {"events": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["name", "server_uuid"],
                "additionalProperties": False,
                "properties": {"name": {"enum": names},
                               "server_uuid": {"type": "string", "pattern": UUID},
                               "status": {"enum": ["failed", "completed", "in-progress"]},
                               "tag": {"type": "string", "maxLength": 255}}}}}}


# One schema per microversion that added a name (validators are cached per schema).
SCHEMAS = {version: _schema([n for n, v in EVENT_NAMES if parse(v) <= parse(version)])
           for _, version in EVENT_NAMES}


def schema(req) -> dict:
    return SCHEMAS[max((v for v in SCHEMAS if at_least(req, v)), key=parse)]


class ServerExternalEvents:
    """nova-api's side: check each event, cast the good ones to the servers' hosts."""

    def __init__(self, api):
        self.api = api

    def on_post(self, req, resp):
        ctx = req.context.ctx
        if not (ctx.is_admin or "service" in ctx.roles):
            raise errors.Forbidden("Policy doesn't allow os_compute_api:os-server-external-"
                                   "events:create to be performed.", kind="forbidden")
        events = validate(read_json(req), schema(req))["events"]
        accepted: dict[str, tuple[dict, list]] = {}
        for event in events:
            event.setdefault("status", "completed")
            instance = self.api.store.instance(event["server_uuid"])
            event["code"] = _code(event, instance)
            if event["code"] == 200:
                accepted.setdefault(instance["id"], (instance, []))[1].append(dict(event))
            else:
                event["status"] = "failed"
        for instance, wanted in accepted.values():
            self.api.cast_to_host(ctx, instance, "external_instance_event", events=wanted)
        resp.status = falcon.HTTP_207 if any(e["code"] != 200 for e in events) else (
            falcon.HTTP_200)
        resp.media = {"events": events}


def _code(event: dict, instance: dict | None) -> int:
    if instance is None:
        return 404
    if event["name"] in TAG_REQUIRED and event.get("tag") is None:
        return 400
    return 200 if instance["host"] else 422
