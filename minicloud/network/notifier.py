"""neutron-server -> agents: the RPC messages that make the data plane follow the API.

    port_update / port_delete / network_delete   fanout  q-agent-notifier  (every bridge agent)
    routers_updated / router_deleted             cast    l3_agent.<host>
    network_update / network_delete              cast    dhcp_agent.<host>

Each message carries what the agent needs to configure (as a real agent would fetch it
back over RPC), so an agent never reads network.db. Messages are sent after the API
transaction committed.
"""

from __future__ import annotations

import ipaddress
import logging

from minicloud.common import rpc
from minicloud.network.store import NetworkStore, load
from minicloud.topology import NETWORK_NODE

LOG = logging.getLogger(__name__)

NETWORK_HOST = NETWORK_NODE  # where the L3 and DHCP agents run (topology.py)
BRIDGE_TOPIC, L3_TOPIC, DHCP_TOPIC, PLUGIN_TOPIC = ("q-agent-notifier", "l3_agent",
                                                    "dhcp_agent", "q-plugin")
# Heartbeats travel on their own topic, as in Neutron, and untraced: one every few seconds
# per agent would bury the learner's own requests in `minicloud trace list`.
REPORTS_TOPIC = "q-reports-plugin"


def _cidr_of(store: NetworkStore, subnet_id: str) -> str:
    sub = store.get("subnets", subnet_id)
    return sub["cidr"] if sub else ""


def _prefixed(store: NetworkStore, allocation: dict) -> str:
    cidr = _cidr_of(store, allocation["subnet_id"])
    return f"{allocation['ip_address']}/{ipaddress.ip_network(cidr).prefixlen}" if cidr else ""


class Notifier:
    """`timeout`: how long a message may take to leave; the API answer must not hang on
    it (Config.rpc_quick_timeout)."""

    def __init__(self, store: NetworkStore, transport: rpc.Transport | None, tracer=None, *,
                 timeout: float):
        self.store = store
        self.client = (rpc.RPCClient(transport, BRIDGE_TOPIC, service="neutron-server",
                                     tracer=tracer, timeout=timeout) if transport else None)

    def _send(self, how: str, topic: str, ctx, method: str, **kwargs) -> None:
        if self.client is None:
            return
        client = self.client.prepare(topic=topic, server=NETWORK_HOST if how == "cast" else None)
        try:
            getattr(client, how)(ctx, method, **kwargs)
        except rpc.RPCError:  # the bus is gone (shutdown): the API answer stands
            LOG.warning("could not send %s to %s", method, topic)

    # -- what agents are told ---------------------------------------------------------------
    def network_info(self, network_id: str) -> dict | None:
        net = self.store.get("networks", network_id)
        if net is None:
            return None
        return {"id": net["id"], "network_type": net["network_type"],
                "physical_network": net["physical_network"],
                "segmentation_id": net["segmentation_id"], "mtu": net["mtu"]}

    def port_info(self, port: dict) -> dict:
        return {"id": port["id"], "network_id": port["network_id"], "mac_address":
                port["mac_address"], "device_owner": port["device_owner"],
                "device_id": port["device_id"], "binding:host_id": port["binding_host_id"],
                "fixed_ips": [{**a, "cidr": _prefixed(self.store, a)}
                              for a in self.store.allocations(port["id"])]}

    def router_info(self, router_id: str) -> dict | None:
        router = self.store.get("routers", router_id)
        if router is None:
            return None
        ports = self.store.router_ports(router_id)
        fips = self.store.associated_floatingips(router_id)
        gateway = None
        for port in ports:
            if port["device_owner"] == "network:router_gateway":
                gateway = self.port_info(port)
                subnet = self.store.get("subnets", gateway["fixed_ips"][0]["subnet_id"])
                gateway["gateway_ip"] = subnet["gateway_ip"] if subnet else None
        return {"id": router["id"], "enable_snat": bool(router["enable_snat"]),
                "gateway": gateway,
                "interfaces": [self.port_info(p) for p in ports
                               if p["device_owner"] == "network:router_interface"],
                "floating_ips": [{"floating_ip_address": f["floating_ip_address"],
                                  "fixed_ip_address": f["fixed_ip_address"]} for f in fips]}

    def dhcp_info(self, network_id: str) -> dict | None:
        info = self.network_info(network_id)
        if info is None:
            return None
        subnets = self.store.subnets_of(network_id)
        info["subnets"] = [{"id": s["id"], "cidr": s["cidr"], "gateway_ip": s["gateway_ip"],
                            "enable_dhcp": bool(s["enable_dhcp"]),
                            "dns_nameservers": load(s["dns_nameservers"], []),
                            "host_routes": load(s["host_routes"], [])} for s in subnets]
        info["ports"] = [self.port_info(p) for p in
                         self.store.ports_on_network(network_id)]
        return info

    # -- the messages -----------------------------------------------------------------------
    def port_changed(self, ctx, port_id: str) -> None:
        port = self.store.get("ports", port_id)
        if port is None:
            return
        info = self.port_info(port)
        self._send("fanout", BRIDGE_TOPIC, ctx, "port_update", port=info,
                   network=self.network_info(port["network_id"]))
        self._send("cast", DHCP_TOPIC, ctx, "port_update", port=info)

    def port_deleted(self, ctx, port_id: str, network_id: str) -> None:
        self._send("fanout", BRIDGE_TOPIC, ctx, "port_delete", port_id=port_id)
        self._send("cast", DHCP_TOPIC, ctx, "port_delete", port_id=port_id,
                   network_id=network_id)

    def dhcp_changed(self, ctx, network_id: str) -> None:
        info = self.dhcp_info(network_id)
        if info is not None:
            self._send("cast", DHCP_TOPIC, ctx, "network_update", network=info)

    def network_deleted(self, ctx, network_id: str) -> None:
        self._send("fanout", BRIDGE_TOPIC, ctx, "network_delete", network_id=network_id)
        self._send("cast", DHCP_TOPIC, ctx, "network_delete", network_id=network_id)

    def router_changed(self, ctx, router_id: str | None) -> None:
        info = self.router_info(router_id) if router_id else None
        if info is not None:
            self._send("cast", L3_TOPIC, ctx, "routers_updated", routers=[info])

    def router_deleted(self, ctx, router_id: str) -> None:
        self._send("cast", L3_TOPIC, ctx, "router_deleted", router_id=router_id)
