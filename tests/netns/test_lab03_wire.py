"""Lab 03's netns-mode step ("Watch the wire") played by a learner: a cloud of
`minicloud up --mode netns`, the lab's reference solution (which boots two servers on two
compute nodes, pings across the tunnel, captures it with `minicloud capture ... -w` and saves
`ip -d link show` and `bridge fdb show` from compute1's namespace), and the checker run as
`make lab-check LAB=03` runs it: failing before, passing after, and failing with its hint
when one of the learner's files is wrong.

One cloud for the module (fabric prefix `mctl`); the files it changes are put back."""

from __future__ import annotations

import contextlib
import struct
import subprocess

import pytest

from tests.labs.harness import Lab
from tests.netns.netns_cloud import netns_cloud

PREFIX = "mctl"
LAB = Lab("lab03-neutron")
STEPS = 10  # 6 in every mode, 4 in the netns mode


@pytest.fixture(scope="module")
def live(tmp_path_factory, rabbitmq_url, plan_networks):
    yield from netns_cloud(tmp_path_factory.mktemp("lab03-netns"), PREFIX)


@pytest.fixture(scope="module")
def before(live):
    return LAB.check(live.home)


@pytest.fixture(scope="module")
def solved(live, before):
    LAB.solve(live, expect="Step 7: two servers on two compute nodes")
    return live


def wire(live, name: str):
    return live.home / "lab03" / name


@contextlib.contextmanager
def replaced(path, content: bytes):
    """The learner's file `path` holds `content` for a while."""
    kept = path.read_bytes()
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(kept)


def test_the_wire_checkpoints_fail_on_an_untouched_cloud(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out and "skipped" not in out  # checked, not skipped
    assert "✗ 7. (netns mode) lab-vm1 on compute1 and lab-vm2 on compute2" in out
    assert "--network lab-net --availability-zone nova:compute1 --wait lab-vm1" in out
    assert "First make lab-vm1 and lab-vm2 (checkpoint 7)." in out


def test_the_solution_makes_every_checkpoint_pass(solved):
    result = LAB.check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout
    assert "vni" in subprocess.run(["tcpdump", "-nr", str(wire(solved, "vxlan.pcap"))],
                                   capture_output=True, text=True).stdout


def test_a_capture_printed_as_text_is_not_a_capture(solved):
    """The learner forgot -w and saved tcpdump's text."""
    text = subprocess.run(["tcpdump", "-nr", str(wire(solved, "vxlan.pcap"))],
                          capture_output=True).stdout
    with replaced(wire(solved, "vxlan.pcap"), text):
        result = LAB.check(solved.home)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
    assert "✗ 8. (netns mode) $WIRE/vxlan.pcap" in result.stdout
    assert "it is not a pcap file (did you give `minicloud capture` its -w?)" in result.stdout


def with_vni(pcap: bytes, vni: int) -> bytes:
    """The same capture, every VXLAN header saying `vni` (another network's traffic)."""
    data, at = bytearray(pcap), 24
    while at + 16 <= len(data):
        length = struct.unpack("<I", data[at + 8:at + 12])[0]
        frame = at + 16
        ihl = (data[frame + 14] & 0x0F) * 4
        udp = frame + 14 + ihl
        if data[frame + 23] == 17 and struct.unpack("!H", data[udp + 2:udp + 4])[0] == 4789:
            data[udp + 12:udp + 15] = vni.to_bytes(3, "big")
        at = frame + length
    return bytes(data)


def test_a_capture_of_another_network_fails_with_its_vni(solved):
    vni = solved.cli_json("network", "show", "lab-net",
                          cloud="minicloud-admin")["provider:segmentation_id"]
    path = wire(solved, "vxlan.pcap")
    with replaced(path, with_vni(path.read_bytes(), vni + 7)):
        result = LAB.check(solved.home)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
    assert (f"carry VNI {vni + 7}, but lab-net's VNI is {vni}" in result.stdout), result.stdout


def test_links_and_fdb_of_the_wrong_node_fail(solved):
    """The learner ran the commands in mctl-network and mctl-compute2 instead of compute1:
    the network node's vxlan device is local 10.0.1.21, and compute2 holds lab-vm2's MAC
    on its own bridge, not behind a tunnel."""
    def inside(node, *command):
        return subprocess.run(["ip", "netns", "exec", f"{PREFIX}-{node}", *command],
                              capture_output=True, check=True).stdout

    with replaced(wire(solved, "compute1-links.txt"), inside("network", "ip", "-d", "link",
                                                             "show")), \
            replaced(wire(solved, "compute1-fdb.txt"), inside("compute2", "bridge", "fdb",
                                                              "show")):
        result = LAB.check(solved.home)
    out = result.stdout
    assert result.returncode == 1 and "2 failed" in out, out
    assert "local 10.0.1.31`: lab-net's tunnel" in out
    assert "does not point at 10.0.1.32 (compute2's data address)" in out
    assert f"Make it again in {PREFIX}-compute1" in out


def test_a_missing_file_says_how_to_make_it(solved):
    path = wire(solved, "compute1-fdb.txt")
    kept = path.read_bytes()
    path.unlink()
    try:
        result = LAB.check(solved.home)
    finally:
        path.write_bytes(kept)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
    assert f"There is no file {path} yet" in result.stdout
    assert f"ip netns exec {PREFIX}-compute1 bridge fdb show > $WIRE/compute1-fdb.txt" \
        in result.stdout
