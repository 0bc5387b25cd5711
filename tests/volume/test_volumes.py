"""cinder-api's volumes: discovery, both URL forms, create -> available through the
scheduler and cinder-volume, listing, show, update, extend and delete."""

import pytest

from minicloud.volume.backend import GiB
from tests.fakes import wait_for
from tests.volume.conftest import IMAGE, IMAGE_BYTES

CLI_CREATE = {"size": 1, "name": "v1", "description": None, "metadata": None,
              "snapshot_id": None, "imageRef": None, "consistencygroup_id": None,
              "volume_type": None, "backup_id": None, "availability_zone": None,
              "source_volid": None}


def test_version_documents_need_no_token(env):
    for path in ("/", "/v3", "/v3/"):
        result = env.client.simulate_get(path)
        assert result.status_code in (200, 300)
        version = result.json["versions"][0]
        assert version["id"] == "v3.0" and version["status"] == "CURRENT"
        assert version["min_version"] == "3.0" and version["version"] == "3.70"
        self_link = [l for l in version["links"] if l["rel"] == "self"][0]
        assert self_link["href"].endswith("/v3/")


def test_microversion_is_echoed_and_checked(demo, env):
    result = demo.get("/volumes/detail")
    assert result.headers["OpenStack-API-Version"] == "volume 3.70"
    old = env.caller("demo", version=None).get("/volumes/detail")
    assert old.status_code == 200 and old.headers["OpenStack-API-Version"] == "volume 3.0"
    too_new = env.caller("demo", version="volume 3.99").get("/volumes/detail")
    assert too_new.status_code == 406 and "notAcceptable" in too_new.json
    # keystonemiddleware answers before Cinder reads the version: no token is 401 first
    anonymous = env.caller(None, version="volume 3.99").get("/volumes/detail")
    assert anonymous.status_code == 401


@pytest.mark.parametrize("header", ["", "volume", "volume ", "compute 2.1", "volume 3",
                                    "volume three", "volume 3.70 extra"])
def test_a_header_without_a_volume_version_is_400(env, header):
    result = env.client.simulate_get("/v3/p-demo/volumes/detail", headers={
        "X-Auth-Token": "demo", "OpenStack-API-Version": header})
    assert result.status_code == 400, header
    assert "badRequest" in result.json
    assert result.headers["OpenStack-API-Version"] == "volume 3.0"


def test_create_with_nulls_goes_creating_then_available(demo, env):
    result = demo.post("/volumes", json={"volume": CLI_CREATE})
    assert result.status_code == 202
    volume = result.json["volume"]
    assert volume["status"] == "creating" and volume["bootable"] == "false"
    assert volume["volume_type"] == "__DEFAULT__" and volume["attachments"] == []
    assert wait_for(lambda: demo.volume(volume["id"])["status"] == "available")
    path = env.backend.path(volume["id"])
    assert path.stat().st_size == GiB and path.stat().st_blocks == 0  # sparse


def test_both_url_forms_and_a_foreign_project(env, demo):
    volume = demo.create_volume(name="v1")
    bare = env.caller("demo", project=False)
    assert bare.get(f"/volumes/{volume['id']}").json["volume"]["name"] == "v1"
    wrong = demo.request("GET", f"/v3/p-other/volumes/{volume['id']}", raw_path=True)
    assert wrong.status_code == 400 and "Malformed request url" in \
        wrong.json["badRequest"]["message"]


def test_show_fields_and_unknown_volume(demo, admin):
    volume = demo.create_volume(name="v1", metadata={"k": "v"})  # exact keys: test_shapes.py
    assert volume["metadata"] == {"k": "v"} and volume["os-vol-tenant-attr:tenant_id"] == "p-demo"
    assert "os-vol-host-attr:host" not in volume
    assert admin.volume(volume["id"])["os-vol-host-attr:host"] == "storage1@file#file"
    missing = demo.get("/volumes/nope")
    assert missing.status_code == 404
    assert missing.json["itemNotFound"]["message"] == "Volume nope could not be found."


def test_list_filters_projects_and_pagination(demo, other, admin):
    ids = [demo.create_volume(name=f"v{i}")["id"] for i in range(3)]
    other.create_volume(name="theirs")
    names = [v["name"] for v in demo.get("/volumes/detail").json["volumes"]]
    assert names == ["v2", "v1", "v0"]  # newest first, own project only
    assert [v["name"] for v in demo.get("/volumes/detail", params={"name": "v1"})
            .json["volumes"]] == ["v1"]
    assert demo.get("/volumes", params={"status": "error"}).json["volumes"] == []
    page = demo.get("/volumes/detail", params={"limit": "2"}).json
    assert [v["id"] for v in page["volumes"]] == ids[:0:-1]
    assert page["volumes_links"][0]["rel"] == "next"
    rest = demo.get("/volumes/detail", params={"limit": "2", "marker": ids[1]}).json
    assert [v["id"] for v in rest["volumes"]] == [ids[0]] and "volumes_links" not in rest
    assert demo.get("/volumes/detail", params={"marker": ids[0]}).json["volumes"] == []
    everyone = admin.get("/volumes/detail", params={"all_tenants": "True"}).json["volumes"]
    assert {"theirs", "v0"} <= {v["name"] for v in everyone}
    assert len(demo.get("/volumes/detail", params={"all_tenants": "1"}).json["volumes"]) == 3


