"""Lab 02 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.livecloud import BIN, LiveCloud, clean_env

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "labs" / "lab02-glance"
# The flags `make lab-check` gives pytest.
CHECK = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--no-header", "-rN",
         str(LAB / "test_checkpoint.py")]
STEPS = 7


def run(args, env, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def check(cloud_home) -> subprocess.CompletedProcess:
    """The lab's checkpoints, against the cloud whose data directory is `cloud_home`."""
    return run(CHECK, clean_env(MINICLOUD_HOME=str(cloud_home)))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    live = LiveCloud(tmp_path_factory.mktemp("lab02"))
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
    env = {**fresh.env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(["bash", str(LAB / "solution.sh")], env)
    assert result.returncode == 0, f"solution.sh failed:\n{result.stdout}\n{result.stderr}"
    assert "download intact" in result.stdout
    return fresh


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Image lab-image belongs to project demo and is active" in out
    assert "Project demo has no image lab-image yet" in out
    assert "openstack --os-cloud minicloud image create --file lab.img" in out
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{STEPS} passed" in result.stdout
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_solution_is_harmless_to_run_again(solved):
    env = {**solved.env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(["bash", str(LAB / "solution.sh")], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert check(solved.home).returncode == 0


def test_a_broken_step_is_named_with_its_hint(solved):
    """Undo one step (lab-secret made visible to everyone): exactly its checkpoints fail."""
    admin = solved.sdk("minicloud-admin")
    secret = admin.image.find_image("lab-secret", ignore_missing=False)
    admin.image.update_image(secret, visibility="community")
    try:
        result = check(solved.home)
        assert result.returncode == 1
        assert "2 failed" in result.stdout
        assert "lab-secret is community, not private" in result.stdout
        assert "carol can see lab-secret (community)" in result.stdout
    finally:
        admin.image.update_image(secret, visibility="private")
