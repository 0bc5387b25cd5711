"""Lab 08 checkpoints: a cloud over RabbitMQ; msg1 with what the learner saw on the bus
(routing_key, build_kind, build_request); msg2, pinned to compute2 while it was stopped,
with the queue its build waited in (waited_in, waiting); msg2 built once compute2 came back.

Every answer is compared with the trace (the conductor's cast and its target, in
trace.db), with compute.db (the host, and when each side of the build ran) and with
RabbitMQ (the queue, through rabbitmqctl). Run with `make lab-check LAB=08`. Each test is
one step of the guide; its assertion message is the hint the learner sees, and a hint never
gives the answer away. PYTEST_DONT_REWRITE: show the hints as written.
"""

import json
from contextlib import closing
from urllib.parse import unquote, urlsplit

import openstack.exceptions

from minicloud import broker
from minicloud.cli import db
from minicloud.config import Config

DEMO, ADMIN = "openstack --os-cloud minicloud", "openstack --os-cloud minicloud-admin"
BOOT1 = f"{DEMO} server create --image cirros --flavor m1.tiny --network private --wait msg1"
BOOT2 = (f"{ADMIN} server create --image cirros --flavor m1.tiny --network private "
         "--availability-zone nova:compute2 msg2")
WAITED = 1.0  # seconds between the conductor's cast and nova-compute's start: it waited


def _rows(lab_cloud, service: str, sql: str, params=()) -> list[tuple]:
    with closing(db.connect(lab_cloud.home, service)) as conn:
        return conn.execute(sql, params).fetchall()


def _server(conn, name: str, boot: str, all_projects: bool = False):
    try:
        found = conn.compute.find_server(name, ignore_missing=False,
                                         all_projects=all_projects)
    except openstack.exceptions.NotFoundException:
        found = None
    except openstack.exceptions.DuplicateResource:
        raise AssertionError(f"There are several servers named {name}: delete all but one "
                             f"(`{ADMIN} server list --all-projects --name {name}`)") from None
    assert found is not None, f"There is no server {name} yet. Boot it:\n  {boot}"
    return conn.compute.get_server(found.id)


def _answer(server, key: str) -> str:
    return str((server.metadata or {}).get(key, "")).strip()


def _create_request(lab_cloud, server) -> str:
    rows = _rows(lab_cloud, "compute", "SELECT request_id FROM instance_actions WHERE "
                 "instance_id = ? AND action = 'create'", (server.id,))
    assert rows, f"compute.db has no create action for {server.name}: boot it again"
    return rows[0][0]


def _build_cast(lab_cloud, request_id: str) -> dict | None:
    """The conductor's cast of the build to a compute host, as the trace recorded it."""
    for service, operation, attrs in _rows(
            lab_cloud, "trace", "SELECT service, operation, attrs FROM spans WHERE "
            "request_id = ? AND service = 'nova-conductor' ORDER BY start", (request_id,)):
        target = json.loads(attrs or "{}").get("target") or ""
        if "build_and_run_instance" in operation and target.startswith("compute"):
            return {"operation": operation, "target": target}
    return None


def _vhost(lab_cloud) -> str:
    return unquote(urlsplit(Config.load(lab_cloud.home).transport_url).path[1:]) or "/"


def test_msg1_records_the_message_that_reached_its_compute_host(demo, lab_cloud):
    """msg1 is booted over RabbitMQ; its answers are what the bus carried to its host"""
    url = Config.load(lab_cloud.home).transport_url
    assert url.startswith("rabbit"), (
        "Your cloud runs every node in one process, on the in-memory message bus: this lab "
        "watches RabbitMQ. Start the cloud in the processes mode (Before you start):\n"
        "  make lab-down\n  make lab-up MODE=processes")
    server = _server(demo, "msg1", BOOT1)
    host = _rows(lab_cloud, "compute", "SELECT host FROM instances WHERE id = ?",
                 (server.id,))[0][0]
    assert server.status == "ACTIVE" and host, (
        f"msg1 is {server.status}, not ACTIVE. Delete it and boot it again while "
        f"`minicloud bus watch` runs (Step 1):\n  {DEMO} server delete --wait msg1\n  {BOOT1}")
    request = _create_request(lab_cloud, server)
    cast = _build_cast(lab_cloud, request)
    assert cast, ("The trace has no message from nova-conductor to a compute host for msg1's "
                  "boot. Delete msg1 and boot it again (Step 1).")
    record = f"  {DEMO} server set --property KEY=VALUE msg1"
    key = _answer(server, "routing_key")
    assert key, ("msg1 has no property routing_key yet. Watch the bus while you boot it "
                 "(`minicloud bus watch --method build_and_run_instance`), and record the "
                 f"routing key of nova-conductor's message (Step 1):\n{record}")
    assert ":" not in key, (
        f"routing_key is '{key}': the watcher prints EXCHANGE:ROUTING KEY. Record the part "
        f"after the colon only (Step 1):\n{record}")
    assert key == cast["target"], (
        f"routing_key is '{key}', but nova-conductor sent msg1's build with another key. "
        "Look again at the build_and_run_instance line of the watcher, or at the target of "
        f"that hop in `minicloud trace show {request}` (Step 1):\n{record}")
    kind = _answer(server, "build_kind")
    assert kind in ("call", "cast"), (
        f"msg1 needs the property build_kind: call or cast (it is '{kind}'). The watcher's "
        f"KIND column says which (Step 1):\n{record}")
    assert cast["operation"].startswith(kind + " "), (
        f"build_kind is '{kind}', but nova-conductor sent build_and_run_instance another "
        f"way. Read the KIND column again (Step 1):\n{record}")
    shown = _answer(server, "build_request")
    assert len(shown) >= 12 and request.startswith(shown), (
        f"build_request is '{shown}', which does not begin msg1's boot request. Copy the "
        f"REQUEST column of the build_and_run_instance line (req- and 8 characters) "
        f"(Step 1):\n{record}")


