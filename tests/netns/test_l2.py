"""The Linux bridge agent wiring for real (Config.dataplane "linux"): two compute-node
namespaces joined by a data "switch", a VM namespace on each, VXLAN between them.

    mct-l2-vm1 ─ tap┐mct-l2-1┌c1-data ─┐           ┌─ c2-data┐mct-l2-2┌tap ─ mct-l2-vm2
               brq + vxlan-VNI     mct-l2-hub: mct-dsw     brq + vxlan-VNI
                                (the data network 10.0.1.0/24)

The agents are the real BridgeAgent with LinuxBridgeWiring on each compute namespace,
driven by a real neutron-server (its API through falcon's TestClient, its RPC endpoints
and l2population on a memory bus), so ports turn ACTIVE only once the agent plugged
their tap, and FDB entries come from add_fdb_entries / remove_fdb_entries. Needs root
(tests/netns/conftest.py); every name starts with `mct` and is gone at teardown.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from minicloud.common import rpc
from minicloud.config import Config
from minicloud.netns.plumbing import Namespace, names, veth
from minicloud.network import dataplane
from minicloud.network.dataplane import BridgeAgent
from minicloud.network.dataplane.linux_bridge import LinuxBridgeWiring
from minicloud.topology import Topology

from tests.fakes import wait_for
from tests.netns.vteps import two_compute_nodes

PREFIX = "mct-l2"
VTEPS = {"compute1": "10.0.1.31", "compute2": "10.0.1.32"}
FLOOD = "00:00:00:00:00:00"


class Node:
    """A compute node's namespace, its data interface and its bridge agent."""

    def __init__(self, host: str, hub: Namespace, transport):
        self.host, self.ip = host, VTEPS[host]
        self.ns = Namespace.create(f"{PREFIX}-{host[-1]}")
        self.data = f"c{host[-1]}-data"
        veth(hub, f"mct-l2-p{host[-1]}", self.ns, self.data)
        hub.enslave(f"mct-l2-p{host[-1]}", "mct-dsw")
        self.ns.address(self.data, f"{self.ip}/24")
        self.agent = BridgeAgent(host, local_ip=self.ip,
                                 wiring=LinuxBridgeWiring(self.ns, self.ip),
                                 transport=transport, report_interval=0.2, rpc_timeout=5,
                                 workers=1, poll_interval=0.1)

    def links(self) -> dict[str, dict]:
        """`ip -d link` in the node, by name (a separate process: the agent owns the handle)."""
        out = self.ns.run("ip", "-j", "-d", "link", "show").stdout
        return {link["ifname"]: link for link in json.loads(out)}

    def fdb(self, vxlan: str) -> set[tuple[str, str]]:
        if vxlan not in self.links():
            return set()
        out = self.ns.run("bridge", "-j", "fdb", "show", "dev", vxlan).stdout
        return {(e["mac"], e["dst"]) for e in json.loads(out) if e.get("dst")}

    def boot(self, port: dict, name: str) -> Namespace:
        """What the compute driver does: a VM namespace whose eth0 has the port's MAC and
        address, its veth peer `tap<port id[:11]>` in this node."""
        vm = Namespace.create(f"{PREFIX}-{name}")
        with self.agent.lock:  # the agent's netlink handle on this node is not shared
            veth(self.ns, f"tap{port['id'][:11]}", vm, "eth0", mac=port["mac_address"],
                 mtu=1450)
        vm.address("eth0", f"{port['fixed_ips'][0]['ip_address']}/24")
        return vm


@pytest.fixture
def cloud(tmp_path):
    with two_compute_nodes(tmp_path, PREFIX, "mct-dsw", VTEPS, Node) as made:
        yield made


class NothingBound:
    """neutron-server's answers to a full sync when no port is bound to the host."""

    def get_devices_details_list(self, ctx, host):
        return []

    def get_fdb_entries(self, ctx, host):
        return {}


def _create(admin, collection: str, key: str, **fields) -> dict:
    answer = admin.post(f"/v2.0/{collection}", json={key: fields})
    assert answer.status_code == 201, answer.text
    return answer.json[key]


def _port(admin, net: dict, host: str, owner: str = "compute:nova") -> dict:
    return _create(admin, "ports", "port", network_id=net["id"], device_owner=owner,
                   device_id=f"vm-{host}", **{"binding:host_id": host})


def _listening(capture: subprocess.Popen) -> bool:
    """Whether tcpdump said it listens (before that, packets would be missed)."""
    for line in capture.stderr:
        if "listening on" in line:
            return True
    return False


