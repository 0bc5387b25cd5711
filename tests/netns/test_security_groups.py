"""Security groups enforced for real (Config.dataplane "linux"): nftables tables `sg` in
two compute-node namespaces, filtering VM namespaces plugged into VXLAN bridges.

    mct-sg-vm1 ─ tap┐mct-sg-1┌c1-data ─┐           ┌─ c2-data┐mct-sg-2┌tap ─ mct-sg-vm2
                brq + vxlan-VNI     mct-sg-hub: mct-sgsw    brq + vxlan-VNI

As tests/netns/test_l2.py: a real neutron-server (API through falcon's TestClient, RPC on
a memory bus), real BridgeAgents with LinuxBridgeWiring and LinuxFirewall in each compute
namespace, so every rule or member change reaches the nftables sets and chains only
through the RPC messages (port_update, security_groups_rule_updated,
security_groups_member_updated). Needs root; every name starts with `mct` and is gone at
teardown.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from minicloud.netns.plumbing import Namespace, veth
from minicloud.network.dataplane import BridgeAgent
from minicloud.network.dataplane.linux_bridge import LinuxBridgeWiring
from minicloud.network.dataplane.linux_firewall import LinuxFirewall

from tests.fakes import wait_for
from tests.netns.vteps import two_compute_nodes

PREFIX = "mct-sg"
VTEPS = {"compute1": "10.0.1.41", "compute2": "10.0.1.42"}


class Node:
    """A compute node's namespace, its data interface and its bridge agent (firewall on)."""

    def __init__(self, host: str, hub: Namespace, transport):
        self.host, self.ip = host, VTEPS[host]
        self.ns = Namespace.create(f"{PREFIX}-{host[-1]}")
        veth(hub, f"{PREFIX}-p{host[-1]}", self.ns, "data")
        hub.enslave(f"{PREFIX}-p{host[-1]}", "mct-sgsw")
        self.ns.address("data", f"{self.ip}/24")
        self.agent = BridgeAgent(host, local_ip=self.ip,
                                 wiring=LinuxBridgeWiring(self.ns, self.ip),
                                 firewall=LinuxFirewall(self.ns),
                                 transport=transport, report_interval=0.2, rpc_timeout=5,
                                 workers=1, poll_interval=0.1)

    def boot(self, port: dict, name: str) -> Namespace:
        """What the compute driver does: the VM's eth0 with the port's MAC and IP."""
        vm = Namespace.create(f"{PREFIX}-{name}")
        with self.agent.lock:  # the agent's netlink handle on this node is not shared
            veth(self.ns, f"tap{port['id'][:11]}", vm, "eth0", mac=port["mac_address"],
                 mtu=1450)
        vm.address("eth0", f"{port['fixed_ips'][0]['ip_address']}/24")
        return vm

    def ruleset(self) -> str:
        return self.ns.run("nft", "list", "ruleset").stdout


@pytest.fixture
def cloud(tmp_path):
    with two_compute_nodes(tmp_path, PREFIX, "mct-sgsw", VTEPS, Node) as made:
        yield made


def _create(admin, collection: str, key: str, **fields) -> dict:
    answer = admin.post(f"/v2.0/{collection}", json={key: fields})
    assert answer.status_code == 201, answer.text
    return answer.json[key]


def _network(admin, project: str, cidr: str) -> tuple[dict, dict]:
    net = _create(admin, "networks", "network", name=f"net-{project}", project_id=project)
    subnet = _create(admin, "subnets", "subnet", network_id=net["id"], cidr=cidr,
                     ip_version=4, enable_dhcp=False, project_id=project)
    return net, subnet


def _port(admin, net: dict, host: str, project: str, **fields) -> dict:
    fields.setdefault("device_owner", "compute:nova")
    return _create(admin, "ports", "port", network_id=net["id"], device_id=f"vm-{host}",
                   project_id=project, **{"binding:host_id": host}, **fields)


def _update(admin, port: dict, **fields) -> dict:
    answer = admin.put(f"/v2.0/ports/{port['id']}", json={"port": fields})
    assert answer.status_code == 200, answer.text
    return answer.json["port"]


