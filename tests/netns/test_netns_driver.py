"""The `netns` compute driver for real: instances as namespaces on a "compute node" namespace.

The lab: two compute node namespaces (mctnd-c1, mctnd-c2), each with a bridge standing in for
the Linux bridge agent's brq (the test enslaves the driver's taps itself), the bridges joined
by a veth (standing in for VXLAN), and dnsmasq in mctnd-dh serving fixed addresses from a
hosts file (mac,hostname,ip), as Neutron's DHCP agent does.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

from minicloud.cli import console
from minicloud.compute import netns_driver
from minicloud.compute.driver import PAUSED, RUNNING, SHUTDOWN, DriverError
from minicloud.compute.netns_driver import NetnsDriver
from minicloud.netns import plumbing
from tests.compute.conftest import Nova

PREFIX = "mctnd-"
VM_PREFIX = "mctnd-vm-"
BRIDGE = "brqmct"
NET = "10.99.0"
API_NET = "10.0.0"  # tests/compute/fakes.py's network `private`: 10.0.0.10, .11, ...


def wait_for(check, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def is_up(ns: plumbing.Namespace, ifname: str) -> bool:
    return bool(ns.ipr.get_links(ns.require(ifname))[0]["flags"] & 1)  # IFF_UP


class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.nodes = {n: plumbing.Namespace.create(f"{PREFIX}{n}") for n in ("c1", "c2")}
        for node in self.nodes.values():
            node.bridge(BRIDGE)
        plumbing.veth(self.nodes["c1"], "mctlink1", self.nodes["c2"], "mctlink2")
        self.nodes["c1"].enslave("mctlink1", BRIDGE)
        self.nodes["c2"].enslave("mctlink2", BRIDGE)
        self.dhcp = plumbing.Namespace.create(f"{PREFIX}dh")
        plumbing.veth(self.nodes["c1"], "mctdh0", self.dhcp, "ns-dh", mtu=1450)
        self.nodes["c1"].enslave("mctdh0", BRIDGE)
        self.dhcp.address("ns-dh", f"{NET}.2/24")
        self.dhcp.address("ns-dh", f"{API_NET}.2/24")
        self.hosts = tmp / "hosts"
        self.hosts.write_text("".join(f"fa:16:3e:99:00:{i:02x},host-{i},{NET}.{i}\n"
                                      for i in range(11, 15)) +
                              "".join(f"fa:16:3e:00:00:{i:02x},host-{i},{API_NET}.{i}\n"
                                      for i in range(10, 20)))
        self.dnsmasq = self.dhcp.popen(
            "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts",
            "--no-resolv", "--port=0", "--bind-interfaces", "--interface=ns-dh",
            "--except-interface=lo", "--user=root", f"--pid-file={tmp}/dnsmasq.pid",
            f"--dhcp-leasefile={tmp}/leases", f"--log-facility={tmp}/dnsmasq.log",
            f"--dhcp-range=set:t0,{NET}.0,static,255.255.255.0,120s",
            f"--dhcp-range=set:t1,{API_NET}.0,static,255.255.255.0,120s",
            f"--dhcp-hostsfile={self.hosts}", "--dhcp-option=tag:t0,option:mtu,1450",
            f"--dhcp-option=tag:t0,option:router,{NET}.1", "--dhcp-authoritative",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.drivers = {n: NetnsDriver(f"mct-compute-{n}", 4, 4096, 40,
                                       state_path=tmp / n, node_netns=f"{PREFIX}{n}",
                                       prefix=VM_PREFIX, lease_timeout=10)
                        for n in ("c1", "c2")}
        self.instances: list[dict] = []

    def instance(self, name: str, index: int) -> tuple[dict, list[dict]]:
        instance = {"id": str(uuid.uuid4()), "name": name, "key_name": "mykey",
                    "flavor": {"ram": 512, "vcpus": 1, "disk": 1}}
        vif = {"port_id": str(uuid.uuid4()), "network_id": str(uuid.uuid4()),
               "network_name": "private", "ip": f"{NET}.{index}",
               "mac": f"fa:16:3e:99:00:{index:02x}"}
        instance["network_info"] = [vif]
        self.instances.append(instance)
        return instance, [vif]

    def agent_plugs(self, node: str, vifs: list[dict]) -> None:
        """What the Linux bridge agent does when it sees the tap."""
        for vif in vifs:
            wait_for(lambda: self.nodes[node].index(netns_driver.tap_name(vif["port_id"])),
                     5, "the tap")
            self.nodes[node].enslave(netns_driver.tap_name(vif["port_id"]), BRIDGE)

    def boot(self, node: str, name: str, index: int) -> dict:
        instance, vifs = self.instance(name, index)
        self.drivers[node].spawn(instance, {"name": "cirros"}, vifs)
        self.agent_plugs(node, vifs)
        self.wait_lease(node, instance, 1)
        wait_for(lambda: f"{name} login:" in self.drivers[node].get_console_output(instance),
                 10, "the login prompt")
        return instance

    def leases(self, node: str, instance: dict) -> int:
        return self.drivers[node].get_console_output(instance).count("Lease of ")

    def wait_lease(self, node: str, instance: dict, count: int) -> None:
        wait_for(lambda: self.leases(node, instance) >= count, 20,
                 f"lease {count} of {instance['id']}")

    def inside(self, node: str, instance: dict, *command: str) -> subprocess.CompletedProcess:
        argv = console.entry_command(self.drivers[node].state_path, instance["id"],
                                     list(command))
        return subprocess.run(argv, capture_output=True, text=True, timeout=20)

    def ping(self, node: str, instance: dict, ip: str) -> bool:
        return self.inside(node, instance, "ping", "-c", "1", "-W", "1", ip).returncode == 0

    def close(self) -> None:
        for instance in self.instances:
            for driver in self.drivers.values():
                driver.destroy(instance)
        self.dnsmasq.kill()
        self.dnsmasq.wait()
        for ns in (*self.nodes.values(), self.dhcp):
            ns.delete()


@pytest.fixture
def lab(tmp_path):
    made = Lab(tmp_path)
    try:
        yield made
    finally:
        made.close()
    assert plumbing.names(PREFIX) == []
    assert not [p for p in os.listdir("/etc/netns") if p.startswith(PREFIX)] \
        if os.path.isdir("/etc/netns") else True


def test_instance_gets_its_address_hostname_and_console(lab):
    vm1 = lab.boot("c1", "vm1", 11)
    ns = plumbing.Namespace(f"{VM_PREFIX}{vm1['id'][:11]}")
    try:
        assert ns.addresses("eth0") == [f"{NET}.11/24"]
        link = ns.ipr.get_links(ns.require("eth0"))[0]
        assert link.get_attr("IFLA_ADDRESS") == "fa:16:3e:99:00:0b"
        assert link.get_attr("IFLA_MTU") == 1450
    finally:
        ns.close()
    assert lab.inside("c1", vm1, "hostname").stdout.strip() == "vm1"
    log = lab.drivers["c1"].get_console_output(vm1)
    assert f"Lease of {NET}.11 obtained on eth0" in log
    assert "hostname set to vm1" in log
    assert "key pair mykey installed" in log
    assert log.index("Lease of") < log.index("key pair") < log.index("vm1 login:")
    assert lab.drivers["c1"].power_state(vm1) == RUNNING


def test_power_actions_are_visible_on_the_network(lab):
    vm1, vm2 = lab.boot("c1", "vm1", 11), lab.boot("c1", "vm2", 12)
    driver = lab.drivers["c1"]
    assert lab.ping("c1", vm2, f"{NET}.11")

    driver.power_off(vm1)
    assert driver.power_state(vm1) == SHUTDOWN
    assert not lab.ping("c1", vm2, f"{NET}.11")
    tap = netns_driver.tap_name(vm1["network_info"][0]["port_id"])
    assert not is_up(lab.nodes["c1"], tap)
    driver.power_on(vm1)
    lab.wait_lease("c1", vm1, 2)
    assert lab.ping("c1", vm2, f"{NET}.11")
    assert is_up(lab.nodes["c1"], tap)

    driver.pause(vm1)
    pid = netns_driver.load_record(driver.state_path, vm1["id"])["pid"]
    assert driver.power_state(vm1) == PAUSED
    assert netns_driver.guest_stopped(pid)
    assert not lab.ping("c1", vm2, f"{NET}.11")
    driver.unpause(vm1)
    assert not netns_driver.guest_stopped(pid)
    assert lab.ping("c1", vm2, f"{NET}.11")

    driver.reboot(vm1, "SOFT")
    lab.wait_lease("c1", vm1, 3)
    assert "reboot: Restarting system" in driver.get_console_output(vm1)
    assert lab.ping("c1", vm2, f"{NET}.11")


def test_destroy_leaves_nothing(lab):
    vm1 = lab.boot("c1", "vm1", 11)
    driver = lab.drivers["c1"]
    pid = netns_driver.load_record(driver.state_path, vm1["id"])["pid"]
    tap = netns_driver.tap_name(vm1["network_info"][0]["port_id"])
    driver.destroy(vm1)
    assert plumbing.names(VM_PREFIX) == []
    assert lab.nodes["c1"].index(tap) is None
    assert not os.path.exists(f"/proc/{pid}")
    assert not (driver.state_path / "instances" / vm1["id"]).exists()
    with pytest.raises(DriverError):
        driver.power_on(vm1)


def test_cold_migration_keeps_mac_and_ip(lab):
    vm1, vm2 = lab.boot("c1", "vm1", 11), lab.boot("c1", "vm2", 12)
    state = lab.drivers["c1"].migrate_out(vm1)
    assert lab.nodes["c1"].index(netns_driver.tap_name(vm1["network_info"][0]["port_id"])) \
        is None
    lab.drivers["c2"].migrate_in(vm1, state, vm1["network_info"])
    lab.agent_plugs("c2", vm1["network_info"])
    lab.wait_lease("c2", vm1, 2)  # the first lease is in the console it brought along
    log = lab.drivers["c2"].get_console_output(vm1)
    assert "(arrived on hypervisor mct-compute-c2)" in log
    assert log.count(f"Lease of {NET}.11 obtained") == 2
    assert lab.ping("c1", vm2, f"{NET}.11")
    lab.drivers["c1"].destroy(vm1)  # confirm_resize on the source: the moved one stays
    assert lab.drivers["c2"].power_state(vm1) == RUNNING
    assert lab.ping("c1", vm2, f"{NET}.11")


def test_restarted_driver_adopts_running_instances(lab):
    vm1 = lab.boot("c1", "vm1", 11)
    pid = netns_driver.load_record(lab.drivers["c1"].state_path, vm1["id"])["pid"]
    again = NetnsDriver("mct-compute-c1", 4, 4096, 40, state_path=lab.drivers["c1"].state_path,
                        node_netns=f"{PREFIX}c1", prefix=VM_PREFIX)
    lab.drivers["c1"] = again
    again.recover(vm1, RUNNING)
    assert again.power_state(vm1) == RUNNING
    assert netns_driver.load_record(again.state_path, vm1["id"])["pid"] == pid
    assert "instance adopted" in again.get_console_output(vm1)
    again.power_off(vm1)
    assert not os.path.exists(f"/proc/{pid}")


def test_recover_builds_again_what_a_reboot_of_the_node_removed(lab):
    vm1, vm2 = lab.boot("c1", "vm1", 11), lab.boot("c1", "vm2", 12)
    driver = lab.drivers["c1"]
    pid = netns_driver.load_record(driver.state_path, vm1["id"])["pid"]
    assert sorted(driver.host_shutdown()) == sorted([vm1["id"], vm2["id"]])
    assert plumbing.names(VM_PREFIX) == []
    assert not os.path.exists(f"/proc/{pid}")
    again = NetnsDriver("mct-compute-c1", 4, 4096, 40, state_path=driver.state_path,
                        node_netns=f"{PREFIX}c1", prefix=VM_PREFIX)
    lab.drivers["c1"] = again
    for vm in (vm1, vm2):
        again.recover(vm, RUNNING)
        lab.agent_plugs("c1", vm["network_info"])
        lab.wait_lease("c1", vm, 2)  # the console is kept across the node's restart
    log = again.get_console_output(vm1)
    assert "shut down)" in log and "instance built again" in log
    assert lab.ping("c1", vm2, f"{NET}.11")


def test_console_runs_a_command_and_returns_its_status(lab):
    vm1 = lab.boot("c1", "vm1", 11)
    assert lab.inside("c1", vm1, "sh", "-c", "exit 7").returncode == 7
    done = lab.inside("c1", vm1, "ip", "-4", "-o", "addr", "show", "dev", "eth0")
    assert f"{NET}.11/24" in done.stdout
    assert console.run(lab.drivers["c1"].state_path, vm1["id"], ["true"]) == 0
    lab.drivers["c1"].power_off(vm1)  # no guest: the network namespace alone
    argv = console.entry_command(lab.drivers["c1"].state_path, vm1["id"], ["true"])
    assert argv[:3] == ["ip", "netns", "exec"]


def test_volumes_appear_inside_and_interfaces_come_and_go(lab):
    vm1 = lab.boot("c1", "vm1", 11)
    driver = lab.drivers["c1"]
    share = lab.tmp / "share"
    share.mkdir()
    (share / "volume-1").write_text("the volume's bytes\n")
    info = {"driver_volume_type": "nfs",
            "data": {"export": f"10.0.0.41:{share}", "name": "volume-1"}}
    driver.attach_volume(vm1, "vol-1", "/dev/vdb", info)
    assert lab.inside("c1", vm1, "cat", "/mnt/vdb").stdout == "the volume's bytes\n"
    with pytest.raises(DriverError):
        driver.attach_volume(vm1, "vol-2", "/dev/vdc", {"driver_volume_type": "iscsi"})
    driver.detach_volume(vm1, "vol-1")
    assert lab.inside("c1", vm1, "ls", "/mnt").stdout == ""

    _, (vif,) = lab.instance("unused", 13)
    driver.attach_interface(vm1, vif)
    lab.agent_plugs("c1", [vif])
    wait_for(lambda: f"Lease of {NET}.13 obtained on eth1" in driver.get_console_output(vm1),
             20, "the second NIC's lease")
    assert lab.inside("c1", vm1, "ip", "-4", "-o", "addr", "show", "dev", "eth1").stdout \
        .count(f"{NET}.13/24") == 1
    driver.detach_interface(vm1, vif["port_id"])
    assert lab.inside("c1", vm1, "ip", "link", "show", "eth1").returncode != 0
    assert lab.nodes["c1"].index(netns_driver.tap_name(vif["port_id"])) is None


# -- through Nova: the compute manager drives the netns driver ---------------------------------
NODES = {"compute1": "c1", "compute2": "c2"}


@pytest.fixture
def nova(lab, tmp_path):
    """nova-api, conductor, scheduler and two compute hosts (tests/compute/conftest.py),
    their drivers replaced by netns drivers on the lab's two compute node namespaces."""
    service = Nova(tmp_path / "nova")
    for host, node in NODES.items():
        driver = NetnsDriver(host, 8, 16384, 200, state_path=tmp_path / "nova" / host,
                             node_netns=f"{PREFIX}{node}", prefix=VM_PREFIX, lease_timeout=10)
        service.hosts[host].manager.driver = lab.drivers[node] = driver
    try:
        yield service
    finally:
        service.stop()


