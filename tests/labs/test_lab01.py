"""Lab 01 is fair: its checkpoints fail on an untouched cloud, and its reference solution
makes them pass. Runs on a fresh cloud of its own (the session cloud is shared, and other
tests create users such as alice there), with the checker as the learner runs it.
"""

from tests.labs.harness import Lab, run
from tests.livecloud import clean_env

LAB = Lab("lab01-keystone")
check = LAB.check
fresh, before, solved = LAB.fixtures()


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert "6 failed" in out
    assert "✗ 1. Project lab exists and is enabled" in out
    assert "There is no project lab in domain Default yet" in out
    assert "openstack --os-cloud minicloud-admin project create lab" in out
    assert "Traceback" not in out and "assert " not in out  # hints only, no pytest internals


def test_a_failing_make_lab_check_ends_with_its_summary_not_an_error(fresh):
    """The last line says how far the learner got; the status says "not done" (non-zero),
    and make adds no "*** [lab-check] Error 1" that would read like a crash."""
    result = run(["make", "--no-print-directory", "-o", ".venv/bin/minicloud", "lab-check",
                  "LAB=01"],
                 clean_env(MINICLOUD_HOME=str(fresh.home)))
    assert result.returncode != 0
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("0 of 6 checkpoints pass. Do the first step marked"), result.stdout
    assert "Error" not in result.stderr and "***" not in result.stderr, result.stderr


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert "All 6 checkpoints pass" in result.stdout


def test_make_lab_check_grades_the_solved_cloud(solved):
    # -o: never rebuild the venv from here, even if pyproject.toml is newer than it;
    # --no-print-directory: under `make test` this make is a sub-make, which would say so
    result = run(["make", "--no-print-directory", "-o", ".venv/bin/minicloud",
                  "lab-check", "LAB=01"], clean_env(MINICLOUD_HOME=str(solved.home)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("All 6 checkpoints pass: lab 01 is done. Well done!")


def test_no_running_cloud_says_start_one(tmp_path):
    result = check(tmp_path)
    assert result.returncode != 0
    assert f"No running minicloud found in {tmp_path}: run `make lab-up` first" in result.stderr