def _group(admin, project: str, name: str) -> dict:
    return _create(admin, "security-groups", "security_group", name=name, project_id=project)


def _default(admin, project: str) -> dict:
    groups = admin.get("/v2.0/security-groups", params={"project_id": project}).json
    return next(g for g in groups["security_groups"] if g["name"] == "default")


def _ip(port: dict) -> str:
    return port["fixed_ips"][0]["ip_address"]


def _ping(vm: Namespace, ip: str, *extra: str) -> bool:
    return vm.run("ping", "-c1", "-W1", *extra, ip, check=False).returncode == 0


def _active(admin, *ports: dict) -> bool:
    return all(admin.get(f"/v2.0/ports/{p['id']}").json["port"]["status"] == "ACTIVE"
               for p in ports)


def _dhcp_server(ns: Namespace, port: dict, client: dict, tmp_path) -> subprocess.Popen:
    """dnsmasq on `port`'s address in `ns`, leasing `client` its fixed IP."""
    ns.address("eth0", f"{_ip(port)}/24")
    return ns.popen(
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts",
        "--no-resolv", "--port=0", "--bind-interfaces", "--interface=eth0", "--user=root",
        f"--pid-file={tmp_path}/dnsmasq.pid", f"--dhcp-leasefile={tmp_path}/leases",
        f"--dhcp-range={_ip(client).rsplit('.', 1)[0]}.0,static,255.255.255.0,120s",
        f"--dhcp-host={client['mac_address']},{_ip(client)}",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _leased(vm: Namespace, tmp_path) -> bool:
    """Whether udhcpc in `vm` got a lease (its exit status with -n)."""
    script = tmp_path / "udhcpc.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    return vm.run("udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-s",
                  str(script), check=False).returncode == 0


def test_icmp_blocked_until_a_rule_allows_it(cloud, tmp_path):
    admin, nodes, made = cloud
    c1, c2 = nodes["compute1"], nodes["compute2"]
    net, _ = _network(admin, "p-a", "10.60.0.0/24")
    web = _group(admin, "p-a", "web")  # Neutron's two egress rules, no ingress
    p1, p2 = _port(admin, net, "compute1", "p-a"), _port(admin, net, "compute2", "p-a")
    p3 = _port(admin, net, "compute1", "p-a", security_groups=[web["id"]])
    vm1, vm2, vm3 = c1.boot(p1, "vm1"), c2.boot(p2, "vm2"), c1.boot(p3, "vm3")
    made += [vm1, vm2, vm3]
    assert wait_for(lambda: _active(admin, p1, p2, p3))
    assert wait_for(lambda: _ping(vm1, _ip(p2)), timeout=10)  # both in `default`

    # the default group lets its members in, nobody else; web lets nobody in
    assert not _ping(vm3, _ip(p2))
    assert not _ping(vm2, _ip(p3))
    plane = c1.agent.get_dataplane(None)["firewall"]
    assert set(plane["ports"]) == {p1["id"], p3["id"]}
    assert f"chain ingress-{p3['id'][:11]}" in c1.ruleset()

    # DHCP always passes, even into a group without ingress rules (the server's port, a
    # network: port, is not filtered)
    dhcp = _port(admin, net, "compute2", "p-a", device_owner="network:dhcp")
    server = c2.boot(dhcp, "q")
    made.append(server)
    dnsmasq = _dhcp_server(server, dhcp, p3, tmp_path)
    try:
        assert wait_for(lambda: _active(admin, dhcp))
        assert _leased(vm3, tmp_path)
    finally:
        dnsmasq.kill()
        dnsmasq.wait()

    # an ICMP rule on web: vm2 gets in; vm3's answers are let out and back as established,
    # while vm3 still may not start anything into vm2
    rule = _create(admin, "security-group-rules", "security_group_rule",
                   security_group_id=web["id"], direction="ingress", protocol="icmp",
                   ethertype="IPv4", remote_ip_prefix="0.0.0.0/0")
    assert wait_for(lambda: _ping(vm2, _ip(p3)))
    assert "icmp" in " ".join(c1.agent.get_dataplane(None)["firewall"]["ports"][p3["id"]][
        "ingress"])
    assert not _ping(vm3, _ip(p2))

    # the rule goes: blocked again, no agent restarted
    assert admin.delete(f"/v2.0/security-group-rules/{rule['id']}").status_code == 204
    assert wait_for(lambda: not _ping(vm2, _ip(p3)))
    assert not _ping(vm1, _ip(p3))

    # port security off: no chain for the port, everything gets through
    _update(admin, p3, security_groups=[], port_security_enabled=False)
    assert wait_for(lambda: _ping(vm1, _ip(p3)))
    assert f"ingress-{p3['id'][:11]}" not in c1.ruleset()

    # members: p1 leaves `default` (for web): compute2's set of default's members loses
    # it, so vm2 stops letting vm1 in; it joins again, and is let in again
    _update(admin, p1, security_groups=[web["id"]])
    assert wait_for(lambda: not _ping(vm1, _ip(p2)))
    assert _ip(p1) not in c2.ruleset()
    _update(admin, p1, security_groups=[_default(admin, "p-a")["id"]])
    assert wait_for(lambda: _ping(vm1, _ip(p2)))
    assert _ip(p1) in c2.ruleset()

    # anti-spoofing: vm1 may send only from its own address
    vm1.address("eth0", "10.60.0.99/24")
    assert not _ping(vm1, _ip(p2), "-I", "10.60.0.99")
    assert _ping(vm1, _ip(p2), "-I", _ip(p1))

    # no filtered port left on a node: its tables go
    for port in (p1, p3):
        assert admin.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert wait_for(lambda: "table" not in c1.ruleset())
    assert "table inet sg" in c2.ruleset()


