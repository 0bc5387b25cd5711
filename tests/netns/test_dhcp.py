"""linux_dhcp.py behind the DHCP agent: a qdhcp- namespace on a network's bridge with a
dnsmasq that leases Neutron's ports, and nothing else, to VM namespaces asking with
busybox udhcpc.

    mct-dhcp-node (the network node):  brq<net[:11]>
        tap<dhcp port> ==== ns-<dhcp port> in mct-qdhcp-<net id>   (dnsmasq)
        mct-vm1p       ==== eth0 in mct-dhcp-vm1                   (udhcpc)
"""

from __future__ import annotations

import contextlib
import os
import stat

import pytest

from minicloud.common import rpc
from minicloud.config import Config
from minicloud.netns.plumbing import Namespace, names, veth
from minicloud.network.dataplane.bridge import bridge_name
from minicloud.network.dataplane.dhcp import DhcpAgent
from minicloud.network.dataplane.linux_dhcp import LinuxDhcp

from tests.fakes import Caller, wait_for
from tests.network import server

NET = "mct0d4c0-0000-4000-8000-000000000001"
BRIDGE = bridge_name(NET)
SUBNET = {"id": "mct-subnet", "cidr": "10.77.0.0/24", "gateway_ip": "10.77.0.1",
          "enable_dhcp": True, "dns_nameservers": [], "host_routes": []}
# The udhcpc event script: Debian ships none; this one only writes down what it was given.
SCRIPT = '#!/bin/sh\n[ "$1" = bound ] && env > "$MCT_LEASE"\nexit 0\n'


def port(number: int, owner: str = "compute:nova") -> dict:
    ip = f"10.77.0.{number}"
    return {"id": f"mct-port-{number:04d}-0000-000000000000", "network_id": NET,
            "mac_address": f"fa:16:3e:00:77:{number:02x}", "device_owner": owner,
            "device_id": "", "binding:host_id": "compute1",
            "fixed_ips": [{"subnet_id": SUBNET["id"], "ip_address": ip, "cidr": f"{ip}/24"}]}


DHCP_PORT, VM1, VM2, VM3 = port(2, "network:dhcp"), port(5), port(6), port(7)


def network(*ports) -> dict:
    """What neutron-server's network_update carries (notifier.dhcp_info)."""
    return {"id": NET, "network_type": "vxlan", "physical_network": None,
            "segmentation_id": 1077, "mtu": 1450, "subnets": [SUBNET], "ports": list(ports)}


@contextlib.contextmanager
def neutron_server(home, make_agent):
    """neutron-server (its API and plugin RPC) on a memory bus with one started agent,
    `make_agent(transport)`: the real message path, API -> notifier -> agent -> wiring.
    Yields (a Caller acting as admin, the agent)."""
    with server.neutron_server(Config(home=home, agent_report_interval=60)) as (
            neutron, client):
        agent = make_agent(neutron.transport).start()
        try:
            yield Caller(client, "admin"), agent
        finally:
            agent.stop()


def created(result, key: str) -> dict:
    assert result.status_code == 201, result.text
    return result.json[key]


class Lab:
    """The node namespace with the network's bridge, VM namespaces plugged into it."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.node = Namespace.create("mct-dhcp-node")
        self.node.bridge(BRIDGE)
        self.vms: list[Namespace] = []
        self.script = tmp_path / "udhcpc.sh"
        self.script.write_text(SCRIPT)
        self.script.chmod(self.script.stat().st_mode | stat.S_IXUSR)

    def vm(self, mac: str, bridge: str = BRIDGE) -> Namespace:
        vm = Namespace.create(f"mct-dhcp-vm{len(self.vms) + 1}")
        veth(self.node, f"mct-vm{len(self.vms) + 1}p", vm, "eth0", mac=mac)
        self.node.enslave(f"mct-vm{len(self.vms) + 1}p", bridge)
        self.vms.append(vm)
        return vm

    def lease(self, vm: Namespace) -> dict | None:
        """What udhcpc was given (its script's environment), None: no lease."""
        out = self.tmp / f"{vm.name}.lease"
        out.unlink(missing_ok=True)
        vm.run("udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-O", "mtu",
               "-s", str(self.script), check=False, env={**os.environ, "MCT_LEASE": str(out)})
        if not out.exists():
            return None
        return dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)

    def close(self) -> None:
        for ns in [*self.vms, self.node]:
            ns.delete()


@pytest.fixture
def lab(tmp_path):
    made = Lab(tmp_path)
    yield made
    made.close()


@pytest.fixture
def wired(lab, tmp_path):
    """A DHCP agent (not started: the test plays neutron-server) with the real wiring."""
    wiring = LinuxDhcp(tmp_path / "dhcp", node=lab.node, prefix="mct-")
    agent = DhcpAgent("network", wiring=wiring, transport=rpc.get_transport("memory://"),
                      report_interval=60, rpc_timeout=2, workers=1)
    try:
        yield agent, wiring
    finally:
        pid = wiring.pid(NET)
        wiring.remove_all()
        assert not names("mct-qdhcp-") and (pid is None or not os.path.exists(f"/proc/{pid}"))


