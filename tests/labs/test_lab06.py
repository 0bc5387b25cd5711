"""Lab 06 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

from tests.labs.harness import Lab, learner_env, run
from tests.livecloud import minicloud

LAB = Lab("lab06-swift")
check = LAB.check
# Usually "10 objects ... copied"; 0 when the cloud's own pass (every 30 s) came first.
fresh, before, solved = LAB.fixtures(expect="Replication pass: 256 partitions compared")
STEPS = 8


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. Container lab06 exists in project demo" in out
    assert "openstack --os-cloud minicloud container create lab06" in out
    assert "swift upload lab06 hello.txt" in out and "swift upload lab06 notes" in out
    # the storage nodes run on a fresh cloud, but none was ever lost
    assert "✗ 5. storage2 was stopped (section 4), and all three storage nodes run again" in out
    assert "storage2 was never stopped" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    assert (solved.home / "lab06" / "notes" / "03.txt").is_file()  # in the lab's folder
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


def _swift(solved, command: str, cwd):
    result = run(["bash", "-c", f'eval "$(minicloud swift env)" && {command}'],
                 learner_env(solved), cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_swift_files_shows_each_nodes_files_and_metadata(solved):
    project = solved.sdk("minicloud").current_project_id
    result = minicloud("swift", "files", f"AUTH_{project}", "lab06", "hello.txt",
                       home=solved.home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"/AUTH_{project}/lab06/hello.txt: partition " in out
    for node in ("storage1", "storage2", "storage3"):
        assert f"{node} (sdb1): {solved.home}/storage/{node}/sdb1/objects/" in out
    assert out.count(".data  12 bytes") == 3 and out.count("X-Object-Meta-Color: blue") == 3


def test_skipping_the_failure_or_the_replication_is_named(solved):
    """The old shortcuts: the notes uploaded with every node up (nothing to heal), and a
    storage2 left to the periodic replicator instead of a pass the learner ran."""
    folder = solved.home / "lab06"
    _swift(solved, "swift upload lab06 notes", folder)
    result = check(solved.home)
    assert result.returncode == 1 and "2 failed" in result.stdout, result.stdout
    assert "✗ 6. The ten notes were written while storage2 was down" in result.stdout
    assert "while storage2 was running" in result.stdout
    assert "storage2 was not started again after the notes were written" in result.stdout

    assert minicloud("swift", "stop-node", "storage2", home=solved.home).returncode == 0
    _swift(solved, "swift upload lab06 notes", folder)
    assert minicloud("swift", "start-node", "storage2", home=solved.home).returncode == 0
    result = check(solved.home)
    assert result.returncode == 1, result.stdout
    assert "✓ 6. The ten notes were written while storage2 was down" in result.stdout
    assert "✗ 7. A replication you ran after storage2 came back gave it the notes" in \
        result.stdout
    assert "You have not run a replication pass since storage2 came back" in result.stdout

    assert minicloud("swift", "replicate", home=solved.home).returncode == 0
    result = check(solved.home)
    assert result.returncode == 0, result.stdout
