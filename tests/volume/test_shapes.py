"""The exact keys of Cinder's answers, per call, caller and microversion (the response-shape
audit of docs/services/cinder.md): nothing missing, nothing extra. Clients that validate
responses reject a body with one key too many, e.g. a project id in a create answer."""

import pytest

VOLUME = {"id", "status", "size", "availability_zone", "created_at", "updated_at", "name",
          "description", "volume_type", "snapshot_id", "source_volid", "metadata", "links",
          "user_id", "bootable", "encrypted", "replication_status", "consistencygroup_id",
          "multiattach", "attachments"}
VOLUME_370 = {"group_id", "shared_targets", "service_uuid", "volume_type_id", "consumes_quota"}
ADMIN_370 = {"provider_id", "cluster_name"}
TENANT = {"os-vol-tenant-attr:tenant_id"}
ADMIN_ONLY = {"migration_status", "os-vol-host-attr:host", "os-vol-mig-status-attr:migstat",
              "os-vol-mig-status-attr:name_id"}
SNAPSHOT = {"id", "created_at", "updated_at", "name", "description", "volume_id", "status",
            "size", "metadata"}
SNAPSHOT_370 = {"group_snapshot_id", "user_id", "consumes_quota"}
SNAPSHOT_EXTENDED = {"os-extended-snapshot-attributes:project_id",
                     "os-extended-snapshot-attributes:progress"}
ATTACHMENT = {"id", "status", "instance", "volume_id"}
ATTACHMENT_DETAIL = ATTACHMENT | {"attached_at", "detached_at", "attach_mode", "connection_info"}


@pytest.fixture
def old(env):
    """demo at microversion 3.0."""
    return env.caller("demo", version="volume 3.0")


@pytest.fixture
def old_admin(env):
    return env.caller("admin", version="volume 3.0")


def test_volume_keys_at_3_0(old, old_admin):
    created = old.post("/volumes", json={"volume": {"size": 1, "name": "v"}})
    assert set(created.json["volume"]) == VOLUME  # no project id, host, ... in a create
    volume_id = created.json["volume"]["id"]
    assert set(old.volume(volume_id)) == VOLUME | TENANT
    assert set(old.get("/volumes/detail").json["volumes"][0]) == VOLUME | TENANT
    assert set(old.get("/volumes").json["volumes"][0]) == {"id", "name", "links"}
    updated = old.put(f"/volumes/{volume_id}", json={"volume": {"name": "w"}})
    assert set(updated.json["volume"]) == VOLUME
    assert set(old_admin.volume(volume_id)) == VOLUME | TENANT | ADMIN_ONLY
    listed = old_admin.get("/volumes/detail", params={"all_tenants": "1"}).json["volumes"]
    assert set(listed[0]) == VOLUME | TENANT | ADMIN_ONLY


def test_volume_keys_at_3_70(demo, admin):
    created = demo.post("/volumes", json={"volume": {"size": 1}})
    assert set(created.json["volume"]) == VOLUME | VOLUME_370
    volume = demo.create_volume()
    assert set(volume) == VOLUME | VOLUME_370 | TENANT
    assert set(admin.volume(volume["id"])) == VOLUME | VOLUME_370 | TENANT | ADMIN_ONLY | ADMIN_370
    with_count = demo.get("/volumes", params={"with_count": "true"}).json
    assert set(with_count) == {"volumes", "count"} and with_count["count"] == 2


def test_snapshot_keys(demo, old, env):
    volume = demo.create_volume()
    created = demo.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    assert set(created.json["snapshot"]) == SNAPSHOT | SNAPSHOT_370
    snapshot_id = created.json["snapshot"]["id"]
    assert set(demo.get(f"/snapshots/{snapshot_id}").json["snapshot"]) == \
        SNAPSHOT | SNAPSHOT_370 | SNAPSHOT_EXTENDED
    assert set(demo.get("/snapshots/detail").json["snapshots"][0]) == \
        SNAPSHOT | SNAPSHOT_370 | SNAPSHOT_EXTENDED
    assert set(demo.get("/snapshots").json["snapshots"][0]) == SNAPSHOT
    assert set(old.get(f"/snapshots/{snapshot_id}").json["snapshot"]) == \
        SNAPSHOT | SNAPSHOT_EXTENDED
    updated = old.put(f"/snapshots/{snapshot_id}", json={"snapshot": {"name": "s"}})
    assert set(updated.json["snapshot"]) == SNAPSHOT


