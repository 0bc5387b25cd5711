"""Lab 05 checkpoints: volume data1 (created with 1 GB, snapshotted as snap1, extended to
2 GB, attached to server db1 on /dev/vdb; the extend must be in the cloud's trace, since
a volume created with 2 GB was never extended), bootable volume boot1 from cirros, and
the demo project's volume quota lowered to 5 by the admin.

Run with `make lab-check LAB=05`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import sqlite3
from contextlib import closing
from pathlib import Path

import openstack.exceptions

DEMO = "openstack --os-cloud minicloud"
ADMIN = "openstack --os-cloud minicloud-admin"


def _volume(demo, name):
    try:
        return demo.block_storage.find_volume(name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        return None


def _need(demo, name, hint):
    volume = _volume(demo, name)
    assert volume is not None, f"There is no volume {name} in project demo yet. {hint}"
    return volume


CREATE_DATA1 = f"Create it (Step 1):\n  {DEMO} volume create --size 1 data1"


def test_volume_data1_exists(demo):
    """Volume data1 exists in project demo"""
    volume = _need(demo, "data1", CREATE_DATA1)
    assert volume.status in ("available", "in-use", "reserved", "attaching"), (
        f"data1 is {volume.status}. Delete it and create it again:\n"
        f"  {DEMO} volume delete data1\n  {DEMO} volume create --size 1 data1")


def test_boot1_is_a_bootable_copy_of_cirros(demo):
    """Volume boot1 is bootable, written from the image cirros"""
    hint = (f"Create it from the image (Step 2):\n"
            f"  {DEMO} volume create --size 1 --image cirros boot1")
    volume = _need(demo, "boot1", hint)
    image = (volume.volume_image_metadata or {}).get("image_name")
    assert volume.status == "available" and volume.is_bootable and image == "cirros", (
        f"boot1 is {volume.status}, bootable={volume.is_bootable}, made from image "
        f"{image or 'none'}. Delete it and create it again from cirros:\n"
        f"  {DEMO} volume delete boot1\n"
        f"  {DEMO} volume create --size 1 --image cirros boot1")


def test_snap1_is_a_snapshot_of_data1(demo):
    """Snapshot snap1 of data1 is available"""
    volume = _need(demo, "data1", CREATE_DATA1)
    snaps = [s for s in demo.block_storage.snapshots(details=True, name="snap1")
             if s.name == "snap1"]
    hint = f"Take it (Step 3):\n  {DEMO} volume snapshot create --volume data1 snap1"
    assert snaps, "There is no snapshot snap1 yet. " + hint
    assert snaps[0].volume_id == volume.id, (
        f"snap1 is a snapshot of volume {snaps[0].volume_id}, not of data1. Delete it and "
        f"take it again:\n  {DEMO} volume snapshot delete snap1\n  "
        f"{DEMO} volume snapshot create --volume data1 snap1")
    assert snaps[0].status == "available", f"snap1 is {snaps[0].status}, not available."


def _extends(home: Path, volume_id: str) -> list[sqlite3.Row]:
    """The volume's extend requests that reached its cinder-volume: the root spans
    `POST /v3/<project>/volumes/<id>/action` of traces with an `extend_volume` hop, from the
    cloud's trace store (trace.db in the data directory)."""
    path = home / "trace.db"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT * FROM spans WHERE parent_id IS NULL AND operation LIKE ? AND status = 'ok' "
            "AND trace_id IN (SELECT trace_id FROM spans WHERE operation LIKE '%extend_volume')",
            (f"POST /v3/%/volumes/{volume_id}/action",)).fetchall()


def test_data1_was_extended_to_2_gb(demo, lab_cloud):
    """data1 was created smaller and extended to 2 GB"""
    volume = _need(demo, "data1", CREATE_DATA1)
    extend = f"  {DEMO} volume set --size 2 data1"
    assert volume.size == 2, (
        f"data1 is {volume.size} GB. Extend it while it is available (Step 4):\n{extend}")
    assert _extends(lab_cloud.home, volume.id), (
        "data1 is 2 GB, but it was never extended: the cloud's trace holds no extend of it\n"
        "(POST .../volumes/<id>/action with os-extend). It was created with 2 GB. Make it\n"
        "again the lab's way: detach it, delete its snapshot and it, then Steps 1, 3 and 4:\n"
        f"  {DEMO} server remove volume db1 data1\n"
        f"  {DEMO} volume snapshot delete snap1\n  {DEMO} volume delete data1\n"
        f"  {DEMO} volume create --size 1 data1\n"
        f"  {DEMO} volume snapshot create --volume data1 snap1\n{extend}")


def test_data1_is_attached_to_db1_on_vdb(demo):
    """data1 is in-use, attached to server db1 as /dev/vdb"""
    volume = _need(demo, "data1", CREATE_DATA1)
    try:
        server = demo.compute.find_server("db1", ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        server = None
    assert server is not None and server.status == "ACTIVE", (
        "There is no ACTIVE server db1 yet. Boot it (Step 5):\n"
        f"  {DEMO} server create --image cirros --flavor m1.tiny --network private --wait db1")
    places = [(a.get("server_id"), a.get("device")) for a in volume.attachments or []]
    assert (server.id, "/dev/vdb") in places, (
        f"data1 is {volume.status}" + (f", attached as {places}" if places else "")
        + f". Attach it to db1 (Step 5):\n  {DEMO} server add volume db1 data1\n"
        f"  {DEMO} volume show -c status -c attachments data1")
    assert volume.status == "in-use", f"data1 is {volume.status}, not in-use yet."


def test_demo_may_have_at_most_5_volumes(admin):
    """The admin limited project demo to 5 volumes"""
    project = admin.identity.find_project("demo", ignore_missing=False)
    quota = admin.block_storage.get(f"/os-quota-sets/{project.id}").json()["quota_set"]
    assert quota["volumes"] == 5, (
        f"Project demo may have {quota['volumes']} volumes. As the admin, set its quota "
        f"(Step 6):\n  {ADMIN} quota set --volumes 5 demo")
