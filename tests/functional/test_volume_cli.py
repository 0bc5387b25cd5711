"""The learner's Cinder commands through the real `openstack` CLI and openstacksdk, on a
live cloud: volumes (empty and from the cirros image), snapshots, types, quotas, attach and
detach to a server through Nova, and the errors a learner meets (never a 500)."""

from __future__ import annotations

import time

import requests

ADMIN = "minicloud-admin"


def wait_for_status(cloud, name: str, wanted: str, timeout: float = 15.0) -> dict:
    """`volume create` returns at once with `creating`: poll `volume show` as a learner would."""
    deadline = time.monotonic() + timeout
    while True:
        shown = cloud.cli_json("volume", "show", name)
        if shown["status"] == wanted or time.monotonic() > deadline:
            assert shown["status"] == wanted, shown
            return shown
        time.sleep(0.2)


def wait_for_gone(cloud, name: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while cloud.cli("volume", "show", name, check=False).returncode == 0:
        assert time.monotonic() < deadline, f"volume {name} is still there"
        time.sleep(0.2)


def test_discovery_documents(cloud):
    base = cloud.config.base_url("volume")
    for path in ("/", "/v3/"):
        version = requests.get(base + path, timeout=10).json()["versions"][0]
        assert version["id"] == "v3.0" and version["min_version"] == "3.0"
        assert version["version"] == "3.70" and version["links"][-1]["href"] == base + "/v3/"


def test_services_and_pools_as_admin(cloud):
    services = cloud.cli_json("volume", "service", "list", cloud=ADMIN)
    assert {(s["Binary"], s["Host"], s["State"]) for s in services} == {
        ("cinder-scheduler", "controller", "up"), ("cinder-volume", "storage1@file", "up")}
    pools = cloud.cli_json("volume", "backend", "pool", "list", cloud=ADMIN)
    assert [p["Name"] for p in pools] == ["storage1@file#file"]


def test_volume_create_list_show_delete(cloud):
    created = cloud.cli_json("volume", "create", "--size", "1", "v1")
    assert created["status"] == "creating" and created["size"] == 1
    shown = wait_for_status(cloud, "v1", "available")
    assert shown["bootable"] in ("false", False) and shown["type"] == "__DEFAULT__"
    listed = {v["Name"]: v for v in cloud.cli_json("volume", "list")}
    assert listed["v1"]["Status"] == "available" and listed["v1"]["Size"] == 1
    cloud.cli("volume", "set", "--name", "v1-renamed", "--property", "tier=lab", "v1")
    renamed = cloud.cli_json("volume", "show", "v1-renamed")
    assert renamed["properties"] in ({"tier": "lab"}, "tier='lab'")
    cloud.cli("volume", "set", "--size", "2", "v1-renamed")
    assert wait_for_status(cloud, "v1-renamed", "available")["size"] == 2
    cloud.cli("volume", "delete", "v1-renamed")
    wait_for_gone(cloud, "v1-renamed")


def test_bootable_volume_from_the_cirros_image(cloud):
    cloud.cli_json("volume", "create", "--size", "1", "--image", "cirros", "bootable1")
    shown = wait_for_status(cloud, "bootable1", "available")
    assert shown["bootable"] in ("true", True)
    assert shown["volume_image_metadata"]["image_name"] == "cirros"
    cloud.cli("volume", "delete", "bootable1")
    wait_for_gone(cloud, "bootable1")


def test_snapshots_and_a_volume_from_one(cloud):
    cloud.cli_json("volume", "create", "--size", "1", "snapsrc")
    wait_for_status(cloud, "snapsrc", "available")
    snap = cloud.cli_json("volume", "snapshot", "create", "--volume", "snapsrc", "s1")
    assert snap["status"] == "creating"
    deadline = time.monotonic() + 15
    while cloud.cli_json("volume", "snapshot", "show", "s1")["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert [s["Name"] for s in cloud.cli_json("volume", "snapshot", "list")] == ["s1"]
    cloud.cli_json("volume", "create", "--snapshot", "s1", "fromsnap")
    assert wait_for_status(cloud, "fromsnap", "available")["snapshot_id"] == snap["id"]
    refused = cloud.cli("volume", "delete", "snapsrc", check=False)
    assert refused.returncode != 0 and "dependent snapshots" in refused.stderr
    cloud.cli("volume", "delete", "fromsnap")
    cloud.cli("volume", "snapshot", "delete", "s1")
    deadline = time.monotonic() + 15
    while cloud.cli_json("volume", "snapshot", "list"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cloud.cli("volume", "delete", "snapsrc")
    wait_for_gone(cloud, "snapsrc")


def test_volume_types(cloud):
    names = [t["Name"] for t in cloud.cli_json("volume", "type", "list")]
    assert names == ["__DEFAULT__"]
    denied = cloud.cli("volume", "type", "create", "gold", check=False)
    assert denied.returncode != 0 and "403" in denied.stderr
    cloud.cli_json("volume", "type", "create", "gold", cloud=ADMIN)
    cloud.cli_json("volume", "create", "--size", "1", "--type", "gold", "goldvol")
    assert wait_for_status(cloud, "goldvol", "available")["type"] == "gold"
    cloud.cli("volume", "delete", "goldvol")
    wait_for_gone(cloud, "goldvol")
    cloud.cli("volume", "type", "delete", "gold", cloud=ADMIN)
    assert [t["Name"] for t in cloud.cli_json("volume", "type", "list")] == ["__DEFAULT__"]


def test_quota_and_errors_are_clean(cloud):
    big = cloud.cli("volume", "create", "--size", "2000", "big", check=False)
    assert big.returncode != 0 and "413" in big.stderr
    assert "VolumeSizeExceedsAvailableQuota" in big.stderr
    quota = cloud.cli_json("quota", "show", "--volume")
    values = {q["Resource"]: q["Limit"] for q in quota} if isinstance(quota, list) else quota
    assert values["volumes"] == 10 and values["gigabytes"] == 1000
    missing = cloud.cli("volume", "show", "no-such-volume", check=False)
    assert missing.returncode != 0 and "No Volume found" in missing.stderr
    token = cloud.sdk().auth_token
    url = cloud.config.base_url("volume") + "/v3/volumes/not-a-volume"
    r = requests.get(url, headers={"X-Auth-Token": token}, timeout=10)
    assert r.status_code == 404 and "itemNotFound" in r.json()


def test_attach_detach_through_nova(cloud):
    cloud.cli_json("volume", "create", "--size", "1", "data1")
    wait_for_status(cloud, "data1", "available")
    cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                   "--network", "private", "--wait", "vm1")
    attached = cloud.cli_json("server", "add", "volume", "vm1", "data1")
    assert attached["Device"] == "/dev/vdb"
    shown = wait_for_status(cloud, "data1", "in-use")
    server = cloud.cli_json("server", "show", "vm1")
    item = shown["attachments"][0]
    assert item["server_id"] == server["id"] and item["device"] == "/dev/vdb"
    assert "Attached to vm1 on /dev/vdb" in cloud.cli("volume", "list").stdout
    log = cloud.cli("console", "log", "show", "vm1").stdout
    assert "virtio_blk: new disk /dev/vdb" in log
    # An attached volume can neither be attached again nor deleted.
    again = cloud.cli("server", "add", "volume", "vm1", "data1", check=False)
    assert again.returncode != 0 and "400" in again.stderr
    refused = cloud.cli("volume", "delete", "data1", check=False)
    assert refused.returncode != 0 and "400" in refused.stderr
    # A second volume gets the next letter.
    cloud.cli_json("volume", "create", "--size", "1", "data2")
    wait_for_status(cloud, "data2", "available")
    assert cloud.cli_json("server", "add", "volume", "vm1", "data2")["Device"] == "/dev/vdc"
    wait_for_status(cloud, "data2", "in-use")
    cloud.cli("server", "remove", "volume", "vm1", "data1")
    shown = wait_for_status(cloud, "data1", "available")
    assert shown["attachments"] == []
    # Deleting the server detaches what is left.
    cloud.cli("server", "delete", "--wait", "vm1")
    wait_for_status(cloud, "data2", "available")
    for name in ("data1", "data2"):
        cloud.cli("volume", "delete", name)
        wait_for_gone(cloud, name)


def test_sdk_sees_the_same_volumes(cloud):
    conn = cloud.sdk()
    volume = conn.block_storage.create_volume(size=1, name="sdkvol")
    volume = conn.block_storage.wait_for_status(volume, "available", wait=15, interval=0.2)
    assert volume.is_bootable is False and volume.attachments == []
    conn.block_storage.delete_volume(volume)
    conn.block_storage.wait_for_delete(volume, wait=15, interval=0.2)


def test_availability_zones_and_extensions(cloud):
    zones = cloud.cli_json("availability", "zone", "list", "--volume")
    assert [(z["Zone Name"], z["Zone Status"]) for z in zones] == [("nova", "available")]
    aliases = {e["Alias"] for e in cloud.cli_json("extension", "list", "--volume")}
    assert {"os-availability-zone", "os-vol-tenant-attr", "os-quota-sets"} <= aliases


def test_set_bootable_through_the_cli_and_a_bad_flag_is_400(cloud):
    cloud.cli_json("volume", "create", "--size", "1", "flagged")
    volume = wait_for_status(cloud, "flagged", "available")
    cloud.cli("volume", "set", "--bootable", "flagged")
    assert wait_for_status(cloud, "flagged", "available")["bootable"] in ("true", True)
    conn = cloud.sdk()
    url = f"/volumes/{volume['id']}/action"
    bad = conn.block_storage.post(url, json={"os-set_bootable": {"bootable": "maybe"}})
    assert bad.status_code == 400 and "bootable" in bad.json()["badRequest"]["message"]
    bad = conn.block_storage.post(url, json={"os-update_readonly_flag": {"readonly": 3}})
    assert bad.status_code == 400
    cloud.cli("volume", "delete", "flagged")
    wait_for_gone(cloud, "flagged")


def test_an_empty_microversion_header_is_400(cloud):
    token = cloud.cli_json("token", "issue")
    url = f"{cloud.config.base_url('volume')}/v3/{token['project_id']}/volumes"
    for header in ("", "volume", "volume "):
        response = requests.get(url, timeout=10, headers={
            "X-Auth-Token": token["id"], "OpenStack-API-Version": header})
        assert response.status_code == 400, repr(header)
        assert "badRequest" in response.json()


def test_create_answer_has_no_admin_or_extension_attributes(cloud):
    """The SDK at the newest microversion: create answers the plain view, show adds the
    project id (a reader may see it), admins also see host and migration status."""
    conn = cloud.sdk()
    created = conn.block_storage.post("/volumes", json={"volume": {"size": 1, "name": "shape"}},
                                      microversion="3.70").json()["volume"]
    assert not {k for k in created if ":" in k}
    assert "migration_status" not in created and "volume_image_metadata" not in created
    volume = conn.block_storage.wait_for_status(conn.block_storage.get_volume(created["id"]),
                                                "available", wait=15, interval=0.2)
    shown = conn.block_storage.get(f"/volumes/{volume.id}", microversion="3.70").json()["volume"]
    assert {k for k in shown if ":" in k} == {"os-vol-tenant-attr:tenant_id"}
    admin = cloud.sdk(ADMIN).block_storage.get(f"/volumes/{volume.id}?all_tenants=1",
                                               microversion="3.70")
    assert {k for k in admin.json()["volume"] if ":" in k} == {
        "os-vol-tenant-attr:tenant_id", "os-vol-host-attr:host",
        "os-vol-mig-status-attr:migstat", "os-vol-mig-status-attr:name_id"}
    conn.block_storage.delete_volume(volume)
    conn.block_storage.wait_for_delete(volume, wait=15, interval=0.2)