def test_msg2_records_the_queue_its_build_waited_in(admin, lab_cloud):
    """msg2 was pinned to compute2; waited_in and waiting are what RabbitMQ held"""
    server = _server(admin, "msg2", BOOT2, all_projects=True)
    host, details = (_rows(lab_cloud, "compute", "SELECT e.host, e.details FROM "
                           "action_events e JOIN instance_actions a ON a.instance_id = "
                           "e.instance_id AND a.request_id = e.request_id WHERE "
                           "e.instance_id = ? AND a.action = 'create' AND e.event = "
                           "'conductor_schedule_and_build_instances'", (server.id,))
                     or [(None, "")])[0]
    assert host == "compute2" and "not the requested host" in (details or ""), (
        "msg2 was not pinned to compute2. Delete it, stop compute2 and boot it again with "
        f"--availability-zone nova:compute2 (Step 2):\n  {ADMIN} server delete --wait msg2\n"
        f"  minicloud node stop compute2\n  {BOOT2}")
    cast = _build_cast(lab_cloud, _create_request(lab_cloud, server))
    record = f"  {ADMIN} server set --property KEY=VALUE msg2"
    queue = _answer(server, "waited_in")
    assert queue, ("msg2 has no property waited_in yet: while compute2 is stopped and msg2 "
                   "in BUILD, find the queue with a ready message (`minicloud bus queues`) "
                   f"and record its name (Step 2):\n{record}")
    assert cast and queue == cast["target"], (
        f"waited_in is '{queue}', but nova-conductor routed msg2's build to another queue. "
        f"A direct exchange puts a message in the queue its routing key names (Step 2):\n"
        f"{record}")
    known = {row["name"]: row for row in broker.queues(_vhost(lab_cloud))}
    assert queue in known, (
        f"RabbitMQ has no queue '{queue}' in this cloud's vhost. `minicloud bus queues` "
        f"lists them (Step 2).")
    waiting = _answer(server, "waiting")
    assert waiting.isdigit(), (
        f"msg2 needs the property waiting: the number in the MESSAGES column of {queue} "
        f"while compute2 was stopped (it is '{waiting}') (Step 2):\n{record}")
    assert int(waiting) >= 1, (
        f"waiting is {waiting}, but msg2's build was in that queue: was compute2 stopped "
        "when you booted msg2? Delete msg2, stop compute2, boot it again and count while it "
        f"is in BUILD (Step 2):\n  minicloud node stop compute2\n  {BOOT2}")


def test_msg2_was_built_once_compute2_came_back(admin, lab_cloud):
    """compute2 is back, and built msg2 from the message that waited"""
    server = _server(admin, "msg2", BOOT2, all_projects=True)
    known = {row["name"]: row for row in broker.queues(_vhost(lab_cloud))}
    consumers = known.get("compute.compute2", {}).get("consumers", 0)
    assert consumers >= 1, ("Nobody reads compute.compute2: compute2 is still stopped. "
                            "Start it (Step 3):\n  minicloud node start compute2")
    assert server.status == "ACTIVE", (
        f"msg2 is {server.status}, not ACTIVE. If it is in ERROR, delete it and do Step 2 "
        "again, then start compute2 (Step 3).")
    times = dict(_rows(lab_cloud, "compute", "SELECT e.event, e.start_time FROM action_events "
                       "e JOIN instance_actions a ON a.instance_id = e.instance_id AND "
                       "a.request_id = e.request_id WHERE e.instance_id = ? AND "
                       "a.action = 'create'", (server.id,)))
    sent = _rows(lab_cloud, "compute", "SELECT finish_time FROM action_events WHERE "
                 "instance_id = ? AND event = 'conductor_schedule_and_build_instances'",
                 (server.id,))
    built = times.get("compute__do_build_and_run_instance")
    assert sent and built and built - sent[0][0] >= WAITED, (
        "compute2 built msg2 at once: its build never waited in a queue. Do Step 2 again "
        "with compute2 stopped before you boot:\n"
        f"  {ADMIN} server delete --wait msg2\n  minicloud node stop compute2\n  {BOOT2}")
