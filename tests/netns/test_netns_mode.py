"""The netns mode: `minicloud up --mode netns` puts each node of the plan in a network
namespace of its own, joined by host bridges for the four networks (netns/fabric.py), and
starts the processes mode's nodes inside them. Driven with the real minicloud and openstack
commands; the fabric's names start with `mctn` (Config.netns_prefix) so that a learner's
cloud (`mc`) and the other tests' namespaces are never touched.

One cloud for the module; `down` comes last."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from minicloud.config import Config
from minicloud.netns.fabric import Fabric
from minicloud.topology import Topology
from tests.fakes import wait_for
from tests.livecloud import BIN, minicloud
from tests.netns.netns_cloud import netns_cloud

PREFIX = "mctn"


@pytest.fixture(scope="module")
def live(tmp_path_factory, rabbitmq_url, plan_networks):
    yield from netns_cloud(tmp_path_factory.mktemp("netns"), PREFIX)


def nodes(cloud) -> dict:
    result = minicloud("nodes", "-f", "json", home=cloud.home)
    assert result.returncode == 0, result.stderr
    return {n["name"]: n for n in json.loads(result.stdout)}


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout


def test_each_node_runs_in_its_namespace_with_its_name_and_addresses(live):
    found = nodes(live)
    for name, node in found.items():
        assert run("ip", "netns", "identify", str(node["pid"])).strip() == f"{PREFIX}-{name}"
        if name != "controller":  # the launcher keeps the host's name
            assert run("nsenter", "-t", str(node["pid"]), "-u", "hostname").strip() == name
    inside = run("ip", "netns", "exec", f"{PREFIX}-compute1", "ip", "-br", "addr")
    assert "10.0.0.31/24" in inside and "10.0.1.31/24" in inside
    assert "203.0.113" not in inside  # a compute node is not on the external network
    bridges = run("ip", "-br", "link", "show", "type", "bridge")
    assert all(f"{PREFIX}-{net}" in bridges for net in ("mgmt", "data", "ext", "api"))


def test_the_catalog_is_public_on_the_api_network_and_internal_on_management(live):
    endpoints = live.cli_json("endpoint", "list", "--service", "compute",
                              cloud="minicloud-admin")
    urls = {e["Interface"]: e["URL"] for e in endpoints}
    assert urls["public"].startswith("http://198.51.100.11:")
    assert urls["internal"].startswith("http://10.0.0.11:")


def test_a_server_boots_on_compute2_across_the_management_network(live):
    server = live.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                           "--network", "private", "--availability-zone", "nova:compute2",
                           "--wait", "vm1", cloud="minicloud-admin")
    assert server["status"] == "ACTIVE" and server["OS-EXT-SRV-ATTR:host"] == "compute2"
    # compute2 reached the broker (through the host's relay) and the controller over
    # its management interface
    peers = run("ip", "netns", "exec", f"{PREFIX}-compute2", "ss", "-tn")
    assert "10.0.0.32:" in peers and "10.0.0.1:5672" in peers


def console(live, server_id: str, *command: str) -> subprocess.CompletedProcess:
    return minicloud("console", server_id, "--", *command, home=live.home)


def test_servers_on_two_compute_nodes_ping_across_a_vxlan_tunnel(live):
    vm2 = live.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                        "--network", "private", "--availability-zone", "nova:compute1",
                        "--wait", "vm2", cloud="minicloud-admin")
    vm1 = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")
    address = vm1["addresses"]["private"][0]
    port = live.cli_json("port", "list", "--server", vm1["id"], cloud="minicloud-admin")[0]
    # the guest's DHCP lease is its Neutron port's address
    assert console(live, vm1["id"], "ip", "-4", "-br", "addr", "show", "eth0").stdout.split()[2] \
        == f"{address}/24"
    assert port["Fixed IP Addresses"][0]["ip_address"] == address
    vni = live.cli_json("network", "show", "private", cloud="minicloud-admin")[
        "provider:segmentation_id"]
    capture = subprocess.Popen(
        ["ip", "netns", "exec", f"{PREFIX}-compute2", "tcpdump", "-ni", "data", "-c", "2",
         "--immediate-mode", "-U", "udp", "port", "4789"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        wait_for(lambda: console(live, vm2["id"], "ping", "-c1", "-W1", address).returncode
                 == 0, timeout=15)
        assert console(live, vm2["id"], "ping", "-c2", "-W2", address).returncode == 0
        seen = capture.communicate(timeout=10)[0]
    finally:
        capture.kill()
    assert f"vni {vni}" in seen and "10.0.1.31" in seen and "10.0.1.32" in seen


def test_a_server_reaches_the_outside_through_its_routers_snat(live):
    vm1 = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")
    assert console(live, vm1["id"], "ping", "-c1", "-W2", "203.0.113.1").returncode == 0


def test_a_floating_ip_reaches_a_server_from_the_host(live):
    vm1 = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")
    fip = live.cli_json("floating", "ip", "create", "public",
                        cloud="minicloud-admin")["floating_ip_address"]
    live.cli("server", "add", "floating", "ip", vm1["id"], fip, cloud="minicloud-admin")
    # the default security group lets in only its own members: the host is not one
    assert not wait_for(lambda: subprocess.run(["ping", "-c1", "-W1", fip],
                                               capture_output=True).returncode == 0, timeout=3)
    group = live.cli_json("security", "group", "list", "--project", "admin",
                          cloud="minicloud-admin")
    default = next(g["ID"] for g in group if g["Name"] == "default")
    live.cli("security", "group", "rule", "create", "--protocol", "icmp", default,
             cloud="minicloud-admin")
    assert wait_for(lambda: subprocess.run(["ping", "-c1", "-W1", fip],
                                           capture_output=True).returncode == 0, timeout=15)
    live.cli("server", "remove", "floating", "ip", vm1["id"], fip, cloud="minicloud-admin")
    assert wait_for(lambda: subprocess.run(["ping", "-c1", "-W1", fip],
                                           capture_output=True).returncode != 0, timeout=15)


def test_objects_are_stored_on_storage_nodes_in_their_namespaces(live):
    live.cli("container", "create", "box")
    path = live.home / "note.txt"
    path.write_text("kept on three storage nodes\n")
    live.cli("object", "create", "box", str(path), "--name", "note.txt")
    assert live.cli("object", "save", "box", "note.txt", "--file", "-").stdout == \
        "kept on three storage nodes\n"
    ring = json.loads((live.home / "ring.json").read_text())
    assert {d["ip"] for d in ring["devices"]} == {"10.0.0.41", "10.0.0.42", "10.0.0.43"}


def _pings(live, source: str, address: str, count: int = 1) -> bool:
    return console(live, source, "ping", "-c", str(count), "-W1", address).returncode == 0


def test_minicloud_capture_shows_vxlan_with_the_networks_vni(live):
    vm1 = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")  # on compute2
    vm2 = live.cli_json("server", "show", "vm2", cloud="minicloud-admin")  # on compute1
    address = vm1["addresses"]["private"][0]
    vni = live.cli_json("network", "show", "private", cloud="minicloud-admin")[
        "provider:segmentation_id"]
    assert wait_for(lambda: _pings(live, vm2["id"], address), timeout=15)
    capture = subprocess.Popen(
        [str(BIN / "minicloud"), "--home", str(live.home), "capture", "compute2", "data",
         "--count", "4", "--timeout", "20", "--filter", "udp port 4789"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _pings(live, vm2["id"], address, count=3) and
                 capture.poll() is not None, timeout=20)
        seen, said = capture.communicate(timeout=25)
    finally:
        capture.kill()
    assert capture.returncode == 0, said
    assert "tcpdump on compute2's data interface (in mctn-compute2)" in said
    assert f"vni {vni}" in seen and "ICMP echo" in seen and address in seen
    pcap = live.home / "data.pcap"  # -w: a file for Wireshark instead of text
    into = subprocess.Popen([str(BIN / "minicloud"), "--home", str(live.home), "capture",
                             "compute2", "data", "--count", "2", "--timeout", "20", "-w",
                             str(pcap), "--filter", "udp port 4789"],  # no ARP between nodes
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _pings(live, vm2["id"], address) and into.poll() is not None,
                 timeout=20)
        into.communicate(timeout=25)
    finally:
        into.kill()
    assert f"vni {vni}" in run("tcpdump", "-nr", str(pcap))


def test_fault_cut_stops_the_tunnel_and_restore_brings_it_back(live):
    vm1 = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")  # on compute2
    vm2 = live.cli_json("server", "show", "vm2", cloud="minicloud-admin")  # on compute1
    address = vm1["addresses"]["private"][0]
    assert wait_for(lambda: _pings(live, vm2["id"], address), timeout=15)
    cut = minicloud("fault", "cut", "compute2", "data", home=live.home)
    try:
        assert cut.returncode == 0 and "compute2's data link is down" in cut.stdout, cut.stderr
        assert run("ip", "-n", f"{PREFIX}-compute2", "-br", "link", "show", "data").split()[
            1] == "DOWN"
        assert "compute2    data  DOWN" in minicloud("fault", "status", home=live.home).stdout
        assert not _pings(live, vm2["id"], address, count=2)
    finally:
        restored = minicloud("fault", "restore", "compute2", "data", home=live.home)
    assert restored.returncode == 0 and "up again" in restored.stdout, restored.stderr
    assert wait_for(lambda: _pings(live, vm2["id"], address), timeout=20)
    assert minicloud("fault", "status", home=live.home).stdout == "No link is cut.\n"


def test_down_leaves_no_namespace_link_or_process(live):
    pids = [n["pid"] for n in nodes(live).values()]
    assert live.down().returncode == 0
    fabric = Fabric(Topology.from_config(live.config), PREFIX)
    assert wait_for(lambda: not fabric.leftovers(), timeout=10), fabric.leftovers()
    assert all(not _alive(pid) for pid in pids)
    # the servers, DHCP servers and routers went with their nodes
    assert not [n for n in run("ip", "netns", "list").split() if n.startswith(PREFIX)]
    assert subprocess.run(["pgrep", "-f", f"{live.home}/"], capture_output=True).returncode == 1


def _alive(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_start_that_fails_half_way_leaves_nothing(tmp_path, rabbitmq_url):
    """compute2 never comes up: the launcher stops the nodes it started and removes the
    fabric. Run in a process of its own, as the launcher enters the controller's
    namespace."""
    script = textwrap.dedent(f"""
        from minicloud.config import Config
        from minicloud.netns import launcher
        def broken(self, *args, **kwargs):
            if self.name == "compute2":
                raise RuntimeError("compute2 did not come up (the test said so)")
            return original(self, *args, **kwargs)
        original = launcher.NetnsChild.wait_up
        launcher.NetnsChild.wait_up = broken
        config = Config(home={str(tmp_path)!r}, netns_prefix={PREFIX!r}, scrypt_n=2**10,
                        transport_url={rabbitmq_url!r}, mode="netns")
        try:
            launcher.NetnsCloud(config, say=lambda line: None).start()
        except RuntimeError as exc:
            print("failed:", exc)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert "failed: compute2 did not come up" in done.stdout, done.stderr
    fabric = Fabric(Topology.from_config(Config(home=tmp_path)), PREFIX)
    assert fabric.leftovers() == []
    assert subprocess.run(["pgrep", "-f", f"{tmp_path}/nodes/"],
                          capture_output=True).returncode == 1  # no node process left
