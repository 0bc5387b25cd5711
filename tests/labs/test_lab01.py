"""Lab 01 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own (the session cloud is shared, and other
tests create users such as alice there), with the checker as the learner runs it.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.livecloud import BIN, LiveCloud, clean_env

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "labs" / "lab01-keystone"
# The flags `make lab-check` gives pytest.
CHECK = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--no-header", "-rN",
         str(LAB / "test_checkpoint.py")]


def run(args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def check(cloud_home) -> subprocess.CompletedProcess:
    """The lab's checkpoints, against the cloud whose data directory is `cloud_home`."""
    return run(CHECK, clean_env(MINICLOUD_HOME=str(cloud_home)))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    live = LiveCloud(tmp_path_factory.mktemp("lab01"))
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
    env = {**fresh.env, "OS_CLOUD": "minicloud-admin",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = run(["bash", str(LAB / "solution.sh")], env)
    assert result.returncode == 0, f"solution.sh failed:\n{result.stdout}\n{result.stderr}"
    return fresh


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert "6 failed" in out
    assert "✗ 1. Project lab exists and is enabled" in out
    assert "There is no project lab in domain Default yet" in out
    assert "openstack --os-cloud minicloud-admin project create lab" in out
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert "All 6 checkpoints pass" in result.stdout


def test_make_lab_check_grades_the_solved_cloud(solved):
    # -o: never rebuild the venv from here, even if pyproject.toml is newer than it.
    result = run(["make", "-o", ".venv/bin/minicloud",
                  "lab-check", "LAB=01"], clean_env(MINICLOUD_HOME=str(solved.home)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_no_running_cloud_says_start_one(tmp_path):
    result = check(tmp_path)
    assert result.returncode != 0
    assert f"No running minicloud found in {tmp_path}: run `make lab-up` first" in result.stderr
