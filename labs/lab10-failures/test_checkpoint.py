"""Lab 10 checkpoints: four failures, each proven by what the cloud recorded, and the
learner's answers on server f1 (project admin): dropped_by (the scheduler's explanation of
f2's boot), l3_waited_in (the queue of the router update the L3 agent missed),
swift_copies (log1.txt's copies while storage3 was down), rmq_failed_call (the call that
could not reach RabbitMQ).

The proof of each failure: f1's instance actions (an evacuate, which Nova allows only from
a host that is down), f2's create event (the filter that dropped compute2), the L3 agent's
start time against r10's last change (network.db), the replica files of lab10 on the
storage nodes' disks and the stops, starts and replications in the trace, and the failed
call in the trace. Run with `make lab-check LAB=10`. Each test is one step of the guide; its
assertion message is the hint the learner sees, and a hint never gives the answer away.
PYTEST_DONT_REWRITE: show the hints as written.
"""

import datetime
import hashlib
import json
from contextlib import closing
from urllib.parse import unquote, urlsplit

import openstack.exceptions

from minicloud import broker
from minicloud.cli import agents as agents_cli
from minicloud.cli import db
from minicloud.config import Config

OS = "openstack --os-cloud minicloud-admin"
BOOT1 = (f"{OS} server create --image cirros --flavor m1.tiny --network private "
         "--availability-zone nova:compute2 --wait f1")
BOOT2 = f"{OS} server create --image cirros --flavor m1.tiny --network private --wait f2"
CONTAINER, OBJECTS, FAILED = "lab10", ("log1.txt", "log2.txt", "log3.txt"), "storage3"
STOP, START = f"POST /minicloud/storage/{FAILED}/stop", f"POST /minicloud/storage/{FAILED}/start"
REPLICATE = "POST /minicloud/replicate"


def _rows(lab_cloud, service: str, sql: str, params=()) -> list[tuple]:
    with closing(db.connect(lab_cloud.home, service)) as conn:
        return conn.execute(sql, params).fetchall()