def test_other_projects_volume_is_not_found(demo, other):
    volume = demo.create_volume()
    assert other.get(f"/volumes/{volume['id']}").status_code == 404
    assert other.delete(f"/volumes/{volume['id']}").status_code == 404


def test_update_and_metadata(demo):
    volume = demo.create_volume(name="v1")
    result = demo.put(f"/volumes/{volume['id']}",
                      json={"volume": {"name": "renamed", "description": "d"}})
    assert result.json["volume"]["name"] == "renamed"
    demo.post(f"/volumes/{volume['id']}/metadata", json={"metadata": {"a": "1"}})
    demo.post(f"/volumes/{volume['id']}/metadata", json={"metadata": {"b": "2"}})
    assert demo.volume(volume["id"])["metadata"] == {"a": "1", "b": "2"}
    assert demo.delete(f"/volumes/{volume['id']}/metadata/a").status_code == 200
    assert demo.volume(volume["id"])["metadata"] == {"b": "2"}


def test_extend_only_when_available_and_bigger(demo, env):
    volume = demo.create_volume()
    assert demo.post(f"/volumes/{volume['id']}/action",
                     json={"os-extend": {"new_size": 1}}).status_code == 400
    result = demo.post(f"/volumes/{volume['id']}/action", json={"os-extend": {"new_size": 3}})
    assert result.status_code == 202
    assert wait_for(lambda: demo.volume(volume["id"])["size"] == 3)
    assert demo.volume(volume["id"])["status"] == "available"
    assert env.backend.path(volume["id"]).stat().st_size == 3 * GiB


def test_create_from_image_writes_the_image_and_is_bootable(demo, env):
    volume = demo.create_volume(imageRef=IMAGE["id"], name="boot")
    assert volume["bootable"] == "true"
    assert volume["volume_image_metadata"]["image_name"] == "cirros"
    with open(env.backend.path(volume["id"]), "rb") as f:
        assert f.read(len(IMAGE_BYTES)) == IMAGE_BYTES
    assert env.backend.path(volume["id"]).stat().st_size == GiB


def test_bad_images_are_refused(demo):
    for image, words in (("nope", "Invalid image identifier"), ("img-queued", "is not active"),
                         ("img-big", "larger than volume size")):
        result = demo.post("/volumes", json={"volume": {"size": 1, "imageRef": image}})
        assert result.status_code == 400 and words in result.json["badRequest"]["message"]


@pytest.mark.parametrize("action,field", [("os-set_bootable", "bootable"),
                                          ("os-update_readonly_flag", "readonly")])
def test_flag_actions_take_only_booleans(demo, action, field):
    volume = demo.create_volume()
    url = f"/volumes/{volume['id']}/action"
    for bad in ("maybe", 2, None, [], {}, "", "truthy"):
        result = demo.post(url, json={action: {field: bad}})
        assert result.status_code == 400, bad
        assert field in result.json["badRequest"]["message"]
    for bad_args in ({}, None, "true", {field: True, "other": 1}):
        assert demo.post(url, json={action: bad_args}).status_code == 400, bad_args
    for good in (True, "yes", "0", "False", "t"):
        assert demo.post(url, json={action: {field: good}}).status_code == 202, good
    bootable = f"/volumes/{volume['id']}/action"
    demo.post(bootable, json={"os-set_bootable": {"bootable": "On"}})
    assert demo.volume(volume["id"])["bootable"] == "true"
    demo.post(bootable, json={"os-set_bootable": {"bootable": "n"}})
    assert demo.volume(volume["id"])["bootable"] == "false"


def test_reset_status_is_admin_only_and_checked(demo, admin):
    volume = demo.create_volume()
    url = f"/volumes/{volume['id']}/action"
    assert demo.post(url, json={"os-reset_status": {"status": "error"}}).status_code == 403
    for bad in (None, 1, "error", [], {}, {"status": ""}, {"status": "broken"},
                {"attach_status": "glued"}, {"status": 5}, {"status": "error", "x": 1},
                {"migration_status": "teleporting"}):
        result = admin.post(url, json={"os-reset_status": bad})
        assert result.status_code == 400, bad
        assert "badRequest" in result.json
    assert demo.volume(volume["id"])["status"] == "available"  # nothing changed
    assert admin.post(url, json={"os-reset_status": {"status": "ERROR"}}).status_code == 202
    assert demo.volume(volume["id"])["status"] == "error"
    assert admin.post(url, json={"os-reset_status": {"migration_status": "none"}}
                      ).status_code == 202


def test_bad_sizes_are_400(demo):
    for size in (0, -1, "x", None):
        result = demo.post("/volumes", json={"volume": {"size": size}})
        assert result.status_code == 400, size


def test_delete_goes_through_the_storage_node(demo, env):
    volume = demo.create_volume()
    result = demo.delete(f"/volumes/{volume['id']}", params={"cascade": "False",
                                                              "force": "False"})
    assert result.status_code == 202
    assert wait_for(lambda: demo.get(f"/volumes/{volume['id']}").status_code == 404)
    assert not env.backend.path(volume["id"]).exists()


def test_no_backend_with_room_means_error(demo, env):
    env.scheduler.backends.clear()
    volume = demo.create_volume(wait="error")
    assert volume["status"] == "error"
    assert demo.delete(f"/volumes/{volume['id']}").status_code == 202
    assert wait_for(lambda: demo.get(f"/volumes/{volume['id']}").status_code == 404)
