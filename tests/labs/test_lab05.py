"""Lab 05 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import time

from tests.labs.harness import Lab

LAB = Lab("lab05-cinder")
check = LAB.check
fresh, before, solved = LAB.fixtures()
STEPS = 6


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Volume data1 exists in project demo" in out
    assert "openstack --os-cloud minicloud volume create --size 1 data1" in out
    assert "volume create --size 1 --image cirros boot1" in out
    assert "Project demo may have 10 volumes" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


def _wait_status(solved, name, status):
    deadline = time.monotonic() + 15
    while solved.cli_json("volume", "show", name)["status"] != status:
        assert time.monotonic() < deadline, f"{name} never became {status}"
        time.sleep(0.2)


def test_a_data1_created_with_2_gb_is_named(solved):
    """The old shortcut: data1 created with its final size. The right size, no extend."""
    solved.cli("server", "remove", "volume", "db1", "data1")
    _wait_status(solved, "data1", "available")
    solved.cli("volume", "set", "--name", "data1-kept", "data1")
    solved.cli("volume", "create", "--size", "2", "data1")
    try:
        _wait_status(solved, "data1", "available")
        result = check(solved.home)
        assert result.returncode == 1, result.stdout
        assert "✗ 4. data1 was created smaller and extended to 2 GB" in result.stdout
        assert "data1 is 2 GB, but it was never extended" in result.stdout
        assert "volume create --size 1 data1" in result.stdout
    finally:
        solved.cli("volume", "delete", "data1")
        deadline = time.monotonic() + 15
        while solved.cli("volume", "show", "data1", check=False).returncode == 0:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        solved.cli("volume", "set", "--name", "data1", "data1-kept")
        solved.cli("server", "add", "volume", "db1", "data1")
        _wait_status(solved, "data1", "in-use")
    assert check(solved.home).returncode == 0


def test_a_detached_data1_is_named_with_its_hint(solved):
    solved.cli("server", "remove", "volume", "db1", "data1")
    try:
        deadline = time.monotonic() + 15
        while solved.cli_json("volume", "show", "data1")["status"] != "available":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout
        assert "server add volume db1 data1" in result.stdout
    finally:
        solved.cli("server", "add", "volume", "db1", "data1")