def _status(admin, port: dict) -> str:
    return admin.get(f"/v2.0/ports/{port['id']}").json["port"]["status"]


def test_two_vms_on_two_compute_nodes_talk_across_vxlan(cloud):
    admin, nodes, made = cloud
    c1, c2 = nodes["compute1"], nodes["compute2"]
    net = _create(admin, "networks", "network", name="l2")
    vni = net["provider:segmentation_id"]
    _create(admin, "subnets", "subnet", network_id=net["id"], cidr="10.8.0.0/24",
            ip_version=4, enable_dhcp=False)
    p1, p2 = _port(admin, net, "compute1"), _port(admin, net, "compute2")
    brq, vxlan = f"brq{net['id'][:11]}", f"vxlan-{vni}"

    # bound but no VM yet: nothing to plug, the ports stay DOWN
    assert wait_for(lambda: p1["id"] in c1.agent._bound and p2["id"] in c2.agent._bound)
    c1.agent.poll_once()
    assert _status(admin, p1) == "DOWN" and brq not in c1.links()

    made += [c1.boot(p1, "vm1"), c2.boot(p2, "vm2")]
    vm1 = made[-2]
    assert wait_for(lambda: _status(admin, p1) == _status(admin, p2) == "ACTIVE")

    links = c1.links()
    tunnel = links[vxlan]["linkinfo"]["info_data"]
    assert tunnel["id"] == vni and tunnel["port"] == 4789 and tunnel["local"] == c1.ip
    assert tunnel["link"] == c1.data and not tunnel.get("learning")
    assert links[vxlan]["mtu"] == 1450 and links[vxlan]["master"] == brq
    assert links[f"tap{p1['id'][:11]}"]["master"] == brq
    # l2population: where compute2's MAC lives, and where to flood
    assert wait_for(lambda: c1.fdb(vxlan) >= {(FLOOD, c2.ip), (p2["mac_address"], c2.ip)})
    assert wait_for(lambda: c2.fdb(vxlan) >= {(FLOOD, c1.ip), (p1["mac_address"], c1.ip)})

    capture = c1.ns.popen("tcpdump", "-l", "-n", "--immediate-mode", "-i", c1.data, "-c",
                          "4", "udp", "port", "4789", stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        assert _listening(capture)
        ip2 = p2["fixed_ips"][0]["ip_address"]
        assert vm1.run("ping", "-c2", "-W2", ip2, check=False).returncode == 0
        # 1422 bytes of ICMP + 28 of headers: exactly the network's MTU, not fragmented
        assert vm1.run("ping", "-c1", "-W2", "-M", "do", "-s", "1422", ip2,
                       check=False).returncode == 0
        seen, _ = capture.communicate(timeout=10)
    finally:
        if capture.poll() is None:
            capture.kill()
            capture.communicate()
    assert f"{c2.ip}.4789" in seen and f"VXLAN, flags [I] (0x08), vni {vni}" in seen

    # an agent restarted on a node that kept its devices syncs onto them, twice is once
    c1.agent.stop()
    c1.agent.start()
    assert c1.agent.get_dataplane(None)["bridges"][brq]["fdb"] == {
        c2.ip: sorted([[FLOOD, "0.0.0.0"], [p2["mac_address"], ip2]])}
    assert vm1.run("ping", "-c1", "-W2", ip2, check=False).returncode == 0

    # a second port on compute2 comes and goes: its MAC leaves compute1's FDB, the
    # flooding entry stays (compute2 still has a port on the network)
    p3 = _port(admin, net, "compute2")
    made.append(c2.boot(p3, "vm3"))
    assert wait_for(lambda: (p3["mac_address"], c2.ip) in c1.fdb(vxlan))
    assert admin.delete(f"/v2.0/ports/{p3['id']}").status_code == 204
    assert wait_for(lambda: (p3["mac_address"], c2.ip) not in c1.fdb(vxlan))
    assert {(FLOOD, c2.ip), (p2["mac_address"], c2.ip)} <= c1.fdb(vxlan)

    # compute2's last port goes while compute1's agent is down: compute1 misses the
    # message, its full sync at start removes what is stale
    c1.agent.stop()
    assert admin.delete(f"/v2.0/ports/{p2['id']}").status_code == 204
    assert wait_for(lambda: brq not in c2.links() and vxlan not in c2.links())
    assert (FLOOD, c2.ip) in c1.fdb(vxlan)  # stale
    c1.agent.start()
    assert not any(dst == c2.ip for _, dst in c1.fdb(vxlan))

    # the network goes with its DHCP port (here on compute1, its tap made by hand):
    # compute1 drops the bridge and the vxlan device
    dhcp = _port(admin, net, "compute1", owner="network:dhcp")
    made.append(c1.boot(dhcp, "q"))
    assert wait_for(lambda: _status(admin, dhcp) == "ACTIVE")
    assert admin.delete(f"/v2.0/ports/{p1['id']}").status_code == 204
    assert brq in c1.links()  # the DHCP port still holds it
    assert admin.delete(f"/v2.0/networks/{net['id']}").status_code == 204
    assert wait_for(lambda: brq not in c1.links() and vxlan not in c1.links())
    assert c1.agent.get_dataplane(None)["bridges"] == {}


def test_the_linux_dataplane_acts_in_the_agents_own_namespace():
    wiring = dataplane.bridge_wiring(Config(dataplane="linux"), "10.0.1.31")
    assert isinstance(wiring, LinuxBridgeWiring) and wiring.ns.name is None
    with pytest.raises(ValueError):
        dataplane.bridge_wiring(Config(dataplane="ovs"), "10.0.1.31")


def test_the_flat_network_rides_the_network_nodes_external_interface(tmp_path):
    """physnet `public` on the network node's external interface: the interface joins the
    network's bridge, its address moving onto the bridge, and gets it back after."""
    hub, node, outside = (Namespace.create(f"{PREFIX}-{n}") for n in ("ehub", "n", "out"))
    made = [hub, node, outside]
    transport = rpc.get_transport("memory://")
    plan = Topology.from_config(Config(home=tmp_path)).node("network")
    wiring = LinuxBridgeWiring(node, plan.address("data"))
    try:
        hub.bridge("mct-esw")
        for ns, ifname, cidr in ((node, "n-ext", f"{plan.address('external')}/24"),
                                 (outside, "eth0", "203.0.113.1/24")):
            veth(hub, f"mct-e-{ns.name[-1]}", ns, ifname)
            hub.enslave(f"mct-e-{ns.name[-1]}", "mct-esw")
            ns.address(ifname, cidr)
        # found by the node's external address, as agents_for does in a node
        mapping = {"public": dataplane.external_interface(plan, wiring)}
        assert mapping == {"public": "n-ext"}
        agent = BridgeAgent("network", local_ip=plan.address("data"),
                            physical_interfaces=mapping, wiring=wiring, transport=transport,
                            report_interval=60, rpc_timeout=1, workers=1)
        network = {"id": "5e7f0a11-0000-4000-8000-00000000e071", "network_type": "flat",
                   "physical_network": "public", "segmentation_id": None, "mtu": 1500}
        port = {"id": "9a7e3a70-0000-4000-8000-0000000000a1", "binding:host_id": "network"}
        brq, tap = f"brq{network['id'][:11]}", f"tap{port['id'][:11]}"
        router = Namespace.create(f"{PREFIX}-r")
        made.append(router)
        veth(node, tap, router, "qg-gw")
        router.address("qg-gw", "203.0.113.5/24")
        agent.port_update(None, port, network)  # as neutron-server's port_update says
        assert node.addresses(brq) == ["203.0.113.21/24"] and node.addresses("n-ext") == []
        assert dataplane.external_interface(plan, wiring) == "n-ext"  # also once in brq
        assert router.run("ping", "-c1", "-W2", "203.0.113.1", check=False).returncode == 0
        assert node.run("ping", "-c1", "-W2", "203.0.113.1", check=False).returncode == 0
        agent.port_delete(None, port["id"])
        assert node.index(brq) is None and node.addresses("n-ext") == ["203.0.113.21/24"]

        # wired again, then the agent's process dies and the port is deleted meanwhile: the
        # next agent's full sync (nothing bound here any more) removes the bridge
        agent.port_update(None, port, network)
        assert node.addresses(brq) == ["203.0.113.21/24"]
        server = rpc.RPCServer(transport, "q-plugin", "neutron-server", [NothingBound()]).start()
        again = BridgeAgent("network", local_ip=plan.address("data"),
                            physical_interfaces=mapping, wiring=wiring, transport=transport,
                            report_interval=60, rpc_timeout=5, workers=1).start()
        again.stop()
        server.stop()
        assert node.index(brq) is None and node.addresses("n-ext") == ["203.0.113.21/24"]
    finally:
        for ns in reversed(made):
            ns.delete()
        transport.close()
    assert names(PREFIX) == []
