"""Lab 06 checkpoints: container lab06 in project demo, its objects and metadata, and the
node failure: storage2 stopped, the ten notes written while it was down (their timestamps
fall between its stop and its start in the cloud's trace), a replication pass the learner
ran after it came back, and three replicas of every object.

Run with `make lab-check LAB=06`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import hashlib
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import openstack.exceptions

CONTAINER = "lab06"
HELLO = b"hello swift\n"
NOTES = [f"notes/{i:02}.txt" for i in range(1, 11)]
SWIFT = 'eval "$(minicloud swift env)"   # once per shell: the swift CLI reads OS_* variables'


def _container(demo):
    try:
        return demo.object_store.get_container_metadata(CONTAINER)
    except openstack.exceptions.NotFoundException:
        return None


def _names(demo) -> list[str]:
    if _container(demo) is None:
        return []
    return [o.name for o in demo.object_store.objects(CONTAINER)]


def _head(demo, name):
    try:
        return demo.object_store.get_object_metadata(name, container=CONTAINER)
    except openstack.exceptions.NotFoundException:
        return None


def test_container_exists(demo):
    """Container lab06 exists in project demo"""
    assert _container(demo) is not None, (
        "Project demo has no container lab06 yet. Create it:\n"
        f"  openstack --os-cloud minicloud container create {CONTAINER}")


def test_hello_object(demo):
    """Object hello.txt in lab06 holds the line "hello swift\""""
    obj = _head(demo, "hello.txt")
    assert obj is not None, (
        "There is no object hello.txt in lab06 yet. Upload one:\n"
        "  printf 'hello swift\\n' > hello.txt\n"
        f"  {SWIFT}\n  swift upload {CONTAINER} hello.txt")
    assert (obj.etag or "").strip('"') == hashlib.md5(HELLO).hexdigest(), (
        f"hello.txt is there but holds other bytes (ETag {obj.etag}, {obj.content_length} "
        "bytes). Its content must be exactly one line, `hello swift`:\n"
        f"  printf 'hello swift\\n' > hello.txt && swift upload {CONTAINER} hello.txt")


def test_hello_metadata(demo):
    """hello.txt carries the metadata color: blue"""
    obj = _head(demo, "hello.txt")
    assert obj is not None, "Upload hello.txt first (the step above)."
    meta = {k.lower(): v for k, v in (obj.metadata or {}).items()}
    assert meta.get("color") == "blue", (
        f"hello.txt's metadata is {meta or 'empty'}; it needs color: blue (sent as the\n"
        "header X-Object-Meta-Color). Set it:\n"
        f"  swift post -m color:blue {CONTAINER} hello.txt")


def test_notes_uploaded(demo):
    """lab06 holds the ten notes notes/01.txt ... notes/10.txt"""
    missing = [n for n in NOTES if n not in set(_names(demo))]
    assert not missing, (
        f"{len(missing)} of the ten notes are missing from lab06 (e.g. {missing[0]}).\n"
        "Make a folder notes/ with 01.txt ... 10.txt and upload it (section 4):\n"
        f"  swift upload {CONTAINER} notes")


# -- the node failure: what the cloud recorded ------------------------------------------------
# The proxy's trace (trace.db in the data directory) holds every `minicloud swift stop-node`,
# `start-node` and `replicate` as a request; each object's files carry the time it was
# written (<timestamp>.data). Together they say whether the notes were written while
# storage2 was down, and whether a replication the learner ran healed it.

FAILED = "storage2"
STOP, START = f"POST /minicloud/storage/{FAILED}/stop", f"POST /minicloud/storage/{FAILED}/start"
REPLICATE = "POST /minicloud/replicate"


def _requests(home: Path) -> list[tuple[float, str]]:
    """(time, operation) of every stop and start of storage2 and every replication pass
    asked for, oldest first."""
    path = home / "trace.db"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT start, operation FROM spans WHERE parent_id IS NULL AND "
                          "status = 'ok' AND operation IN (?, ?, ?) ORDER BY start",
                          (STOP, START, REPLICATE)).fetchall()
    return [(start, operation) for start, operation in rows]


def _down_when(events, moment: float) -> bool:
    """Was storage2 down at `moment`: is the last stop or start before it a stop?"""
    before = [op for at, op in events if at <= moment and op in (STOP, START)]
    return bool(before) and before[-1] == STOP


def _clock(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))


