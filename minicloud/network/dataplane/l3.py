"""The L3 agent (neutron-l3-agent) on the network node: one namespace `qrouter-<id>` per
router, with a `qg-` device on the external network (the gateway address and every
floating IP), a `qr-` device per interface (the subnet's gateway address), a default route
via the external subnet's gateway, and the NAT rules: SNAT of each internal subnet to the
gateway address, and per floating IP a DNAT (floating -> fixed) and an SNAT back.

After each change the agent hands the router neutron-server sent to its `wiring`:
`SimulatedL3` (Config.dataplane "simulated") touches nothing; linux_l3.py's `LinuxL3`
("linux") makes the namespace, its veths and an nftables table.
"""

from __future__ import annotations

import ipaddress

from minicloud.network.dataplane.base import Agent


def _device(prefix: str, port: dict) -> dict:
    return {"name": f"{prefix}{port['id'][:11]}", "port_id": port["id"],
            "mac_address": port["mac_address"],
            "addresses": [ip["cidr"] for ip in port["fixed_ips"]]}


def namespace(router: dict) -> dict:
    """What the router's namespace would hold, from the router info neutron-server sent."""
    gateway, devices, nat, routes = router.get("gateway"), [], [], []
    for port in router["interfaces"]:
        devices.append(_device("qr-", port))
    if gateway:
        qg = _device("qg-", gateway)
        qg["addresses"] += [f"{f['floating_ip_address']}/32" for f in router["floating_ips"]]
        devices.insert(0, qg)
        gw_ip = gateway["fixed_ips"][0]["ip_address"]
        if gateway.get("gateway_ip"):
            routes.append(f"default via {gateway['gateway_ip']} dev {qg['name']}")
        for fip in router["floating_ips"]:
            nat.append(f"-A PREROUTING -d {fip['floating_ip_address']}/32 -j DNAT "
                       f"--to-destination {fip['fixed_ip_address']}")
            nat.append(f"-A POSTROUTING -s {fip['fixed_ip_address']}/32 -j SNAT "
                       f"--to-source {fip['floating_ip_address']}")
        if router["enable_snat"]:
            for port in router["interfaces"]:
                for ip in port["fixed_ips"]:
                    subnet = _network_of(ip["cidr"])
                    nat.append(f"-A POSTROUTING -s {subnet} -o {qg['name']} -j SNAT "
                               f"--to-source {gw_ip}")
    return {"router_id": router["id"], "devices": devices, "routes": routes, "nat": nat}


def _network_of(cidr: str) -> str:
    return str(ipaddress.ip_interface(cidr).network)


class SimulatedL3:
    """Nothing is made: the agent's state is the whole story."""

    def router_updated(self, router: dict) -> None:
        pass

    def router_deleted(self, router_id: str) -> None:
        pass

    def sync(self, router_ids: list[str]) -> None:
        pass

    def remove_all(self) -> None:
        pass


class L3Agent(Agent):
    agent_type, binary, topic = "L3 agent", "neutron-l3-agent", "l3_agent"

    def __init__(self, host: str, *, wiring=None, **kwargs):
        super().__init__(host, **kwargs)
        self.wiring = wiring or SimulatedL3()
        self.state = {"namespaces": {}}

    def configurations(self) -> dict:
        return {"agent_mode": "legacy", "routers": len(self.state["namespaces"]),
                "interface_driver": "linuxbridge"}

    def full_sync(self, ctx) -> None:
        routers = self.plugin.call(ctx, "sync_routers", host=self.host)
        with self.lock:
            self.state["namespaces"].clear()
        self.routers_updated(ctx, routers)
        with self.lock:  # routers deleted while this agent was away
            self.wiring.sync([router["id"] for router in routers])

    # -- RPC from neutron-server (cast l3_agent.<host>) ---------------------------------------
    def routers_updated(self, ctx, routers: list[dict]) -> None:
        with self.lock:
            for router in routers:
                self.state["namespaces"][f"qrouter-{router['id']}"] = namespace(router)
                self.wiring.router_updated(router)

    def router_deleted(self, ctx, router_id: str) -> None:
        with self.lock:
            self.state["namespaces"].pop(f"qrouter-{router_id}", None)
            self.wiring.router_deleted(router_id)