def _neighbour_mac(vm: Namespace, ip: str) -> str | None:
    entries = json.loads(vm.run("ip", "-j", "neigh", "show", ip).stdout or "[]")
    return entries[0].get("lladdr") if entries else None


def test_two_projects_with_overlapping_cidrs_stay_apart(cloud):
    admin, nodes, made = cloud
    c1, c2 = nodes["compute1"], nodes["compute2"]
    ports, vms = {}, {}
    closed = _group(admin, "p-b", "closed")  # no ingress at all
    for project in ("p-a", "p-b"):
        net, subnet = _network(admin, project, "10.50.0.0/24")
        extra = {"security_groups": [closed["id"]]} if project == "p-b" else {}
        for host, ip in (("compute1", "10.50.0.10"), ("compute2", "10.50.0.20")):
            name = f"{project[-1]}{host[-1]}"  # a1, a2, b1, b2
            ports[name] = _port(admin, net, host, project, fixed_ips=[
                {"subnet_id": subnet["id"], "ip_address": ip}], **extra)
            vms[name] = nodes[host].boot(ports[name], name)
            made.append(vms[name])
        if project == "p-b":  # an address only project b has
            ports["b3"] = _port(admin, net, "compute2", project, fixed_ips=[
                {"subnet_id": subnet["id"], "ip_address": "10.50.0.30"}])
            vms["b3"] = c2.boot(ports["b3"], "b3")
            made.append(vms["b3"])
    assert wait_for(lambda: _active(admin, *ports.values()))
    assert c1.agent.get_dataplane(None)["bridges"].keys() == c2.agent.get_dataplane(None)[
        "bridges"].keys() and len(c1.agent.get_dataplane(None)["bridges"]) == 2

    # same addresses, two VNIs: a1 reaches its own 10.50.0.20 (a2's MAC), never b's hosts
    assert wait_for(lambda: _ping(vms["a1"], "10.50.0.20", "-e", "4242"), timeout=10)
    assert _neighbour_mac(vms["a1"], "10.50.0.20") == ports["a2"]["mac_address"]
    assert not _ping(vms["a1"], "10.50.0.30")

    # b1 -> b2 is the very same ICMP flow as a1 -> a2 (addresses, id): compute2 keeps
    # a1's connection in network a's conntrack zone, so b2's closed group still drops it
    assert not _ping(vms["b1"], "10.50.0.20", "-e", "4242")
    conntrack = c2.ns.run("cat", "/proc/net/nf_conntrack").stdout
    assert any("id=4242" in line and "zone=" in line for line in conntrack.splitlines())
