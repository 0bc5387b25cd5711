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
