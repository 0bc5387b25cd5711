"""Server actions, part two: resize (+ confirm / revert, quota, claims on both hosts),
createImage (the Glance record and upload, per microversion) and shelve / shelveOffload /
unshelve (the server leaves its host and comes back through the scheduler)."""

from __future__ import annotations

import pytest

from tests.compute.conftest import Nova
from tests.compute.fakes import with_glance_writes
from tests.fakes import wait_for


@pytest.fixture
def nova(tmp_path):
    service = with_glance_writes(Nova(tmp_path))
    yield service
    service.stop()


def used(nova):
    return {h: r["memory_mb"] for h, r in nova.store.used().items()}


# -- resize ----------------------------------------------------------------------------------
def test_resize_moves_to_another_host_with_the_new_flavor_then_confirm(nova):
    server = nova.server(nova.boot()["id"])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    r = nova.action(sid, {"resize": {"flavorRef": "2"}})
    assert r.status_code == 202 and r.text == ""
    resized = nova.wait(sid, "VERIFY_RESIZE")
    dest = resized["OS-EXT-SRV-ATTR:host"]
    assert dest != source and resized["flavor"]["original_name"] == "m1.small"
    assert used(nova) == {source: 512, dest: 2048}  # both claims until confirmed
    migration = nova.request("GET", "/os-migrations", "admin").json["migrations"][0]
    assert migration["migration_type"] == "resize" and migration["status"] == "finished"
    assert nova.action(sid, {"confirmResize": None}).status_code == 204
    server = nova.wait(sid, "ACTIVE")
    assert server["flavor"]["original_name"] == "m1.small"
    assert used(nova) == {dest: 2048}
    assert nova.store.instance(sid)["system_metadata"] == {}
    action = nova.wait_action_done(sid, "resize")
    assert [e["event"] for e in action["events"]] == [
        "conductor_migrate_server", "compute_resize_instance", "compute_finish_resize"]
    assert [e["host"] for e in action["events"]] == [dest, source, dest]
    confirm = nova.wait_action_done(sid, "confirmResize")
    assert [e["event"] for e in confirm["events"]] == ["compute_confirm_resize"]


def test_resize_revert_brings_back_the_old_flavor_on_the_source(nova):
    server = nova.server(nova.boot()["id"])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    nova.action(sid, {"os-stop": None})
    nova.wait(sid, "SHUTOFF")
    assert nova.action(sid, {"resize": {"flavorRef": "2"}}).status_code == 202
    nova.wait(sid, "VERIFY_RESIZE")
    assert nova.action(sid, {"revertResize": None}).status_code == 202
    server = nova.wait(sid, "SHUTOFF")
    revert = nova.wait_action_done(sid, "revertResize")
    assert [e["event"] for e in revert["events"]] == ["compute_revert_resize",
                                                      "compute_finish_revert_resize"]
    assert server["OS-EXT-SRV-ATTR:host"] == source
    assert server["flavor"]["original_name"] == "m1.tiny"
    assert used(nova) == {source: 512}


def test_resize_errors_and_quota(nova):
    sid = nova.boot()["id"]
    for body, code, kind in [({"resize": {"flavorRef": "1"}}, 400, "must change flavor"),
                             ({"resize": {"flavorRef": "999"}}, 400, "could not be found"),
                             ({"resize": {}}, 400, "flavorRef"),
                             ({"resize": {"flavorRef": "2", "x": 1}}, 400, "x")]:
        r = nova.action(sid, body)
        assert r.status_code == code and kind in r.json["badRequest"]["message"], r.text
    nova.request("PUT", "/os-quota-sets/p-demo", "admin", {"quota_set": {"cores": 1}})
    r = nova.action(sid, {"resize": {"flavorRef": "3"}})  # m1.medium: 2 vCPUs
    assert r.status_code == 403 and "Quota exceeded for cores" in r.json["forbidden"]["message"]
    bigger = nova.request("POST", "/flavors", "admin", {"flavor": {
        "name": "small-disk", "ram": 1024, "vcpus": 1, "disk": 0}}).json["flavor"]
    r = nova.action(sid, {"resize": {"flavorRef": bigger["id"]}})
    assert r.status_code == 400 and "resize disk down" in r.json["badRequest"]["message"]
    assert nova.action(sid, {"confirmResize": None}).status_code == 409


# -- createImage -----------------------------------------------------------------------------
def test_create_image_uploads_a_snapshot_to_glance(nova):
    sid = nova.boot()["id"]
    r = nova.action(sid, {"createImage": {"name": "snap", "metadata": {"purpose": "lab"}}})
    assert r.status_code == 202 and set(r.json) == {"image_id"}
    assert "Location" not in r.headers
    image_id = r.json["image_id"]
    created = nova.images.created[0]
    assert created["token"] == "demo"  # made with the caller's token: the caller owns it
    assert (created["name"], created["image_type"], created["instance_uuid"],
            created["base_image_ref"], created["purpose"]) == (
        "snap", "snapshot", sid, nova.images.cirros["id"], "lab")
    assert wait_for(lambda: nova.images.images[image_id]["status"] == "active", timeout=10.0)
    assert nova.images.uploads[image_id][:4] == b"QFI\xfb"
    nova.wait(sid, "ACTIVE")
    action = nova.wait_action_done(sid, "createImage")
    assert action["events"][0]["event"] == "compute_snapshot_instance"
    # the snapshot boots
    assert nova.boot("from-snap", imageRef=image_id)["image"]["id"] == image_id


