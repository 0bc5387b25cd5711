"""linux_l3.py behind the L3 agent: a router namespace between a tenant bridge with a VM
and an external bridge with "the internet", doing SNAT and floating IPs with nftables.

    mct-l3-node (the network node)
      brq<tenant[:11]>:   mct-l3vmp ==== eth0 10.88.0.5 in mct-l3-vm
                          tap<qr port> == qr-.. 10.88.0.1 in mct-qrouter-<id>
      brq<external[:11]>: tap<qg port> == qg-.. 203.0.113.10 (+ floating IPs /32)
                          mct-l3inp ==== eth0 203.0.113.1 in mct-l3-inet
"""

from __future__ import annotations

import re

import pytest

from minicloud.common import rpc
from minicloud.netns.plumbing import Namespace, names, veth
from minicloud.network.dataplane.bridge import bridge_name, tap_name
from minicloud.network.dataplane.l3 import L3Agent
from minicloud.network.dataplane.linux_l3 import LinuxL3

from tests.fakes import wait_for
from tests.netns.test_dhcp import created, neutron_server

TENANT, EXTERNAL = "mct0a3e0-0000-4000-8000-00000000000a", "mct0e3e0-0000-4000-8000-00000000000e"
ROUTER = "mct0r3e0-0000-4000-8000-000000000001"
GW_IP, INTERNET, VM_IP, FIP = "203.0.113.10", "203.0.113.1", "10.88.0.5", "203.0.113.20"
# In the internet namespace: what arrives, counted by source address.
WATCH = f"""table ip mctwatch {{
    counter from_gateway {{}}
    counter from_fip {{}}
    counter from_tenant {{}}
    chain input {{
        type filter hook input priority 0; policy accept;
        ip saddr {GW_IP} icmp type echo-request counter name from_gateway
        ip saddr {FIP} icmp type echo-request counter name from_fip
        ip saddr 10.88.0.0/24 counter name from_tenant
    }}
}}
"""


def port(name: str, network: str, ip: str, prefix: int) -> dict:
    return {"id": f"mct-{name}-0000-0000-000000000000", "network_id": network,
            "mac_address": f"fa:16:3e:00:88:{int(ip.split('.')[-1]):02x}",
            "device_owner": "", "device_id": ROUTER, "binding:host_id": "network",
            "fixed_ips": [{"subnet_id": f"mct-sub-{network[:8]}", "ip_address": ip,
                           "cidr": f"{ip}/{prefix}"}]}


INTERFACE = port("qrport", TENANT, "10.88.0.1", 24)
GATEWAY = {**port("qgport", EXTERNAL, GW_IP, 24), "gateway_ip": INTERNET}


def router(*, interfaces=(INTERFACE,), gateway=GATEWAY, fips=()) -> dict:
    """What neutron-server's routers_updated carries (notifier.router_info)."""
    return {"id": ROUTER, "enable_snat": True, "gateway": gateway, "interfaces": list(interfaces),
            "floating_ips": [{"floating_ip_address": f, "fixed_ip_address": VM_IP} for f in fips]}


class Lab(dict):
    """The node namespace with its bridges, and namespaces plugged into them by name."""

    def __init__(self):
        super().__init__(node=Namespace.create("mct-l3-node"))

    def host(self, name: str, network: str, cidr: str, gateway: str | None = None,
             mac: str | None = None) -> Namespace:
        """Namespace mct-l3-<name> with eth0 (`cidr`) on the network's bridge."""
        node, bridge = self["node"], bridge_name(network)
        node.bridge(bridge)
        ns = self[name] = Namespace.create(f"mct-l3-{name}")
        veth(node, f"mct-l3{name}p", ns, "eth0", mac=mac)
        node.enslave(f"mct-l3{name}p", bridge)
        ns.address("eth0", cidr)
        if gateway:
            ns.default_route(gateway)
        return ns

    def internet(self, network: str) -> Namespace:
        inet = self.host("inet", network, f"{INTERNET}/24")
        inet.run("nft", "-f", "-", input=WATCH)
        return inet

    def close(self) -> None:
        for ns in self.values():
            ns.delete()


@pytest.fixture
def lab():
    made = Lab()
    try:
        yield made
    finally:
        made.close()
    assert not names("mct-l3-")


@pytest.fixture
def wired(lab):
    """The VM on the tenant bridge, the internet on the external one."""
    lab.host("vm", TENANT, f"{VM_IP}/24", "10.88.0.1", mac="fa:16:3e:00:99:01")
    lab.internet(EXTERNAL)
    return lab


@pytest.fixture
def agent(wired):
    """An L3 agent (not started: the test plays neutron-server) with the real wiring."""
    wiring = LinuxL3(node=wired["node"], prefix="mct-")
    agent = L3Agent("network", wiring=wiring, transport=rpc.get_transport("memory://"),
                    report_interval=60, rpc_timeout=2, workers=1)
    try:
        yield agent
    finally:
        wiring.remove_all()
    assert not names("mct-qrouter-")


def qrouter() -> Namespace:
    return Namespace(f"mct-qrouter-{ROUTER}")


def ping(ns: Namespace, address: str) -> bool:
    return ns.run("ping", "-c2", "-i0.2", "-W2", address, check=False).returncode == 0


def seen(lab, counter: str) -> int:
    out = lab["inet"].run("nft", "list", "counter", "ip", "mctwatch", counter).stdout
    return int(re.search(r"packets (\d+)", out).group(1))


def table() -> list[str]:
    out = qrouter().run("nft", "list", "table", "ip", "router").stdout
    return [line.strip() for line in out.splitlines()]


