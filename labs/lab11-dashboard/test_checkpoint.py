"""Lab 11 checkpoints: server dash1, launched from the dashboard, and server cli1, created
with `openstack --debug`; the answers the learner wrote as properties: dashboard_request
and both_used on dash1 (the request id the API calls panel showed, and the method and
path both requests used), cli_request on cli1 (the request id --debug printed).

Who sent a request is read from the trace the cloud recorded of it (`minicloud trace show`):
its first span keeps the caller's User-Agent. Run with `make lab-check LAB=11`. Each test
is one step of the guide; its assertion message is the hint the learner sees.
PYTEST_DONT_REWRITE: show the hints as written.
"""

from urllib.parse import urlsplit

import openstack.exceptions

from minicloud.common.trace_store import TraceStore
from minicloud.config import Config

DEMO = "openstack --os-cloud minicloud"
CLI_CREATE = f"{DEMO} --debug server create --image cirros --flavor m1.tiny --network private --wait cli1"
DASHBOARD = "minicloud-dashboard"


def _dashboard_url(lab_cloud) -> str:
    return Config.load(lab_cloud.home).base_url("dashboard")


def _launch_hint(lab_cloud) -> str:
    return (f"Open {_dashboard_url(lab_cloud)} in a browser, log in as demo / secret "
            "(domain Default), go to Project > Compute > Instances, press Launch Instance "
            "and launch dash1: image cirros, flavor m1.tiny, network private (Step 2).")


