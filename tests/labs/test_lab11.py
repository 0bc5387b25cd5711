"""Lab 11 is fair: its checkpoints fail on an untouched cloud, its reference solution
(which launches dash1 through the dashboard's own forms and cli1 with `openstack --debug`)
makes them pass, and a server made the other way, or a request id copied from the wrong
line, is named. Runs on a fresh cloud of its own, with the checker as the learner runs it.
"""

import pytest

from tests.labs.harness import Lab

LAB = Lab("lab11-dashboard")
check = LAB.check
fresh, before, solved = LAB.fixtures(expect="POST /v2.1/servers")
STEPS = 5


def test_checkpoints_fail_on_an_untouched_cloud_with_hints(before, fresh):
    out = before.stdout
    assert before.returncode == 1, out + before.stderr
    assert f"{STEPS} failed" in out
    assert "✗ 1. dash1 is ACTIVE, and the dashboard sent its POST /v2.1/servers" in out
    assert fresh.config.base_url("dashboard") in out  # where to click
    assert "--debug server create --image cirros" in out
    assert "Traceback" not in out and "assert " not in out


def test_checkpoints_pass_after_the_reference_solution(solved):
    result = check(solved.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {STEPS} checkpoints pass" in result.stdout


def test_the_two_servers_were_made_by_two_clients(solved):
    """What the checker read in the traces: the dashboard made dash1, the CLI cli1."""
    from minicloud.common.trace_store import TraceStore

    store = TraceStore(solved.home / "trace.db")
    agents = {}
    for name, key in (("dash1", "dashboard_request"), ("cli1", "cli_request")):
        request = solved.cli_json("server", "show", name)["properties"][key]
        root = min((s for s in store.find(request) if s.request_id == request),
                   key=lambda s: s.start)
        assert root.operation == "POST /v2.1/servers"
        agents[name] = root.attrs["user_agent"]
    assert agents["dash1"].startswith("minicloud-dashboard")
    assert agents["cli1"].startswith("openstacksdk")


@pytest.mark.parametrize("key, server, wrong, named", [
    ("dashboard_request", "dash1", "req-00000000-0000-0000-0000-000000000000",
     "which is not the request that created dash1"),
    ("cli_request", "cli1", "req-00000000-0000-0000-0000-000000000000",
     "which is not the request that created cli1"),
    ("both_used", "dash1", "/v2.1/servers", "which is not what both creations sent"),
])
def test_a_wrong_answer_is_named(solved, key, server, wrong, named):
    right = solved.cli_json("server", "show", server)["properties"][key]
    solved.cli("server", "set", "--property", f"{key}={wrong}", server)
    try:
        result = check(solved.home)
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert named in result.stdout
    finally:
        solved.cli("server", "set", "--property", f"{key}={right}", server)


def test_a_server_from_the_cli_does_not_pass_for_the_dashboards(solved):
    """dash1 made again with the CLI: the trace names the CLI, and the checker says so."""
    solved.cli("server", "delete", "--wait", "dash1")
    solved.cli("server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--network",
               "private", "--wait", "dash1")
    result = check(solved.home)
    assert result.returncode == 1, result.stdout
    assert "dash1 was created by 'openstacksdk" in result.stdout
    assert "launch it from the dashboard" in result.stdout
