"""The compute host's side of `POST /os-server-external-events` (external_events.py is
nova-api's): nova-compute gets `external_instance_event` and, for `network-changed` and
`network-vif-deleted`, refreshes the server's network info cache from Neutron and hands it
to the conductor. Kept apart from the API resource so a compute node loads no web
framework.
"""

from __future__ import annotations

import logging

from minicloud.common import trace
from minicloud.common.clients import ServiceError

LOG = logging.getLogger(__name__)


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