def test_a_vm_reaches_the_internet_behind_the_gateway_address(lab, agent):
    agent.routers_updated(None, [router()])
    assert ping(lab["vm"], INTERNET)
    assert seen(lab, "from_gateway") > 0 and seen(lab, "from_tenant") == 0
    assert not ping(lab["inet"], VM_IP)  # no way in without a floating IP
    assert f'oifname "qg-{GATEWAY["id"][:11]}" ip saddr 10.88.0.0/24 snat to {GW_IP} ' \
           f'comment "SNAT 10.88.0.0/24"' in table()


def test_a_floating_ip_makes_the_vm_reachable_and_goes_exactly(lab, agent):
    agent.routers_updated(None, [router()])
    before = table()
    agent.routers_updated(None, [router(fips=[FIP])])
    assert ping(lab["inet"], FIP)
    assert ping(lab["vm"], INTERNET) and seen(lab, "from_fip") > 0  # its own address out
    with_fip = table()
    added = [line for line in with_fip if line not in before]
    assert len(added) == 2 and all(FIP in line and VM_IP in line for line in added)
    assert f"{FIP}/32" in qrouter().addresses(f"qg-{GATEWAY['id'][:11]}")

    agent.routers_updated(None, [router()])
    assert table() == before
    assert f"{FIP}/32" not in qrouter().addresses(f"qg-{GATEWAY['id'][:11]}")
    assert not ping(lab["inet"], FIP)


def test_removing_an_interface_or_the_gateway_removes_exactly_its_part(lab, agent):
    agent.routers_updated(None, [router()])
    agent.routers_updated(None, [router(interfaces=())])
    ns = qrouter()
    assert ns.index(f"qr-{INTERFACE['id'][:11]}") is None
    assert lab["node"].index(tap_name(INTERFACE["id"])) is None
    assert not any("SNAT" in line for line in table())
    assert not ping(lab["vm"], INTERNET)

    agent.routers_updated(None, [router(gateway=None)])
    assert ns.index(f"qg-{GATEWAY['id'][:11]}") is None
    assert ns.run("ip", "route", "show", "default").stdout.strip() == ""
    assert not any("nat to" in line for line in table())
    ns.close()


def test_removing_the_router_removes_its_namespace_and_table(lab, agent):
    agent.routers_updated(None, [router(fips=[FIP])])
    assert names("mct-qrouter-") == [f"mct-qrouter-{ROUTER}"]
    agent.router_deleted(None, ROUTER)
    assert names("mct-qrouter-") == []
    for port in (INTERFACE, GATEWAY):
        assert lab["node"].index(tap_name(port["id"])) is None
    assert agent.get_dataplane(None)["namespaces"] == {}


def _network(admin, name: str, cidr: str, **fields) -> tuple[dict, dict]:
    net = created(admin.post("/v2.0/networks", json={"network": {"name": name, **fields}}),
                  "network")
    subnet = created(admin.post("/v2.0/subnets", json={"subnet": {
        "network_id": net["id"], "cidr": cidr, "ip_version": 4, "enable_dhcp": False}}),
        "subnet")
    return net, subnet


def test_through_neutron_server_a_floating_ip_reaches_the_vm(lab, tmp_path):
    wiring = LinuxL3(node=lab["node"], prefix="mct-")
    try:
        with neutron_server(tmp_path, lambda transport: L3Agent(
                "network", wiring=wiring, transport=transport, report_interval=60,
                rpc_timeout=5, workers=1)) as (admin, _agent):
            public, _ = _network(admin, "mct-public", "203.0.113.0/24", **{
                "router:external": True, "provider:network_type": "flat",
                "provider:physical_network": "public"})
            private, subnet = _network(admin, "mct-private", "10.88.0.0/24")
            router_ = created(admin.post("/v2.0/routers", json={"router": {
                "name": "mct-r", "external_gateway_info": {"network_id": public["id"]}}}),
                "router")
            assert admin.put(f"/v2.0/routers/{router_['id']}/add_router_interface",
                             json={"subnet_id": subnet["id"]}).status_code == 200
            port = created(admin.post("/v2.0/ports", json={"port": {
                "network_id": private["id"]}}), "port")
            fip = created(admin.post("/v2.0/floatingips", json={"floatingip": {
                "floating_network_id": public["id"], "port_id": port["id"]}}), "floatingip")
            address = fip["floating_ip_address"]
            ns = Namespace(wiring.namespace_name(router_["id"]))
            qg = wait_for(lambda: [l.get_attr("IFLA_IFNAME") for l in ns.ipr.get_links()
                                   if l.get_attr("IFLA_IFNAME").startswith("qg-")])
            assert wait_for(lambda: f"{address}/32" in ns.addresses(qg[0]))

            lab.host("vm", private["id"], f"{port['fixed_ips'][0]['ip_address']}/24",
                     "10.88.0.1", mac=port["mac_address"])
            inet = lab.internet(public["id"])
            assert ping(inet, address)

            assert admin.delete(f"/v2.0/floatingips/{fip['id']}").status_code == 204
            assert wait_for(lambda: f"{address}/32" not in ns.addresses(qg[0]))
            assert not ping(inet, address)
            ns.close()
            assert admin.put(f"/v2.0/routers/{router_['id']}/remove_router_interface",
                             json={"subnet_id": subnet["id"]}).status_code == 200
            assert admin.delete(f"/v2.0/routers/{router_['id']}").status_code == 204
            assert wait_for(lambda: not names("mct-qrouter-"))
    finally:
        wiring.remove_all()
