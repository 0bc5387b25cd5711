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

import logging

import falcon

from minicloud.common import errors, trace
from minicloud.common.microversions import parse
from minicloud.common.validation import read_json, validate
from minicloud.common.clients import ServiceError
from minicloud.compute.microversions import at_least

LOG = logging.getLogger(__name__)

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


# -- the compute host's side (ComputeManager.external_instance_event) ----------------------
def handle(manager, ctx, instance: dict, events: list[dict]) -> None:
    """On the server's host: `network-changed` and `network-vif-deleted` refresh the network
    info cache from Neutron; the other events have no waiter here and are only logged."""
    if not any(e["name"] in ("network-changed", "network-vif-deleted") for e in events):
        LOG.info("%s: events %s for %s: nothing to do", manager.host,
                 [e["name"] for e in events], instance["id"])
        return
    try:
        network_info = refresh_network_info(manager.networks, instance)
    except ServiceError as exc:
        LOG.warning("%s: network info of %s not refreshed: %s", manager.host, instance["id"],
                    exc)
        return
    manager.conductor.call(ctx, "instance_update", instance_id=instance["id"],
                           updates={"network_info": network_info})
    span = trace.current()
    if span is not None:
        span.attrs["note"] = "network info cache: " + ", ".join(
            _describe(vif) for vif in network_info)


def refresh_network_info(networks, instance: dict) -> list[dict]:
    """The instance's ports in Neutron now, with their fixed and floating IPs, in the order
    the cache had them (new ports last), as Nova's `_build_network_info_model` does."""
    ports = {p["id"]: p for p in networks.ports(device_id=instance["id"])}
    cached = {vif["port_id"]: vif for vif in instance["network_info"]}
    order = [pid for pid in cached if pid in ports] + [pid for pid in ports
                                                       if pid not in cached]
    brought = {r.get("port") for r in instance["requested_networks"]}
    return [_vif(networks, ports[pid], cached.get(pid), pid in brought) for pid in order]


def _vif(networks, port: dict, cached: dict | None, preexisting: bool) -> dict:
    name = cached["network_name"] if cached and cached["network_id"] == port[
        "network_id"] else (networks.network(port["network_id"]).get("name")
                            or port["network_id"])
    ips = port.get("fixed_ips") or [{}]
    floating = [f["floating_ip_address"] for f in networks.floating_ips(port_id=port["id"])]
    # What else the cache knew of the interface (its tag, ...) stays.
    return {**(cached or {}), "port_id": port["id"], "network_id": port["network_id"],
            "network_name": name, "ip": ips[0].get("ip_address"),
            "mac": port.get("mac_address"), "floating_ips": floating,
            "preexisting": preexisting or bool((cached or {}).get("preexisting"))}


def _describe(vif: dict) -> str:
    floating = "".join(f" + {f}" for f in vif["floating_ips"])
    return f"{vif['network_name']} {vif['ip']}{floating}"
