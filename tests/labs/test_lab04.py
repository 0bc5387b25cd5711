"""Lab 04 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import pytest

from tests.labs.harness import Lab

LAB = Lab("lab04-nova")
check = LAB.check
fresh, before, solved = LAB.fixtures()
STEPS = 8


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Key pair labkey is imported" in out
    assert "openstack --os-cloud minicloud keypair create --public-key" in out
    assert "There is no server web1 in project demo yet" in out
    assert "compute2 is enabled, but it was never disabled" in out
    assert "web1 has no properties scheduled_host and rpc_hops" not in out  # no web1 yet
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_the_solution_read_the_boot_off_the_trace(solved):
    """scheduled_host is where the scheduler put web1, which has moved since; rpc_hops counts
    Nova's messages of a boot: cast build_instances, call select_destinations, cast
    build_and_run_instance, three calls instance_update (networking, spawning, active)."""
    server = solved.cli_json("server", "show", "web1")
    now = solved.cli_json("server", "show", server["id"],
                          cloud="minicloud-admin")["OS-EXT-SRV-ATTR:host"]
    assert server["properties"]["rpc_hops"] == "6"
    assert server["properties"]["scheduled_host"] in ("compute1", "compute2")
    assert server["properties"]["scheduled_host"] != now  # live-migrated in step 5


@pytest.mark.parametrize("key, wrong, named", [
    # the host web1 runs on now (`server show` as the admin), not the scheduler's choice
    ("scheduled_host", "NOW", "web1 may have moved since (Step 5)"),
    # every hop of the trace, not Nova's RPC messages
    ("rpc_hops", "47", "web1's rpc_hops is 47, but the trace of its boot"),
])
def test_an_answer_not_read_off_the_trace_is_named(solved, key, wrong, named):
    server = solved.cli_json("server", "show", "web1")
    right = server["properties"][key]
    if wrong == "NOW":
        wrong = solved.cli_json("server", "show", server["id"],
                                cloud="minicloud-admin")["OS-EXT-SRV-ATTR:host"]
    solved.cli("server", "set", "--property", f"{key}={wrong}", "web1")
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert "✗ 3. web1 records what the trace of its boot says" in result.stdout
        assert named in result.stdout
        assert "server set --property scheduled_host=HOST --property rpc_hops=N web1" in \
            result.stdout
    finally:
        solved.cli("server", "set", "--property", f"{key}={right}", "web1")
    assert check(solved.home).returncode == 0


def test_a_disabled_compute2_is_named_with_its_hint(solved):
    admin = solved.sdk("minicloud-admin")
    solved.cli("compute", "service", "set", "--disable", "compute2", "nova-compute",
               cloud="minicloud-admin")
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout
        assert "compute service set --enable compute2 nova-compute" in result.stdout
    finally:
        solved.cli("compute", "service", "set", "--enable", "compute2", "nova-compute",
                   cloud="minicloud-admin")
    assert admin is not None
