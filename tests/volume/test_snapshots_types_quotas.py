"""Snapshots, volume types and quotas of cinder-api."""

from tests.fakes import wait_for


def _snapshot(caller, volume_id: str, name: str = "s1") -> dict:
    result = caller.post("/snapshots", json={"snapshot": {"volume_id": volume_id, "name": name,
                                                          "force": False,
                                                          "description": None}})
    assert result.status_code == 202, result.text
    snap = result.json["snapshot"]
    assert wait_for(lambda: caller.get(f"/snapshots/{snap['id']}").json["snapshot"]["status"]
                    == "available")
    return snap


def test_snapshot_lifecycle_and_volume_from_it(demo, env):
    volume = demo.create_volume(name="v1")
    with open(env.backend.path(volume["id"]), "r+b") as f:
        f.write(b"data on v1")
    snap = _snapshot(demo, volume["id"])
    assert env.backend.snapshot_path(snap["id"]).exists()
    listed = demo.get("/snapshots/detail").json["snapshots"]
    assert [s["name"] for s in listed] == ["s1"] and listed[0]["volume_id"] == volume["id"]
    copy = demo.create_volume(snapshot_id=snap["id"], size=None)
    assert copy["size"] == 1 and copy["snapshot_id"] == snap["id"]
    with open(env.backend.path(copy["id"]), "rb") as f:
        assert f.read(10) == b"data on v1"
    # A volume with snapshots cannot go (400), unless cascade.
    refused = demo.delete(f"/volumes/{volume['id']}")
    assert refused.status_code == 400 and "dependent snapshots" in \
        refused.json["badRequest"]["message"]
    assert demo.delete(f"/snapshots/{snap['id']}").status_code == 202
    assert wait_for(lambda: demo.get(f"/snapshots/{snap['id']}").status_code == 404)
    assert demo.delete(f"/volumes/{volume['id']}").status_code == 202


def test_cascade_deletes_snapshots_too(demo, env):
    volume = demo.create_volume()
    snap = _snapshot(demo, volume["id"])
    assert demo.delete(f"/volumes/{volume['id']}", params={"cascade": "True"}).status_code == 202
    assert wait_for(lambda: demo.get(f"/snapshots/{snap['id']}").status_code == 404)
    assert not env.backend.snapshot_path(snap["id"]).exists()


def test_snapshot_of_unknown_or_busy_volume(demo, env):
    missing = demo.post("/snapshots", json={"snapshot": {"volume_id": "nope"}})
    assert missing.status_code == 404 and "itemNotFound" in missing.json
    volume = demo.create_volume()
    env.store.update_volume(volume["id"], {"status": "in-use"})
    busy = demo.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    assert busy.status_code == 400


def test_default_type_and_admin_only_changes(demo, admin):
    listed = demo.get("/types").json["volume_types"]
    assert [t["name"] for t in listed] == ["__DEFAULT__"]
    assert demo.get("/types/default").json["volume_type"]["name"] == "__DEFAULT__"
    assert demo.post("/types", json={"volume_type": {"name": "gold"}}).status_code == 403
    gold = admin.post("/types", json={"volume_type": {"name": "gold", "description": None,
                                                      "os-volume-type-access:is_public": True}})
    assert gold.status_code == 200
    assert admin.post("/types", json={"volume_type": {"name": "gold"}}).status_code == 409
    volume = demo.create_volume(volume_type="gold")
    assert volume["volume_type"] == "gold"
    type_id = gold.json["volume_type"]["id"]
    assert admin.delete(f"/types/{type_id}").status_code == 400  # in use
    demo.delete(f"/volumes/{volume['id']}")
    assert wait_for(lambda: demo.get(f"/volumes/{volume['id']}").status_code == 404)
    assert admin.delete(f"/types/{type_id}").status_code == 202
    unknown = demo.post("/volumes", json={"volume": {"size": 1, "volume_type": "nope"}})
    assert unknown.status_code == 404


def test_gigabytes_quota_is_413_over_limit(demo):
    result = demo.post("/volumes", json={"volume": {"size": 1001}})
    assert result.status_code == 413
    message = result.json["overLimit"]["message"]
    assert message.startswith("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot "
                              "exceeds allowed gigabytes quota. Requested 1001G, quota is "
                              "1000G and 0G has been consumed.")


def test_volume_count_quota_and_admin_update(demo, admin):
    assert admin.put("/os-quota-sets/p-demo", raw_path=False,
                     json={"quota_set": {"volumes": 1}}).status_code == 200
    demo.create_volume()
    result = demo.post("/volumes", json={"volume": {"size": 1}})
    assert result.status_code == 413 and "VolumeLimitExceeded" in \
        result.json["overLimit"]["message"]
    quota = demo.get("/os-quota-sets/p-demo", params={"usage": "True"}).json["quota_set"]
    assert quota["volumes"] == {"limit": 1, "in_use": 1, "reserved": 0}
    assert quota["gigabytes"]["in_use"] == 1
    assert demo.put("/os-quota-sets/p-demo",
                    json={"quota_set": {"volumes": 5}}).status_code == 403
    assert demo.get("/os-quota-sets/p-other").status_code == 403
    defaults = demo.get("/os-quota-sets/p-demo/defaults").json["quota_set"]
    assert (defaults["volumes"], defaults["snapshots"], defaults["gigabytes"]) == (10, 10, 1000)
    limits = demo.get("/limits").json["limits"]["absolute"]
    assert limits["maxTotalVolumes"] == 1 and limits["totalVolumesUsed"] == 1
