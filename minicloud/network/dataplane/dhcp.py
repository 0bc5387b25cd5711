"""The DHCP agent (neutron-dhcp-agent) on the network node: per network with a DHCP
subnet, a namespace `qdhcp-<network id>` holding the DHCP port's tap device, the
dnsmasq host entries `mac,host-10-0-0-5.openstacklocal,10.0.0.5` of every port, and per
subnet the DHCP options dnsmasq hands out (router, DNS servers, static routes), rebuilt
on every `network_update` (a subnet's gateway, DNS servers or routes changed).

After each change the agent hands what it recorded to its `wiring`: `SimulatedDhcp`
(Config.dataplane "simulated") touches nothing; linux_dhcp.py's `LinuxDhcp` ("linux")
makes the namespace and runs dnsmasq."""

from __future__ import annotations

from minicloud.network.dataplane.base import Agent


def host_entries(port: dict) -> list[str]:
    return [f"{port['mac_address']},host-{ip['ip_address'].replace('.', '-').replace(':', '-')}"
            f".openstacklocal,{ip['ip_address']}" for ip in port["fixed_ips"]]


def dhcp_options(subnet: dict) -> list[str]:
    """The subnet's options as dnsmasq's opts file holds them (no router: none given)."""
    options = [f"option:router,{subnet['gateway_ip'] or ''}".rstrip(",")]
    if subnet.get("dns_nameservers"):
        options.append("option:dns-server," + ",".join(subnet["dns_nameservers"]))
    if subnet.get("host_routes"):
        options.append("option:classless-static-route," + ",".join(
            f"{r['destination']},{r['nexthop']}" for r in subnet["host_routes"]))
    return options


class SimulatedDhcp:
    """Nothing is made: the agent's state is the whole story."""

    driver = "dnsmasq (simulated)"

    def apply(self, network_id: str, record: dict | None, mtu: int | None = None) -> None:
        pass

    def sync(self, network_ids: list[str]) -> None:
        pass

    def remove_all(self) -> None:
        pass


class DhcpAgent(Agent):
    agent_type, binary, topic = "DHCP agent", "neutron-dhcp-agent", "dhcp_agent"

    def __init__(self, host: str, *, wiring=None, **kwargs):
        super().__init__(host, **kwargs)
        self.wiring = wiring or SimulatedDhcp()
        self.state = {"namespaces": {}}

    def configurations(self) -> dict:
        return {"dhcp_driver": self.wiring.driver, "networks": len(self.state["namespaces"])}

    def full_sync(self, ctx) -> None:
        networks = self.plugin.call(ctx, "get_active_networks_info", host=self.host)
        with self.lock:
            self.state["namespaces"].clear()
        for network in networks:
            self.network_update(ctx, network)
        with self.lock:  # networks deleted while this agent was away
            self.wiring.sync([network["id"] for network in networks])

    # -- RPC from neutron-server (cast dhcp_agent.<host>) -------------------------------------
    def network_update(self, ctx, network: dict) -> None:
        dhcp_subnets = [s for s in network["subnets"] if s["enable_dhcp"]]
        key = f"qdhcp-{network['id']}"
        with self.lock:
            if not dhcp_subnets:
                self.state["namespaces"].pop(key, None)
                self._wire(network["id"], None)
                return
            ns = {"network_id": network["id"], "subnets": [s["cidr"] for s in dhcp_subnets],
                  "device": None, "hosts": {},
                  "options": {s["cidr"]: dhcp_options(s) for s in dhcp_subnets}}
            for port in network["ports"]:
                self._add(ns, port)
            self.state["namespaces"][key] = ns
            self._wire(network["id"], ns, network.get("mtu"))

    def port_update(self, ctx, port: dict) -> None:
        with self.lock:
            ns = self.state["namespaces"].get(f"qdhcp-{port['network_id']}")
            if ns is not None:
                self._add(ns, port)
                self._wire(port["network_id"], ns)

    def port_delete(self, ctx, port_id: str, network_id: str) -> None:
        with self.lock:
            ns = self.state["namespaces"].get(f"qdhcp-{network_id}")
            if ns is not None:
                ns["hosts"].pop(port_id, None)
                self._wire(network_id, ns)

    def network_delete(self, ctx, network_id: str) -> None:
        with self.lock:
            self.state["namespaces"].pop(f"qdhcp-{network_id}", None)
            self._wire(network_id, None)

    def _wire(self, network_id: str, ns: dict | None, mtu: int | None = None) -> None:
        """Make the recorded namespace real (under self.lock: in message order)."""
        self.wiring.apply(network_id, ns, mtu)

    @staticmethod
    def _add(ns: dict, port: dict) -> None:
        if port["device_owner"] == "network:dhcp":
            ns["device"] = {"name": f"tap{port['id'][:11]}",
                            "addresses": [ip["cidr"] for ip in port["fixed_ips"]]}
        ns["hosts"][port["id"]] = host_entries(port)