def booted(lab, nova, name: str) -> dict:
    server = nova.server(nova.boot(name)["id"])
    lab.instances.append({"id": server["id"]})
    plugged(lab, server)
    return server


def plugged(lab, server: dict, lease: int = 1) -> None:
    """The bridge agent's part where the server now is; then its `lease`-th lease."""
    node = NODES[server["OS-EXT-SRV-ATTR:host"]]
    vifs = netns_driver.load_record(lab.drivers[node].state_path, server["id"])["vifs"]
    lab.agent_plugs(node, vifs)
    lab.wait_lease(node, {"id": server["id"]}, lease)


def ip_of(nova, server: dict) -> str:
    return nova.server(server["id"])["addresses"]["private"][0]["addr"]


def test_nova_boots_stops_migrates_and_deletes_netns_instances(lab, nova):
    vm1, vm2 = booted(lab, nova, "apivm1"), booted(lab, nova, "apivm2")
    ip1 = ip_of(nova, vm1)
    node2 = NODES[vm2["OS-EXT-SRV-ATTR:host"]]
    assert lab.ping(node2, vm2, ip1)
    out = nova.action(vm1["id"], {"os-getConsoleOutput": {}}).json["output"]
    assert f"Lease of {ip1} obtained on eth0" in out

    nova.action(vm1["id"], {"os-stop": None})
    assert nova.wait(vm1["id"], "SHUTOFF")["OS-EXT-STS:power_state"] == SHUTDOWN
    assert not lab.ping(node2, vm2, ip1)
    nova.action(vm1["id"], {"os-start": None})
    nova.wait(vm1["id"], "ACTIVE")
    plugged(lab, vm1, 2)
    assert lab.ping(node2, vm2, ip1)

    source = vm1["OS-EXT-SRV-ATTR:host"]
    assert nova.action(vm1["id"], {"migrate": None}, "admin").status_code == 202
    moved = nova.wait(vm1["id"], "VERIFY_RESIZE")
    assert moved["OS-EXT-SRV-ATTR:host"] != source
    plugged(lab, moved, 3)
    assert lab.ping(node2, vm2, ip1)
    assert nova.action(vm1["id"], {"confirmResize": None}).status_code == 204
    nova.wait(vm1["id"], "ACTIVE")
    assert lab.ping(node2, vm2, ip1)  # confirming on the source left the moved one alone
    out = nova.action(vm1["id"], {"os-getConsoleOutput": {}}).json["output"]
    assert out.count(f"Lease of {ip1} obtained on eth0") >= 3

    there = moved["OS-EXT-SRV-ATTR:host"]
    nova.action(vm1["id"], {"os-migrateLive": {"host": None, "block_migration": "auto"}},
                "admin")
    wait_for(lambda: nova.server(vm1["id"])["OS-EXT-SRV-ATTR:host"] != there, 20,
             "the live migration")
    back = nova.wait(vm1["id"], "ACTIVE")
    plugged(lab, back, 4)
    assert lab.ping(node2, vm2, ip1)

    nova.action(vm1["id"], {"pause": None})
    nova.wait(vm1["id"], "PAUSED")
    assert not lab.ping(node2, vm2, ip1)
    nova.action(vm1["id"], {"unpause": None})
    nova.wait(vm1["id"], "ACTIVE")
    assert lab.ping(node2, vm2, ip1)

    for server in (vm1, vm2):
        nova.request("DELETE", f"/servers/{server['id']}")
        nova.wait(server["id"], None)
    assert plumbing.names(VM_PREFIX) == []
    for node in NODES.values():
        assert not [link for link in lab.nodes[node].ipr.get_links()
                    if link.get_attr("IFLA_IFNAME").startswith("tap")]
