"""Lab 05 checkpoints: volume data1 (created, snapshotted as snap1, extended to 2 GB,
attached to server db1 on /dev/vdb), bootable volume boot1 from cirros, and the demo
project's volume quota lowered to 5 by the admin.

Run with `make lab-check LAB=05`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

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


def test_data1_was_extended_to_2_gb(demo):
    """data1 was extended to 2 GB"""
    volume = _need(demo, "data1", CREATE_DATA1)
    assert volume.size == 2, (
        f"data1 is {volume.size} GB. Extend it while it is available (Step 4):\n"
        f"  {DEMO} volume set --size 2 data1")


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
