"""Lab 09 is fair: its checkpoints fail on an untouched cloud, its reference solution
makes them pass, and the answers a learner copies from the API instead of the databases
are named. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import time

import pytest

from tests.labs.harness import Lab, run
from tests.livecloud import clean_env

LAB = Lab("lab09-sql")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="attempt to write a readonly database")
STEPS = 6


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. sql1 is booted; db_host and db_vm_state are what compute.db said" in out
    assert ("openstack --os-cloud minicloud server create --image cirros --flavor m1.tiny "
            "--network private --wait sql1") in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


@pytest.mark.parametrize("number", ["09", "9"])
def test_make_lab_check_finds_lab_09(solved, number):
    # 09 is no octal number: the Makefile must not read LAB with printf '%02d'.
    result = run(["make", "-o", ".venv/bin/minicloud", "lab-check", f"LAB={number}"],
                 clean_env(MINICLOUD_HOME=str(solved.home)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass: lab 09 is done" in result.stdout


def test_the_solution_read_the_databases_not_the_api(solved):
    """What the checker accepted is what compute.db holds, and the API cannot tell demo."""
    server = solved.cli_json("server", "show", "sql1")
    assert server["OS-EXT-SRV-ATTR:host"] is None  # demo may not see the host
    assert server["properties"]["db_host"] in ("compute1", "compute2")
    assert server["properties"]["db_state_after_stop"] == "stopped"
    assert server["status"] == "SHUTOFF"


@pytest.mark.parametrize("key, wrong, named", [
    # the shortcut: the status `server show` prints, not the vm_state column
    ("db_state_after_stop", "SHUTOFF", "that is the status `openstack server show` prints"),
    # the host that powered the VM off, not the service that wrote the row
    ("db_writer", "nova-compute@compute1", "nova-compute powered the VM off, but it never "
                                           "opens compute.db"),
    # the token's roles, not the assignments table
    ("db_role", "member,reader", "db_role names reader, which nobody assigned"),
])
def test_an_answer_copied_from_elsewhere_is_named(solved, key, wrong, named):
    right = solved.cli_json("server", "show", "sql1")["properties"][key]
    solved.cli("server", "set", "--property", f"{key}={wrong}", "sql1")
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert named in result.stdout
        assert f"server set --property {key}=VALUE sql1" in result.stdout
    finally:
        solved.cli("server", "set", "--property", f"{key}={right}", "sql1")


def test_a_server_started_again_is_named_with_its_hint(solved):
    solved.cli("server", "start", "sql1")
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert "sql1 is ACTIVE, not stopped" in result.stdout
        assert "openstack --os-cloud minicloud server stop sql1" in result.stdout
    finally:
        solved.cli("server", "stop", "sql1")
        for _ in range(100):
            if solved.cli_json("server", "show", "sql1")["status"] == "SHUTOFF":
                break
            time.sleep(0.2)
