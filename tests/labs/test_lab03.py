"""Lab 03 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.livecloud import BIN, LiveCloud, clean_env

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "labs" / "lab03-neutron"
# The flags `make lab-check` gives pytest.
CHECK = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--no-header", "-rN",
         str(LAB / "test_checkpoint.py")]
STEPS = 6


def run(args, env, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def check(cloud_home) -> subprocess.CompletedProcess:
    """The lab's checkpoints, against the cloud whose data directory is `cloud_home`."""
    return run(CHECK, clean_env(MINICLOUD_HOME=str(cloud_home)))


def solution_env(cloud: LiveCloud) -> dict:
    return {**cloud.env, "MINICLOUD_HOME": str(cloud.home),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    live = LiveCloud(tmp_path_factory.mktemp("lab03"))
    live.up()
    yield live
    live.down()


@pytest.fixture(scope="module")
def before(fresh):
    """The checker's verdict on the untouched cloud."""
    return check(fresh.home)


@pytest.fixture(scope="module")
def solved(fresh, before):
    """The same cloud after the reference solution (`before` has looked at it first)."""
    result = run(["bash", str(LAB / "solution.sh")], solution_env(fresh))
    assert result.returncode == 0, f"solution.sh failed:\n{result.stdout}\n{result.stderr}"
    assert "lab-net is VXLAN VNI 10" in result.stdout  # VNIs come from 1001:2000
    return fresh


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Network lab-net has subnet lab-subnet" in out
    assert "openstack --os-cloud minicloud network create lab-net" in out
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{STEPS} passed" in result.stdout
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_solution_is_harmless_to_run_again(solved):
    result = run(["bash", str(LAB / "solution.sh")], solution_env(solved))
    assert result.returncode == 0, result.stdout + result.stderr
    assert check(solved.home).returncode == 0


def test_a_broken_step_is_named_with_its_hint(solved):
    """Undo one step (the floating IP let go of lab-port): exactly that checkpoint fails."""
    demo = solved.sdk("minicloud")
    port = demo.network.find_port("lab-port", ignore_missing=False)
    (fip,) = demo.network.ips(port_id=port.id)
    demo.network.update_ip(fip, port_id=None)
    try:
        result = check(solved.home)
        assert result.returncode == 1
        assert "1 failed" in result.stdout
        assert "lab-port has no floating IP" in result.stdout
    finally:
        demo.network.update_ip(fip, port_id=port.id)