def test_known_macs_get_their_port_address_with_gateway_and_mtu(lab, wired):
    agent, wiring = wired
    agent.network_update(None, network(DHCP_PORT, VM1, VM2))
    ns = Namespace(wiring.namespace_name(NET))
    assert ns.addresses("ns-" + DHCP_PORT["id"][:11]) == ["10.77.0.2/24"]

    lease = lab.lease(lab.vm(VM1["mac_address"]))
    assert lease is not None
    assert (lease["ip"], lease["subnet"], lease["router"]) == ("10.77.0.5", "255.255.255.0",
                                                               "10.77.0.1")
    assert lease["mtu"] == "1450"
    assert lease["hostname"] == "host-10-77-0-5" and lease["domain"] == "openstacklocal"
    assert lease["dns"].strip() == "10.77.0.2"  # dnsmasq itself: it knows the ports' names

    vm2 = lab.vm(VM2["mac_address"])
    assert lab.lease(vm2)["ip"] == "10.77.0.6"
    vm2.address("eth0", "10.77.0.6/24")
    answer = vm2.run("busybox", "nslookup", "host-10-77-0-5.openstacklocal", "10.77.0.2",
                     check=False).stdout
    assert "10.77.0.5" in answer
    ns.close()


def test_an_unknown_mac_gets_no_lease(lab, wired):
    agent, _ = wired
    agent.network_update(None, network(DHCP_PORT, VM1))
    assert lab.lease(lab.vm("fa:16:3e:00:77:99")) is None


def test_ports_that_come_and_go_are_served_without_a_restart(lab, wired):
    agent, wiring = wired
    agent.network_update(None, network(DHCP_PORT, VM1))
    pid = wiring.pid(NET)
    vm1 = lab.vm(VM1["mac_address"])
    assert lab.lease(vm1)["ip"] == "10.77.0.5"
    vm3 = lab.vm(VM3["mac_address"])
    assert lab.lease(vm3) is None

    agent.port_update(None, VM3)  # SIGHUP: dnsmasq reads its hosts file again
    assert lab.lease(vm3)["ip"] == "10.77.0.7"
    assert wiring.pid(NET) == pid
    assert "10.77.0.7" in (wiring.state_dir / NET / "addn_hosts").read_text()

    agent.port_delete(None, VM1["id"], NET)
    assert VM1["mac_address"] not in (wiring.state_dir / NET / "host").read_text()
    assert lab.lease(vm1) is None  # its old lease is not renewed either
    assert wiring.pid(NET) == pid

    # its address goes to a new port, with another MAC: the old lease was released
    again = {**VM1, "id": "mct-port-0099-0000-000000000000", "mac_address": "fa:16:3e:00:77:55"}
    agent.port_update(None, again)
    assert lab.lease(lab.vm(again["mac_address"]))["ip"] == "10.77.0.5"


def test_removing_the_network_kills_dnsmasq_and_removes_the_namespace(lab, wired):
    agent, wiring = wired
    agent.network_update(None, network(DHCP_PORT, VM1))
    pid = wiring.pid(NET)
    assert pid is not None and names("mct-qdhcp-") == [f"mct-qdhcp-{NET}"]

    agent.network_delete(None, NET)
    assert not os.path.exists(f"/proc/{pid}") or wiring.pid(NET) is None
    assert names("mct-qdhcp-") == []
    assert not (wiring.state_dir / NET).exists()
    assert lab.node.index("tap" + DHCP_PORT["id"][:11]) is None  # the veth went with it
    assert agent.get_dataplane(None)["namespaces"] == {}


def test_a_restarted_agent_adopts_the_running_dnsmasq(lab, wired, tmp_path):
    agent, wiring = wired
    agent.network_update(None, network(DHCP_PORT, VM1))
    pid = wiring.pid(NET)
    # A new agent process: same state directory, nothing in memory.
    again = LinuxDhcp(tmp_path / "dhcp", node=lab.node, prefix="mct-")
    again.apply(NET, agent.get_dataplane(None)["namespaces"][f"qdhcp-{NET}"], 1450)
    assert again.pid(NET) == pid
    again.sync([])  # neutron-server lists no network any more: it goes
    assert again.pid(NET) is None and names("mct-qdhcp-") == []


def test_through_neutron_server_ports_made_with_the_api_get_leases(lab, tmp_path):
    wiring = LinuxDhcp(tmp_path / "dhcp", node=lab.node, prefix="mct-")
    try:
        with neutron_server(tmp_path, lambda transport: DhcpAgent(
                "network", wiring=wiring, transport=transport, report_interval=60,
                rpc_timeout=5, workers=1)) as (admin, agent):
            net = created(admin.post("/v2.0/networks", json={"network": {"name": "mct"}}),
                          "network")
            created(admin.post("/v2.0/subnets", json={"subnet": {
                "network_id": net["id"], "cidr": "10.66.0.0/24", "ip_version": 4}}), "subnet")
            assert wait_for(lambda: wiring.pid(net["id"]))  # the DHCP port's dnsmasq
            pid = wiring.pid(net["id"])
            port = created(admin.post("/v2.0/ports", json={"port": {"network_id": net["id"]}}),
                           "port")
            hosts = wiring.state_dir / net["id"] / "host"
            assert wait_for(lambda: port["mac_address"] in hosts.read_text())

            lease = lab.lease(lab.vm(port["mac_address"], bridge_name(net["id"])))
            assert lease["ip"] == port["fixed_ips"][0]["ip_address"]
            assert (lease["router"], lease["mtu"]) == ("10.66.0.1", str(net["mtu"]))
            assert wiring.pid(net["id"]) == pid
            assert agent.configurations()["dhcp_driver"] == "dnsmasq"

            assert admin.delete(f"/v2.0/ports/{port['id']}").status_code == 204
            assert admin.delete(f"/v2.0/networks/{net['id']}").status_code == 204
            assert wait_for(lambda: not names("mct-qdhcp-"))
            assert wiring.pid(net["id"]) is None
    finally:
        wiring.remove_all()
    assert not names("mct-qdhcp-")
