"""The Linux bridge agent (neutron-linuxbridge-agent), one per node.

For each network with a port bound to its host, it would create a bridge
`brq<network id[:11]>` holding the port's tap device and the network's uplink: a VXLAN
interface `vxlan-<VNI>` over the data network for tenant networks, the node's physical
interface for a flat network (the external network, on the network node). Once a tap is
in its bridge the port is wired: the agent casts `update_device_up` (port -> ACTIVE).
Empty bridges are removed.
"""

from __future__ import annotations

from minicloud.network.dataplane.base import Agent


def bridge_name(network_id: str) -> str:
    return f"brq{network_id[:11]}"


def tap_name(port_id: str) -> str:
    return f"tap{port_id[:11]}"


class BridgeAgent(Agent):
    agent_type, binary, topic = "Linux bridge agent", "neutron-linuxbridge-agent", "q-agent-notifier"
    availability_zone = None

    def __init__(self, host: str, *, local_ip: str, physical_interfaces: dict | None = None,
                 **kwargs):
        super().__init__(host, **kwargs)
        self.local_ip = local_ip
        self.physical_interfaces = physical_interfaces or {}
        self.state = {"bridges": {}, "ports": {}}  # ports: port id -> bridge name

    def configurations(self) -> dict:
        return {"interface_mappings": self.physical_interfaces, "tunnel_types": ["vxlan"],
                "tunneling_ip": self.local_ip, "devices": len(self.state["ports"])}

    def _uplink(self, network: dict) -> dict:
        if network["network_type"] == "vxlan":
            vni = network["segmentation_id"]
            return {"name": f"vxlan-{vni}", "type": "vxlan", "vni": vni,
                    "local_ip": self.local_ip, "dstport": 4789}
        physnet = network.get("physical_network")
        return {"name": self.physical_interfaces.get(physnet, f"<no interface for {physnet}>"),
                "type": "physical", "physical_network": physnet}

    def full_sync(self, ctx) -> None:
        devices = self.plugin.call(ctx, "get_devices_details_list", host=self.host)
        with self.lock:
            self.state["bridges"].clear()
            self.state["ports"].clear()
        for device in devices:
            self.port_update(ctx, device["port"], device["network"])

    # -- RPC from neutron-server (fanout q-agent-notifier) -----------------------------------
    def port_update(self, ctx, port: dict, network: dict | None) -> None:
        bound_here = port.get("binding:host_id") == self.host
        with self.lock:
            if port["id"] in self.state["ports"] and not bound_here:
                self._unplug(port["id"])
            if not bound_here or network is None:
                return
            bridge = self.state["bridges"].setdefault(bridge_name(network["id"]), {
                "network_id": network["id"], "mtu": network["mtu"],
                "uplink": self._uplink(network), "taps": []})
            tap = tap_name(port["id"])
            if tap not in bridge["taps"]:
                bridge["taps"].append(tap)
            self.state["ports"][port["id"]] = bridge_name(network["id"])
        self.device_up(ctx, port["id"])

    def port_delete(self, ctx, port_id: str) -> None:
        with self.lock:
            if port_id in self.state["ports"]:
                self._unplug(port_id)

    def network_delete(self, ctx, network_id: str) -> None:
        with self.lock:
            name = bridge_name(network_id)
            self.state["bridges"].pop(name, None)
            self.state["ports"] = {p: b for p, b in self.state["ports"].items() if b != name}

    def _unplug(self, port_id: str) -> None:
        name = self.state["ports"].pop(port_id)
        bridge = self.state["bridges"].get(name)
        if bridge is None:
            return
        tap = tap_name(port_id)
        if tap in bridge["taps"]:
            bridge["taps"].remove(tap)
        if not bridge["taps"]:
            del self.state["bridges"][name]
