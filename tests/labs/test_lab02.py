"""Lab 02 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab

LAB = Lab("lab02-glance")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="download intact")
STEPS = 7


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
    result = LAB.solve(solved)
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
