"""Lab 07 is fair: on a fresh Docker-mode cloud its checkpoints fail with hints, its
reference solution makes them pass, and an answer copied from the wrong place is named.
The cloud's containers, networks and volumes are named `mcl-...`; it runs under the netns
tests' plan lock, as every cloud on the plan's subnets does."""

from __future__ import annotations

import fcntl
import shutil

import pytest

from minicloud.config import Config
from tests.docker.conftest import PLAN_LOCK
from tests.labs.harness import Lab
from tests.livecloud import LiveCloud, minicloud

LAB = Lab("lab07-networks")
PREFIX = "mcl"
pytestmark = pytest.mark.timeout(900)  # the image build and the cloud's start: setup
STEPS = 6


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, docker_client, node_image):
    with open(PLAN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for volume in docker_client.volumes.list():  # a crashed run's
            if volume.name.startswith(f"{PREFIX}-"):
                volume.remove(force=True)
        home = tmp_path_factory.mktemp("lab07")
        Config(home=home, netns_prefix=PREFIX, scrypt_n=2**10, report_interval=1,
               service_down_time=6, agent_report_interval=1, agent_down_time=5).save()
        live = LiveCloud(home)
        try:
            live.up("--mode", "docker", "--no-user-config", timeout=300)
        except BaseException:
            live.down()  # removes what a launcher that failed left
            raise
        yield live
        live.down()
        minicloud("reset", home=home)


@pytest.fixture(scope="module")
def before(fresh):
    return LAB.check(fresh.home)


@pytest.fixture(scope="module")
def solved(fresh, before):
    assert shutil.which("docker"), "the solution uses the docker CLI"
    LAB.solve(fresh, expect="Step 6")
    return fresh


def test_checkpoints_fail_on_a_fresh_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. lab7-vm1 on compute1 and lab7-vm2 on compute2 are ACTIVE" in out
    assert "--availability-zone nova:compute1 --wait lab7-vm1" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = LAB.check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


@pytest.mark.parametrize("key, wrong, named", [
    ("vni", "1", "the packets of private carry another number"),
    # the topic's shared queue, not compute2's own
    ("compute_queue", "compute", "is a queue, but not the one through which nova-conductor"),
    ("compute_queue", "compute.compute9", "the broker has no queue of that name"),
    ("ext_node", "controller", "that container is not the one attached to mcl-ext"),
])
def test_a_wrong_answer_is_named(solved, key, wrong, named):
    right = solved.cli_json("server", "show", "lab7-vm1",
                            cloud="minicloud-admin")["properties"][key]
    solved.cli("server", "set", "--property", f"{key}={wrong}", "lab7-vm1",
               cloud="minicloud-admin")
    try:
        result = LAB.check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert named in result.stdout
    finally:
        solved.cli("server", "set", "--property", f"{key}={right}", "lab7-vm1",
                   cloud="minicloud-admin")


def test_a_capture_of_another_interface_is_named(solved):
    capture = solved.home / "lab07" / "vxlan.pcap"
    kept = capture.read_bytes()
    other = minicloud("capture", "compute2", "mgmt", "--count", "2", "--timeout", "5",
                      "--filter", "tcp", "-w", str(capture), home=solved.home, env=solved.env)
    assert other.returncode == 0, other.stderr
    try:
        result = LAB.check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert "none of them VXLAN" in result.stdout
    finally:
        capture.write_bytes(kept)