def test_volume_type_keys(demo, admin):
    listed = demo.get("/types").json["volume_types"][0]
    assert set(listed) == {"id", "name", "is_public", "description", "extra_specs",
                           "os-volume-type-access:is_public"}
    specs = {"volume_backend_name": "file", "multiattach": "<is> False"}
    created = admin.post("/types", json={"volume_type": {"name": "gold", "extra_specs": specs}})
    gold = created.json["volume_type"]
    assert set(gold) == {"id", "name", "is_public", "description", "extra_specs",
                         "qos_specs_id", "os-volume-type-access:is_public"}
    # a non-admin sees only the extra specs Cinder deems user-visible
    assert demo.get(f"/types/{gold['id']}").json["volume_type"]["extra_specs"] == {
        "multiattach": "<is> False"}
    updated = admin.put(f"/types/{gold['id']}", json={"volume_type": {"description": "d"}})
    assert set(updated.json["volume_type"]) == {"id", "name", "is_public", "description",
                                                "extra_specs", "qos_specs_id"}


def test_attachment_keys(admin, demo):
    volume = demo.create_volume()
    created = admin.post("/attachments", json={"attachment": {
        "volume_id": volume["id"], "instance_uuid": "server-1"}}).json["attachment"]
    assert set(created) == ATTACHMENT_DETAIL
    assert created["attached_at"] == "" and created["detached_at"] == ""
    assert set(admin.get(f"/attachments/{created['id']}").json["attachment"]) == \
        ATTACHMENT_DETAIL
    assert set(demo.get("/attachments").json["attachments"][0]) == ATTACHMENT
    assert set(demo.get("/attachments/detail").json["attachments"][0]) == ATTACHMENT_DETAIL
    assert admin.delete(f"/attachments/{created['id']}").json == {"attachments": []}


def test_quota_and_limit_keys(demo, admin):
    lines = {"volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups",
             "per_volume_gigabytes", "volumes___DEFAULT__", "gigabytes___DEFAULT__",
             "snapshots___DEFAULT__"}
    shown = demo.get("/os-quota-sets/p-demo").json["quota_set"]
    assert set(shown) == lines | {"id"} and shown["volumes___DEFAULT__"] == -1
    demo.create_volume()
    usage = demo.get("/os-quota-sets/p-demo", params={"usage": "true"}).json["quota_set"]
    assert usage["volumes___DEFAULT__"] == {"limit": -1, "in_use": 1, "reserved": 0}
    assert set(usage["gigabytes"]) == {"limit", "in_use", "reserved"}
    assert set(demo.get("/os-quota-sets/p-demo/defaults").json["quota_set"]) == lines | {"id"}
    updated = admin.put("/os-quota-sets/p-demo", json={"quota_set": {"volumes": 5}})
    assert set(updated.json["quota_set"]) == lines  # Cinder's update answer has no id
    refused = admin.put("/os-quota-sets/p-demo",
                        json={"quota_set": {"volumes___DEFAULT__": 5}})
    assert refused.status_code == 400 and "per-volume-type" in \
        refused.json["badRequest"]["message"]
    absolute = demo.get("/limits").json["limits"]
    assert absolute["rate"] == [] and set(absolute["absolute"]) == {
        "maxTotalVolumes", "maxTotalSnapshots", "maxTotalVolumeGigabytes", "maxTotalBackups",
        "maxTotalBackupGigabytes", "totalVolumesUsed", "totalSnapshotsUsed",
        "totalGigabytesUsed", "totalBackupsUsed", "totalBackupGigabytesUsed"}


def test_service_zone_and_extension_keys(admin, old_admin, demo):
    common = {"binary", "host", "zone", "status", "state", "updated_at", "disabled_reason"}
    volume_only = {"replication_status", "active_backend_id", "frozen"}
    for caller, added, volume_added in ((old_admin, set(), set()),
                                        (admin, {"cluster"}, {"backend_state"})):
        rows = {r["binary"]: r for r in caller.get("/os-services").json["services"]}
        assert set(rows["cinder-scheduler"]) == common | added
        assert set(rows["cinder-volume"]) == common | added | volume_only | volume_added
    assert demo.get("/os-availability-zone").json == {"availabilityZoneInfo": [
        {"zoneName": "nova", "zoneState": {"available": True}}]}
    extensions = demo.get("/extensions").json["extensions"]
    assert {e["alias"] for e in extensions} >= {"os-availability-zone", "os-vol-tenant-attr"}
    assert all(set(e) == {"alias", "description", "links", "name", "updated"}
               for e in extensions)
    assert demo.get("/extensions/os-vol-host-attr").json["extension"]["name"] == \
        "VolumeHostAttribute"
    assert demo.get("/extensions/nope").status_code == 404
