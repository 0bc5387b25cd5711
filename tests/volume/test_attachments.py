"""The v3 attachments API Nova drives: reserve, connect, complete, delete, and the volume
status machine around it."""

import os

import pytest

from minicloud.compute.driver import DriverError, FakeDriver
from minicloud.topology import Topology
from tests.fakes import wait_for
from tests.volume.conftest import IMAGE_BYTES

CONNECTOR = {"host": "compute1", "mountpoint": "/dev/vdb", "initiator": None}


def _attach(caller, volume_id: str, server: str = "server-1") -> dict:
    created = caller.post("/attachments", json={"attachment": {"volume_id": volume_id,
                                                               "instance_uuid": server}})
    assert created.status_code == 200, created.text
    attachment = created.json["attachment"]
    assert attachment["status"] == "reserved"
    assert caller.volume(volume_id)["status"] == "reserved"
    updated = caller.put(f"/attachments/{attachment['id']}",
                         json={"attachment": {"connector": CONNECTOR}})
    assert updated.status_code == 200, updated.text
    assert caller.volume(volume_id)["status"] == "attaching"
    return updated.json["attachment"]


def test_attach_flow_and_volume_view(admin, demo, env):
    volume = demo.create_volume(name="v1")
    attachment = _attach(admin, volume["id"])
    info = attachment["connection_info"]
    assert info["driver_volume_type"] == "nfs"
    assert info["data"]["name"] == env.backend.path(volume["id"]).name
    done = admin.post(f"/attachments/{attachment['id']}/action", json={"os-complete": None})
    assert done.status_code == 204
    shown = demo.volume(volume["id"])
    assert shown["status"] == "in-use"
    item = shown["attachments"][0]
    # the compute host is for admins (and services) only, as in Cinder
    assert (item["server_id"], item["device"], item["host_name"]) == \
        ("server-1", "/dev/vdb", None)
    assert admin.volume(volume["id"])["attachments"][0]["host_name"] == "compute1"
    assert item["attachment_id"] == attachment["id"] and item["id"] == volume["id"]


def test_attached_volume_refuses_attach_and_delete(admin, demo):
    volume = demo.create_volume()
    attachment = _attach(admin, volume["id"])
    admin.post(f"/attachments/{attachment['id']}/action", json={"os-complete": None})
    again = admin.post("/attachments", json={"attachment": {"volume_id": volume["id"],
                                                            "instance_uuid": "server-2"}})
    assert again.status_code == 400 and "in-use" in again.json["badRequest"]["message"]
    refused = demo.delete(f"/volumes/{volume['id']}")
    assert refused.status_code == 400 and "attached" in refused.json["badRequest"]["message"]


def test_detach_flow(admin, demo):
    volume = demo.create_volume()
    attachment = _attach(admin, volume["id"])
    admin.post(f"/attachments/{attachment['id']}/action", json={"os-complete": None})
    begin = admin.post(f"/volumes/{volume['id']}/action", json={"os-begin_detaching": None})
    assert begin.status_code == 202 and demo.volume(volume["id"])["status"] == "detaching"
    gone = admin.delete(f"/attachments/{attachment['id']}")
    assert gone.status_code == 200 and gone.json["attachments"] == []
    shown = demo.volume(volume["id"])
    assert shown["status"] == "available" and shown["attachments"] == []
    assert demo.delete(f"/volumes/{volume['id']}").status_code == 202
    assert wait_for(lambda: demo.get(f"/volumes/{volume['id']}").status_code == 404)


def test_reserved_attachment_deleted_frees_the_volume(admin, demo):
    volume = demo.create_volume()
    created = admin.post("/attachments", json={"attachment": {"volume_id": volume["id"],
                                                              "instance_uuid": "s"}})
    admin.delete(f"/attachments/{created.json['attachment']['id']}")
    assert demo.volume(volume["id"])["status"] == "available"


def test_attachments_need_microversion_3_27(env, demo):
    volume = demo.create_volume()
    old = env.caller("demo", version="volume 3.0")
    result = old.post("/attachments", json={"attachment": {"volume_id": volume["id"]}})
    assert result.status_code == 404
    assert demo.volume(volume["id"])["status"] == "available"


def test_attachment_of_unknown_volume_is_404(admin):
    result = admin.post("/attachments", json={"attachment": {"volume_id": "nope"}})
    assert result.status_code == 404 and "itemNotFound" in result.json


def _fake_host(config, name="compute1") -> FakeDriver:
    return FakeDriver(name, 4, 4096, 40, state_path=config.path("compute", name))


def _server(driver: FakeDriver, name: str) -> dict:
    instance = {"id": f"id-{name}", "name": name,
                "flavor": {"ram": 512, "vcpus": 1, "disk": 1}}
    driver.spawn(instance, {"name": "cirros"}, [])
    return instance


def test_the_compute_host_reads_the_storage_nodes_file_through_the_share(admin, demo, env,
                                                                        config):
    """The export is the storage node's management address and its volumes directory; the
    compute host mounts it once under its own state dir and opens the very file
    cinder-volume wrote (a volume made from an image holds the image's bytes)."""
    volume = demo.create_volume(imageRef="img-1")
    info = _attach(admin, volume["id"])["connection_info"]
    storage1 = Topology.from_config(config).place("storage1", "storage")
    server, directory = info["data"]["export"].split(":", 1)
    assert server == storage1.address("management") == "10.0.0.41"
    assert directory == str(env.backend.root) and info["data"]["format"] == "raw"
    driver = _fake_host(config)
    instance = _server(driver, "vm1")
    driver.attach_volume(instance, volume["id"], "/dev/vdb", info)
    mount = config.path("compute", "compute1", "mnt") / os.listdir(
        config.path("compute", "compute1", "mnt"))[0]
    disk = mount / f"volume-{volume['id']}"
    assert f"virtio_blk: new disk /dev/vdb (backed by {disk})" in \
        driver.get_console_output(instance)
    assert disk.samefile(env.backend.path(volume["id"]))
    with open(disk, "rb") as f:
        assert f.read(len(IMAGE_BYTES)) == IMAGE_BYTES
    # a second volume of the same share: the same mount, used again
    other = demo.create_volume()
    driver.attach_volume(instance, other["id"], "/dev/vdc",
                         _attach(admin, other["id"])["connection_info"])
    assert os.listdir(mount.parent) == [mount.name]
    assert f"backed by {mount / ('volume-' + other['id'])}" in driver.get_console_output(instance)


def test_a_share_without_the_volume_or_an_unknown_kind_is_a_driver_error(admin, demo,
                                                                        config):
    volume = demo.create_volume()
    info = _attach(admin, volume["id"])["connection_info"]
    driver = _fake_host(config)
    instance = _server(driver, "vm1")
    with pytest.raises(DriverError, match="Could not find a handler for iscsi volume"):
        driver.attach_volume(instance, volume["id"], "/dev/vdb",
                             {"driver_volume_type": "iscsi", "data": {}})
    missing = {**info, "data": {**info["data"], "name": "volume-gone"}}
    with pytest.raises(DriverError, match="volume-gone"):
        driver.attach_volume(instance, volume["id"], "/dev/vdb", missing)
    assert driver.vms[instance["id"]].volumes == {}