def _server(admin, name: str, boot: str):
    try:
        found = admin.compute.find_server(name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        found = None
    except openstack.exceptions.DuplicateResource:
        raise AssertionError(f"There are several servers named {name}: delete all but one "
                             f"(`{OS} server list --name {name}`)") from None
    assert found is not None, f"There is no server {name} yet. Boot it (Step 1):\n  {boot}"
    return admin.compute.get_server(found.id)


def _answer(server, key: str) -> str:
    return str((server.metadata or {}).get(key, "")).strip()


def _record(key: str) -> str:
    return f"  {OS} server set --property {key}=VALUE f1"


def _events(lab_cloud, server_id: str, action: str) -> list[dict]:
    rows = _rows(lab_cloud, "compute", "SELECT e.event, e.result, e.host, e.details FROM "
                 "action_events e JOIN instance_actions a ON a.instance_id = e.instance_id "
                 "AND a.request_id = e.request_id WHERE e.instance_id = ? AND a.action = ? "
                 "ORDER BY e.start_time", (server_id, action))
    return [dict(zip(("event", "result", "host", "details"), row)) for row in rows]


def _service_up(admin, host: str) -> bool:
    return any(s.host == host and s.state == "up" for s in admin.compute.services()
               if s.binary == "nova-compute")


def test_f2_was_scheduled_around_the_failed_compute2(admin, lab_cloud):
    """compute2 was down when f2 booted; dropped_by is the filter that said so"""
    f1 = _server(admin, "f1", BOOT1)
    f2 = _server(admin, "f2", BOOT2)
    details = " ".join(e["details"] or "" for e in _events(lab_cloud, f2.id, "create"))
    assert "compute2: nova-compute is down" in details, (
        "When f2 booted, the scheduler still saw compute2 up: f2 was not scheduled around "
        "a failed host. Stop compute2, wait until `openstack compute service list` shows "
        "it down (about a minute), then boot f2 again (Step 1):\n"
        f"  minicloud node stop compute2\n  {OS} server delete --wait f2\n  {BOOT2}")
    filter_name = _answer(f1, "dropped_by")
    assert filter_name, ("f1 has no property dropped_by yet. Read the scheduler's explanation "
                         f"of f2's boot (Step 1):\n  {OS} server event list f2\n  {OS} server "
                         "event show f2 REQUEST_ID\n" + _record("dropped_by"))
    assert f"{filter_name} " in details and "(compute2: nova-compute is down" in \
        details.split(f"{filter_name} ", 1)[1].split(";")[0], (
        f"dropped_by is '{filter_name}', but that is not the filter that dropped compute2 in "
        "the explanation of f2's boot. Read the details of the conductor's event again "
        "(Step 1):\n" + _record("dropped_by"))


def test_f1_was_evacuated_from_compute2_which_runs_again(admin, lab_cloud):
    """f1 was evacuated from the failed compute2 to another host, and compute2 is back"""
    f1 = _server(admin, "f1", BOOT1)
    created = _events(lab_cloud, f1.id, "create")
    assert any(e["host"] == "compute2" for e in created), (
        f"f1 was not built on compute2. Delete it and boot it pinned there (Step 1):\n"
        f"  {OS} server delete --wait f1\n  {BOOT1}")
    rebuilt = [e for e in _events(lab_cloud, f1.id, "evacuate") if e["event"] ==
               "rebuild_server"]
    assert rebuilt, ("f1 has no evacuate action: it was never evacuated. Once compute2 is "
                     f"down, evacuate it (Step 1):\n  {OS} server evacuate f1")
    assert rebuilt[-1]["result"] == "Success" and rebuilt[-1]["host"] != "compute2", (
        f"f1's evacuation failed ({rebuilt[-1]['details']}). See `{OS} server event list "
        "f1`, and evacuate it again while compute2 is down.")
    assert f1.compute_host == rebuilt[-1]["host"] and f1.status in ("ACTIVE", "SHUTOFF"), (
        f"f1 is {f1.status} on {f1.compute_host}: it should run where it was evacuated to. "
        f"`{OS} server event list f1` shows what happened to it.")
    assert _service_up(admin, "compute2"), (
        "compute2's nova-compute is down: bring the node back (Step 1):\n"
        "  minicloud node start compute2")


def _when(text: str | None) -> float:
    moment = datetime.datetime.fromisoformat((text or "1970-01-01T00:00:00").rstrip("Z"))
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def test_r10_waited_for_the_l3_agent_and_was_applied(admin, lab_cloud):
    """r10's gateway was set while the L3 agent was down, and applied when it came back"""
    f1 = _server(admin, "f1", BOOT1)
    router = admin.network.find_router("r10")
    assert router is not None, ("There is no router r10 yet. Stop the L3 agent first, then "
                                f"make it (Step 2):\n  minicloud agent stop l3\n  {OS} router "
                                f"create r10\n  {OS} router set --external-gateway public r10")
    assert router.external_gateway_info, (
        f"r10 has no external gateway. With the L3 agent stopped, set one (Step 2):\n"
        f"  minicloud agent stop l3\n  {OS} router set --external-gateway public r10")
    agents = list(admin.network.agents(agent_type="L3 agent"))
    assert agents and all(a.is_alive for a in agents), (
        "The L3 agent is not alive: start it again (Step 2):\n  minicloud agent start l3")
    changed = _rows(lab_cloud, "network", "SELECT updated_at FROM routers WHERE id = ?",
                    (router.id,))[0][0]
    started = _rows(lab_cloud, "network", "SELECT max(started_at) FROM agents WHERE "
                    "agent_type = 'L3 agent'")[0][0]
    assert started and started > _when(changed), (
        "The L3 agent has run without a break since r10 got its gateway: the change never "
        "had to wait for it. Stop the agent, change r10 again, look at the queues, and "
        f"start the agent (Step 2):\n  minicloud agent stop l3\n  {OS} router unset "
        f"--external-gateway r10\n  {OS} router set --external-gateway public r10\n"
        "  minicloud bus queues | grep l3_agent\n  minicloud agent start l3")
    planes = agents_cli.fetch(lab_cloud.clouds_yaml)  # what `minicloud agents` prints
    made = [a for a in planes if a["agent_type"] == "L3 agent" and a["dataplane"]
            and f"qrouter-{router.id}" in a["dataplane"]["namespaces"]]
    assert made, ("The L3 agent has not configured r10 (no namespace qrouter-<r10's id> in "
                  "`minicloud agents`). Is it running? `minicloud agent start l3`")
    queue = _answer(f1, "l3_waited_in")
    assert queue, ("f1 has no property l3_waited_in yet: while the agent is stopped, find "
                   "the queue where r10's update waits (`minicloud bus queues`) (Step 2):\n"
                   + _record("l3_waited_in"))
    targets = {json.loads(attrs or "{}").get("target") for attrs, in _rows(
        lab_cloud, "trace", "SELECT attrs FROM spans WHERE service = 'neutron-server' AND "
        "operation LIKE '%routers_updated%'")}
    assert queue in targets, (
        f"l3_waited_in is '{queue}', but neutron-server sent the router updates to another "
        "queue: the one read by the L3 agent of the network node alone (Step 2):\n"
        + _record("l3_waited_in"))


def _storage_events(lab_cloud) -> list[tuple[float, str]]:
    return [(at, op) for at, op in _rows(
        lab_cloud, "trace", "SELECT start, operation FROM spans WHERE parent_id IS NULL AND "
        "status = 'ok' AND operation IN (?, ?, ?) ORDER BY start", (STOP, START, REPLICATE))]


def _replicas(lab_cloud, account: str, name: str) -> dict[str, float | None]:
    """Per node the ring names for the object: the timestamp of its copy, or None."""
    home = lab_cloud.home
    ring = json.loads((home / "ring.json").read_text())
    path = f"/{account}/{CONTAINER}/{name}"
    h = hashlib.md5(f"{ring.get('hash_prefix', '')}{path}{ring['hash_suffix']}".encode()
                    ).hexdigest()
    part = int(h[:8], 16) >> (32 - ring["part_power"])
    devices = {d["id"]: d for d in ring["devices"]}
    found = {}
    for dev in (devices[row[part]] for row in ring["replica2part2dev"]):
        directory = (home / "storage" / dev["node"] / dev["device"] / "objects" / str(part)
                     / h[-3:] / h)
        files = sorted(p.name for p in directory.glob("*") if p.suffix in (".data", ".ts"))
        found[dev["node"]] = (float(files[-1][:-5]) if files and files[-1].endswith(".data")
                              else None)
    return found


def test_lab10_was_written_while_storage3_was_down_and_healed(admin, lab_cloud):
    """lab10's objects were written with storage3 down, and replication healed storage3"""
    f1 = _server(admin, "f1", BOOT1)
    try:
        names = {o.name for o in admin.object_store.objects(CONTAINER)}
    except openstack.exceptions.NotFoundException:
        names = set()
    write = (f"  minicloud swift stop-node {FAILED}\n  {OS} container create {CONTAINER}\n"
             f"  {OS} object create {CONTAINER} log1.txt   (and log2.txt, log3.txt)")
    assert set(OBJECTS) <= names, (
        f"Container {CONTAINER} does not hold {', '.join(OBJECTS)} yet. Write them while "
        f"{FAILED} is stopped (Step 3):\n{write}")
    account = f"AUTH_{admin.current_project_id}"
    events = _storage_events(lab_cloud)
    replicas = {name: _replicas(lab_cloud, account, name) for name in OBJECTS}
    for name, copies in replicas.items():
        written = max((ts for ts in copies.values() if ts), default=None)
        before = [op for at, op in events if written and at <= written and op != REPLICATE]
        assert before and before[-1] == STOP, (
            f"{name} was written while {FAILED} was running: the point is to write while it "
            f"is down. Write the three objects again with {FAILED} stopped (Step 3):\n{write}")
    latest = max(max(ts for ts in c.values() if ts) for c in replicas.values())
    back = [at for at, op in events if op == START and at > latest]
    assert back, (f"{FAILED} was not started again after the writes (Step 3):\n"
                  f"  minicloud swift start-node {FAILED}")
    assert any(op == REPLICATE and at > back[0] for at, op in events), (
        f"No replication pass ran since {FAILED} came back. Run one (Step 3):\n"
        "  minicloud swift replicate")
    short = [n for n, c in replicas.items() if len({ts for ts in c.values()}) != 1]
    assert not short, (f"{short[0]} still lacks a copy on some node. Run a replication pass "
                       "with every node running (Step 3):\n  minicloud swift replicate")
    copies = _answer(f1, "swift_copies")
    assert copies, ("f1 has no property swift_copies yet: how many nodes held log1.txt while "
                    f"{FAILED} was down? `minicloud swift files` shows each node's files "
                    "(Step 3):\n" + _record("swift_copies"))
    assert copies == str(len(replicas["log1.txt"]) - 1), (
        f"swift_copies is '{copies}', which is not how many copies of log1.txt the nodes "
        f"held while {FAILED} was down. Count the .data files (Step 3):\n"
        + _record("swift_copies"))


def test_rabbitmq_failed_and_the_cloud_came_back(admin, lab_cloud):
    """RabbitMQ was taken away: a call failed with a clear error; now it is back"""
    f1 = _server(admin, "f1", BOOT1)
    url = Config.load(lab_cloud.home).transport_url
    assert url.startswith("rabbit"), (
        "Your cloud runs on the in-memory message bus: this lab needs RabbitMQ. Start the "
        "cloud in the processes mode (Before you start):\n  make lab-down\n"
        "  make lab-up MODE=processes")
    vhost = unquote(urlsplit(url).path[1:])
    user = unquote(urlsplit(url).username or "")
    assert broker.permitted(vhost, user), (
        "RabbitMQ still refuses the cloud. Give it back (Step 4):\n  minicloud broker start")
    failed = [status for status, in _rows(
        lab_cloud, "trace", "SELECT status FROM spans WHERE status LIKE ?",
        ("%could not hand the call % to RabbitMQ%",))]
    assert failed, ("No RPC call ever failed for want of RabbitMQ: the broker was never "
                    "taken away while you tried a call. Do Step 4:\n  minicloud broker stop"
                    f"\n  {OS} console log show f1\n  minicloud broker start")
    call = _answer(f1, "rmq_failed_call")
    assert call, ("f1 has no property rmq_failed_call yet: record the call the error names "
                  "(Step 4):\n" + _record("rmq_failed_call"))
    assert any(f"could not hand the call {call} to RabbitMQ" in s for s in failed), (
        f"rmq_failed_call is '{call}', but no call of that name failed. Copy TOPIC.METHOD "
        "from the error (Step 4):\n" + _record("rmq_failed_call"))
    dead = [f"{a.agent_type} on {a.host}" for a in admin.network.agents() if not a.is_alive]
    down = [s.host for s in admin.compute.services() if s.state != "up"]
    assert not dead and not down, (
        f"The cloud has not recovered: {', '.join(dead + down)} still down. Is the broker "
        "back (`minicloud broker status`)? Wait a few seconds and check again.")