def test_create_image_before_245_answers_with_a_location(nova):
    sid = nova.boot()["id"]
    r = nova.request("POST", f"/servers/{sid}/action", "demo",
                     {"createImage": {"name": "old"}}, version="2.44")
    assert r.status_code == 202 and r.text == ""
    assert r.headers["Location"] == f"http://glance.test/images/{nova.images.created[0]['id']}"
    nova.wait(sid, "ACTIVE")
    for body in ({"createImage": {}}, {"createImage": {"name": ""}},
                 {"createImage": {"name": "x", "bogus": 1}}):
        assert nova.action(sid, body).status_code == 400, body


# -- shelve ----------------------------------------------------------------------------------
def test_shelve_offloads_and_unshelve_schedules_again(nova):
    server = nova.boot()
    sid = server["id"]
    port = server["addresses"]["private"][0]["OS-EXT-IPS-MAC:mac_addr"]
    assert nova.action(sid, {"shelve": None}).status_code == 202
    shelved = nova.wait(sid, "SHELVED_OFFLOADED")
    assert shelved["OS-EXT-SRV-ATTR:host"] is None and shelved["OS-EXT-STS:power_state"] == 0
    assert shelved["addresses"]["private"][0]["OS-EXT-IPS-MAC:mac_addr"] == port
    assert used(nova) == {}
    image_id = nova.store.instance(sid)["system_metadata"]["shelved_image_id"]
    assert nova.images.images[image_id]["name"] == "vm1-shelved"
    assert all(p["binding:host_id"] == "" for p in nova.networks.port_table.values())
    assert nova.action(sid, {"shelve": None}).status_code == 409
    assert nova.action(sid, {"unshelve": None}).status_code == 202
    back = nova.wait(sid, "ACTIVE")
    host = back["OS-EXT-SRV-ATTR:host"]
    assert host and used(nova) == {host: 512}
    assert all(p["binding:host_id"] == host for p in nova.networks.port_table.values())
    assert wait_for(lambda: image_id in nova.images.deleted,
                    timeout=10.0)  # the shelved image is gone
    assert nova.store.instance(sid)["system_metadata"] == {}
    names = [a["action"] for a in nova.request("GET", f"/servers/{sid}/os-instance-actions",
                                               "demo").json["instanceActions"]]
    assert names[:2] == ["unshelve", "shelve"]
    events = [e["event"] for e in nova.wait_action_done(sid, "shelve")["events"]]
    assert events == ["compute_shelve_instance", "compute_shelve_offload_instance"]


def test_shelve_without_offload_then_shelve_offload_as_admin(tmp_path):
    nova = with_glance_writes(Nova(tmp_path, shelved_offload_time=-1))
    try:
        sid = nova.boot()["id"]
        nova.action(sid, {"shelve": None})
        shelved = nova.wait(sid, "SHELVED")
        assert shelved["OS-EXT-SRV-ATTR:host"] and shelved["OS-EXT-STS:power_state"] == 4
        r = nova.action(sid, {"shelveOffload": None})
        assert r.status_code == 403
        assert nova.action(sid, {"shelveOffload": None}, "admin").status_code == 202
        assert nova.wait(sid, "SHELVED_OFFLOADED")["OS-EXT-SRV-ATTR:host"] is None
        assert nova.action(sid, {"shelveOffload": None}, "admin").status_code == 409
        r = nova.request("POST", f"/servers/{sid}/action", "demo",
                         {"unshelve": {"availability_zone": "elsewhere"}}, version="2.77")
        assert r.status_code == 400
        r = nova.request("POST", f"/servers/{sid}/action", "demo",
                         {"unshelve": {"host": "compute1"}}, version="2.91")
        assert r.status_code == 403
        r = nova.request("POST", f"/servers/{sid}/action", "admin",
                         {"unshelve": {"host": "compute2"}}, version="2.91")
        assert r.status_code == 202
        assert nova.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "compute2"
    finally:
        nova.stop()


def test_deleting_a_shelved_server_deletes_its_snapshot(nova):
    sid = nova.boot()["id"]
    nova.action(sid, {"shelve": None})
    nova.wait(sid, "SHELVED_OFFLOADED")
    image_id = nova.store.instance(sid)["system_metadata"]["shelved_image_id"]
    assert nova.request("DELETE", f"/servers/{sid}").status_code == 204
    nova.wait(sid, None)
    assert image_id in nova.images.deleted and nova.networks.port_table == {}
