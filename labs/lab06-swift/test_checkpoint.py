"""Lab 06 checkpoints: container lab06 in project demo, its objects and metadata, and three
replicas of every object after a storage node was lost and came back.

Run with `make lab-check LAB=06`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import hashlib
import json
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


def test_storage_nodes_running(admin):
    """All three storage nodes are running"""
    base = admin.object_store.get_endpoint().split("/v1/")[0]
    nodes = admin.session.get(f"{base}/minicloud/storage").json()["nodes"]
    down = [n["name"] for n in nodes if not n["running"]]
    assert not down, (
        f"{', '.join(down)} is stopped. Bring it back (section 5):\n"
        f"  minicloud swift start-node {down[0]}")


def _copies(home: Path, account: str, name: str) -> tuple[list[str], list[str]]:
    """(nodes that hold a current copy of the object, nodes the ring puts it on)."""
    ring = json.loads((home / "ring.json").read_text())
    path = f"/{account}/{CONTAINER}/{name}"
    h = hashlib.md5(f"{ring.get('hash_prefix', '')}{path}{ring['hash_suffix']}".encode()
                    ).hexdigest()
    part = int(h[:8], 16) >> (32 - ring["part_power"])
    devices = {d["id"]: d for d in ring["devices"]}
    wanted = [devices[row[part]] for row in ring["replica2part2dev"]]
    held = []
    for dev in wanted:
        directory = home / "storage" / dev["node"] / dev["device"] / "objects" / str(part) / \
            h[-3:] / h
        files = sorted(p.name for p in directory.glob("*") if p.suffix in (".data", ".ts"))
        if files and files[-1].endswith(".data"):
            held.append(dev["node"])
    return held, [d["node"] for d in wanted]


def test_every_object_has_three_replicas(demo, lab_cloud):
    """Every object in lab06 has a copy on each of the 3 devices the ring names"""
    names = _names(demo)
    assert names, "lab06 has no objects yet: do the steps above first."
    account = f"AUTH_{demo.current_project_id}"
    short = []
    for name in names:
        held, wanted = _copies(lab_cloud.home, account, name)
        if len(held) < len(wanted):
            short.append((name, held, [n for n in wanted if n not in held]))
    assert not short, (
        f"{len(short)} object(s) have fewer than 3 replicas, e.g. {short[0][0]}: copies on "
        f"{', '.join(short[0][1]) or 'no node'}, missing on {', '.join(short[0][2])}.\n"
        "A node that was down missed those writes. Once every node runs again, let the\n"
        "replicator copy what is missing (section 5):\n"
        "  minicloud swift replicate\n"
        f"  minicloud ring show --object {account} {CONTAINER} {short[0][0]}")