def _replicas(home: Path, account: str, name: str) -> dict[str, str | None]:
    """For each node the ring puts the object on: the timestamp of its current copy (the
    newest .data), or None (no copy, or a tombstone)."""
    ring = json.loads((home / "ring.json").read_text())
    path = f"/{account}/{CONTAINER}/{name}"
    h = hashlib.md5(f"{ring.get('hash_prefix', '')}{path}{ring['hash_suffix']}".encode()
                    ).hexdigest()
    part = int(h[:8], 16) >> (32 - ring["part_power"])
    devices = {d["id"]: d for d in ring["devices"]}
    found = {}
    for dev in (devices[row[part]] for row in ring["replica2part2dev"]):
        directory = home / "storage" / dev["node"] / dev["device"] / "objects" / str(part) / \
            h[-3:] / h
        files = sorted(p.name for p in directory.glob("*") if p.suffix in (".data", ".ts"))
        found[dev["node"]] = files[-1][:-5] if files and files[-1].endswith(".data") else None
    return found


def _written(replicas: dict) -> float | None:
    """When the object's current version was written: its newest timestamp on any node."""
    stamps = [float(ts) for ts in replicas.values() if ts]
    return max(stamps) if stamps else None


def test_storage2_failed_and_all_nodes_run_again(admin, lab_cloud):
    """storage2 was stopped (section 4), and all three storage nodes run again"""
    base = admin.object_store.get_endpoint().split("/v1/")[0]
    nodes = admin.session.get(f"{base}/minicloud/storage").json()["nodes"]
    down = [n["name"] for n in nodes if not n["running"]]
    assert not down, (
        f"{', '.join(down)} is stopped. Bring it back (section 5):\n"
        f"  minicloud swift start-node {down[0]}")
    assert any(op == STOP for _, op in _requests(lab_cloud.home)), (
        f"{FAILED} was never stopped: this lab is about losing a node. Stop it, and write\n"
        f"the notes while it is down (section 4):\n  minicloud swift stop-node {FAILED}")


def test_notes_written_while_storage2_was_down(demo, lab_cloud):
    """The ten notes were written while storage2 was down"""
    events = _requests(lab_cloud.home)
    account = f"AUTH_{demo.current_project_id}"
    names = set(_names(demo))
    assert all(n in names for n in NOTES), "First upload the ten notes (checkpoint 4)."
    upload = (f"  minicloud swift stop-node {FAILED}\n"
              f"  cd {lab_cloud.home / 'lab06'} && swift upload {CONTAINER} notes\n"
              f"  minicloud swift start-node {FAILED}\n  minicloud swift replicate")
    for note in NOTES:
        written = _written(_replicas(lab_cloud.home, account, note))
        assert written is not None, f"{note} has no copy on any node: upload the notes again."
        assert _down_when(events, written), (
            f"{note} was written at {_clock(written)}, while {FAILED} was running: the notes\n"
            f"are to be written while it is down, so that it misses them. Do section 4 again\n"
            f"(uploading replaces them), then section 5:\n{upload}")


def test_storage2_healed_by_your_replication(demo, lab_cloud):
    """A replication you ran after storage2 came back gave it the notes"""
    events = _requests(lab_cloud.home)
    account = f"AUTH_{demo.current_project_id}"
    latest = max((_written(_replicas(lab_cloud.home, account, n)) or 0) for n in NOTES)
    assert latest, "First upload the ten notes (checkpoint 4)."
    back = [at for at, op in events if op == START and at > latest]
    assert back, (
        f"{FAILED} was not started again after the notes were written. Start it (section 5):"
        f"\n  minicloud swift start-node {FAILED}")
    assert any(op == REPLICATE and at > back[0] for at, op in events), (
        f"You have not run a replication pass since {FAILED} came back at "
        f"{_clock(back[0])}.\nRun one and see how many objects it copies (section 5):\n"
        "  minicloud swift replicate")
    missing = [n for n in NOTES
               if _replicas(lab_cloud.home, account, n).get(FAILED) is None]
    assert not missing, (
        f"{FAILED} still has no copy of {len(missing)} note(s), e.g. {missing[0]}. Run a\n"
        f"replication pass now that every node runs:\n  minicloud swift replicate")


def test_every_object_has_three_replicas(demo, lab_cloud):
    """Every object in lab06 has its current version on each of the 3 devices the ring names"""
    names = _names(demo)
    assert names, "lab06 has no objects yet: do the steps above first."
    account = f"AUTH_{demo.current_project_id}"
    short = []
    for name in names:
        replicas = _replicas(lab_cloud.home, account, name)
        newest = max((ts for ts in replicas.values() if ts), default=None)
        held = [node for node, ts in replicas.items() if ts == newest]
        if len(held) < len(replicas):
            short.append((name, held, [n for n in replicas if n not in held]))
    assert not short, (
        f"{len(short)} object(s) have fewer than 3 replicas, e.g. {short[0][0]}: copies on "
        f"{', '.join(short[0][1]) or 'no node'}, missing on {', '.join(short[0][2])}.\n"
        "A node that was down missed those writes. Once every node runs again, let the\n"
        "replicator copy what is missing (section 5):\n"
        "  minicloud swift replicate\n"
        f"  minicloud swift files {account} {CONTAINER} {short[0][0]}")
