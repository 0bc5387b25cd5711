"""Lab 04 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab

LAB = Lab("lab04-nova")
check = LAB.check
fresh, before, solved = LAB.fixtures()
STEPS = 7


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Key pair labkey is imported" in out
    assert "openstack --os-cloud minicloud keypair create --public-key" in out
    assert "There is no server web1 in project demo yet" in out
    assert "compute2 is enabled, but it was never disabled" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


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
