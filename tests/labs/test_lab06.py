"""Lab 06 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab, learner_env, run
from tests.livecloud import minicloud

LAB = Lab("lab06-swift")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="10 objects and 0 tombstones copied")
STEPS = 6


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS - 1} failed" in out  # the storage nodes already run
    assert "✗ 1. Container lab06 exists in project demo" in out
    assert "openstack --os-cloud minicloud container create lab06" in out
    assert "swift upload lab06 hello.txt" in out and "swift upload lab06 notes" in out
    assert "✓ 5. All three storage nodes are running" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_a_missing_replica_is_named_with_its_hint(solved, tmp_path):
    env = learner_env(solved)
    assert minicloud("swift", "stop-node", "storage3", home=solved.home).returncode == 0
    try:
        (tmp_path / "late.txt").write_text("written while storage3 was down\n")
        swift = run(["bash", "-c", 'eval "$(minicloud swift env)" && swift upload lab06 '
                     'late.txt'], env, cwd=tmp_path)
        assert swift.returncode == 0, swift.stderr
        result = check(solved.home)
        assert result.returncode == 1 and "2 failed" in result.stdout, result.stdout
        assert "minicloud swift start-node storage3" in result.stdout
        assert "late.txt: copies on" in result.stdout and "missing on storage3" in \
            result.stdout
    finally:
        assert minicloud("swift", "start-node", "storage3", home=solved.home).returncode == 0
    assert minicloud("swift", "replicate", home=solved.home).returncode == 0
    assert check(solved.home).returncode == 0