def _server(demo, name: str, hint: str):
    try:
        found = demo.compute.find_server(name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        raise AssertionError(f"There is no server {name} in project demo yet. {hint}") from None
    except openstack.exceptions.DuplicateResource:
        raise AssertionError(f"Project demo has several servers named {name}: delete all but "
                             f"one (`{DEMO} server list --name {name}`, then `{DEMO} server "
                             "delete ID`)") from None
    return demo.compute.get_server(found.id)


def _create_request(demo, server) -> str | None:
    """The request id of the server's create (its action log, `server event list`)."""
    for action in demo.compute.server_actions(server):
        if action.action == "create":
            return action.request_id
    return None


def _root(lab_cloud, request_id: str):
    """The first span of a request's trace (the request as the API received it)."""
    store = TraceStore(lab_cloud.home / "trace.db")
    spans = [s for s in store.find(request_id) if s.request_id == request_id]
    return min(spans, key=lambda s: s.start) if spans else None


def _sender(lab_cloud, request_id: str) -> str:
    root = _root(lab_cloud, request_id)
    return (root.attrs.get("user_agent") or "") if root else ""


def _answer(server, key: str) -> str:
    return str((server.metadata or {}).get(key, "")).strip()


def _record(key: str, name: str) -> str:
    return f"  {DEMO} server set --property {key}=VALUE {name}"


def test_dash1_was_launched_from_the_dashboard(demo, lab_cloud):
    """dash1 is ACTIVE, and the dashboard sent its POST /v2.1/servers"""
    server = _server(demo, "dash1", _launch_hint(lab_cloud))
    assert server.status == "ACTIVE", (
        f"dash1 is {server.status}, not ACTIVE. Delete it in the dashboard (Delete Instance) "
        f"and launch it again. {_launch_hint(lab_cloud)}")
    request = _create_request(demo, server)
    sender = _sender(lab_cloud, request) if request else ""
    assert sender, (f"The cloud has no trace of dash1's creation ({request}): was the cloud "
                    "restarted with another data directory? Delete dash1 and launch it "
                    "again. " + _launch_hint(lab_cloud))
    assert sender.startswith(DASHBOARD), (
        f"dash1 was created by '{sender.split()[0]}', not by the dashboard. Delete it "
        f"(`{DEMO} server delete --wait dash1`) and launch it from the dashboard. "
        + _launch_hint(lab_cloud))


def test_dashboard_request_is_the_one_in_the_api_calls_panel(demo, lab_cloud):
    """dashboard_request on dash1 is the request id of its POST /v2.1/servers"""
    server = _server(demo, "dash1", _launch_hint(lab_cloud))
    answer = _answer(server, "dashboard_request")
    assert answer, (
        "dash1 has no property dashboard_request yet. Right after the launch, the API calls "
        "panel at the bottom of the Instances page lists POST .../v2.1/servers with status "
        "202 and its X-Openstack-Request-Id (req-...). Record that id (Step 3):\n"
        + _record("dashboard_request", "dash1"))
    assert answer == _create_request(demo, server), (
        f"dashboard_request is '{answer}', which is not the request that created dash1. In "
        "the API calls panel, take the row POST .../v2.1/servers 202 (not a GET, not the "
        "login), or read dash1's action log on its detail page (Action Log, action create) "
        "(Step 3):\n" + _record("dashboard_request", "dash1"))


def test_cli1_was_created_with_the_cli(demo, lab_cloud):
    """cli1 is ACTIVE, and the openstack CLI sent its POST /v2.1/servers"""
    server = _server(demo, "cli1", f"Create it with the CLI, with --debug (Step 4):\n"
                                   f"  {CLI_CREATE} 2> debug.log")
    assert server.status == "ACTIVE", (
        f"cli1 is {server.status}, not ACTIVE. Delete it and create it again:\n"
        f"  {DEMO} server delete --wait cli1\n  {CLI_CREATE} 2> debug.log")
    request = _create_request(demo, server)
    sender = _sender(lab_cloud, request) if request else ""
    assert sender and not sender.startswith(DASHBOARD), (
        "cli1 was not created by the openstack CLI"
        + (" but by the dashboard" if sender else "") + ". Delete it and create it with "
        f"the CLI (Step 4):\n  {DEMO} server delete --wait cli1\n  {CLI_CREATE} 2> debug.log")


def test_cli_request_is_the_one_debug_printed(demo, lab_cloud):
    """cli_request on cli1 is the request id --debug printed for POST /v2.1/servers"""
    server = _server(demo, "cli1", f"Create it first (Step 4):\n  {CLI_CREATE} 2> debug.log")
    answer = _answer(server, "cli_request")
    hint = ("In debug.log, find the line `REQ: curl -g -i -X POST http://.../v2.1/servers`; "
            "the `RESP: [202]` line after it holds X-Openstack-Request-Id: req-... "
            "(`grep -A2 'X POST.*v2.1/servers' debug.log`). Record it (Step 4):\n"
            + _record("cli_request", "cli1"))
    assert answer, "cli1 has no property cli_request yet. " + hint
    assert answer == _create_request(demo, server), (
        f"cli_request is '{answer}', which is not the request that created cli1 (a GET of "
        "the image or flavor, maybe, or the login). " + hint)


def test_both_used_names_the_same_method_and_path(demo, lab_cloud):
    """both_used on dash1 names the method and path both creations sent"""
    server = _server(demo, "dash1", _launch_hint(lab_cloud))
    answer = _answer(server, "both_used")
    hint = ("Compare the two requests: the dashboard's row in the API calls panel and the "
            "REQ: line in debug.log (or `minicloud trace show` of each request id). Record "
            "the method and the path they share, as METHOD /path (Step 5):\n"
            f"  {DEMO} server set --property both_used='METHOD /path' dash1")
    assert answer, "dash1 has no property both_used yet. " + hint
    method, _, where = answer.partition(" ") if " " in answer else ("", "", answer)
    path = urlsplit(where).path if "://" in where else where
    cli = _server(demo, "cli1", f"Create it first (Step 4):\n  {CLI_CREATE} 2> debug.log")
    roots = [_root(lab_cloud, r) for r in (_create_request(demo, server),
                                            _create_request(demo, cli))]
    sent = {r.operation for r in roots if r is not None}
    assert method.upper() == "POST" and f"POST {path.rstrip('/')}" in sent and len(sent) == 1, (
        f"both_used is '{answer}', which is not what both creations sent. " + hint)
