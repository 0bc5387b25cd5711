"""The server actions learners type, through the real `openstack` CLI (and openstacksdk for
breadth) on a live cloud: lock/unlock, rebuild, resize + confirm/revert, image create (and
booting the snapshot), shelve/unshelve, add/remove port and network, and boot from volume
(an existing volume, and a volume Nova makes from an image). Every server made here is
deleted again: the cloud is shared with the other functional modules."""

from __future__ import annotations

import json

import pytest

from tests.fakes import wait_for
from tests.livecloud import minicloud

ADMIN = "minicloud-admin"


def cli_json_wait(cloud, *args):
    """`--wait` prints "Complete" before the JSON document."""
    out = cloud.cli(*args, "-f", "json").stdout
    return json.loads(out[out.index("{"):])


def show(cloud, name, cloud_name="minicloud"):
    return cloud.cli_json("server", "show", name, cloud=cloud_name)


@pytest.fixture(scope="module")
def avm(cloud):
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "avm")
    yield server
    cloud.cli("server", "unlock", server["id"], cloud=ADMIN, check=False)
    cloud.cli("server", "delete", "--wait", server["id"], check=False)


def test_lock_and_unlock(cloud, avm):
    cloud.cli("server", "lock", "--reason", "exam in progress", "avm")
    shown = show(cloud, "avm")
    assert shown["locked"] is True and shown["locked_reason"] == "exam in progress"
    refused = cloud.cli("server", "delete", "avm", check=False)
    assert refused.returncode != 0 and "is locked" in refused.stderr
    refused = cloud.cli("server", "stop", "avm", check=False)
    assert refused.returncode != 0 and "409" in refused.stderr
    cloud.cli("server", "unlock", "avm")
    assert show(cloud, "avm")["locked"] is False
    actions = [e["Action"] for e in cloud.cli_json("server", "event", "list", "avm")]
    assert actions[:2] == ["unlock", "lock"]


def test_rebuild_with_a_new_password_and_property(cloud, avm):
    rebuilt = cli_json_wait(cloud, "server", "rebuild", "--image", "cirros", "--password", "pw1",
                             "--property", "role=web", "--wait", "avm")
    assert rebuilt["adminPass"] == "pw1"
    shown = show(cloud, "avm")
    assert shown["status"] == "ACTIVE" and shown["properties"] == {"role": "web"}
    assert "rebuild" in [e["Action"] for e in cloud.cli_json("server", "event", "list", "avm")]


def test_resize_confirm_then_resize_revert(cloud, avm):
    admin = cloud.sdk(ADMIN)
    source = admin.compute.get_server(avm["id"]).compute_host
    cloud.cli("server", "resize", "--flavor", "m1.small", "--wait", "avm")
    server = admin.compute.get_server(avm["id"])
    assert server.status == "VERIFY_RESIZE" and server.compute_host != source
    trace = minicloud("trace", "last", home=cloud.home).stdout
    for hop in ("nova-api -) nova-conductor", "nova-conductor -> nova-scheduler",
                "compute.finish_resize"):
        assert hop in trace, hop
    cloud.cli("server", "resize", "confirm", "avm")
    assert wait_for(lambda: show(cloud, "avm")["status"] == "ACTIVE",
                    timeout=30.0, interval=0.1), "ACTIVE after confirm"
    assert show(cloud, "avm")["flavor"]["name"] == "m1.small"
    cloud.cli("server", "resize", "--flavor", "m1.medium", "--wait", "avm")
    cloud.cli("server", "resize", "revert", "avm")
    assert wait_for(lambda: show(cloud, "avm")["status"] == "ACTIVE",
                    timeout=30.0, interval=0.1), "ACTIVE after revert"
    assert show(cloud, "avm")["flavor"]["name"] == "m1.small"
    smaller = cloud.cli("server", "resize", "--flavor", "m1.tiny", "avm", check=False)
    assert smaller.returncode != 0 and "resize disk down" in smaller.stderr


def test_image_create_makes_a_bootable_snapshot(cloud, avm):
    image = cloud.cli_json("server", "image", "create", "--name", "avm-snap", "--wait", "avm")
    assert image["status"] == "active" and image["visibility"] == "private"
    assert image["properties"]["image_type"] == "snapshot"
    assert image["properties"]["instance_uuid"] == avm["id"]
    assert image["owner"] == cloud.sdk().current_project_id  # the user's, not nova's
    booted = cloud.cli_json("server", "create", "--image", "avm-snap", "--flavor", "m1.small",
                            "--network", "private", "--wait", "from-snap")
    assert booted["status"] == "ACTIVE" and booted["image"].startswith("avm-snap")
    cloud.cli("server", "delete", "--wait", "from-snap")
    cloud.cli("image", "delete", "avm-snap")


def test_shelve_and_unshelve(cloud, avm):
    cloud.cli("server", "shelve", "--wait", "avm")
    shelved = show(cloud, avm["id"], ADMIN)
    assert shelved["status"] == "SHELVED_OFFLOADED"
    assert shelved["OS-EXT-SRV-ATTR:host"] is None and shelved["addresses"]["private"]
    assert "avm-shelved" in [i["Name"] for i in cloud.cli_json("image", "list")]
    cloud.cli("server", "unshelve", "--wait", "avm")
    back = show(cloud, avm["id"], ADMIN)
    assert back["status"] == "ACTIVE" and back["OS-EXT-SRV-ATTR:host"]
    images = lambda: [i["Name"] for i in cloud.cli_json("image", "list")]  # noqa: E731
    assert wait_for(lambda: "avm-shelved" not in images(), timeout=30.0, interval=0.1), \
        "the shelved image deleted"
    [port] = cloud.sdk(ADMIN).network.ports(device_id=avm["id"])
    assert port.binding_host_id == back["OS-EXT-SRV-ATTR:host"]


def test_add_and_remove_port_and_network(cloud, avm):
    cloud.cli_json("port", "create", "--network", "private", "avm-extra")
    cloud.cli("server", "add", "port", "avm", "avm-extra")
    attached = cloud.cli_json("port", "show", "avm-extra", cloud=ADMIN)
    host = show(cloud, avm["id"], ADMIN)["OS-EXT-SRV-ATTR:host"]
    assert attached["device_id"] == avm["id"] and attached["device_owner"] == "compute:nova"
    assert attached["binding_host_id"] == host
    before = {p["ID"] for p in cloud.cli_json("port", "list", "--server", "avm")}
    cloud.cli("server", "add", "network", "avm", "private")
    after = {p["ID"] for p in cloud.cli_json("port", "list", "--server", "avm")}
    [added] = after - before
    assert len(after) == 3
    cloud.cli("server", "remove", "port", "avm", "avm-extra")
    assert wait_for(lambda: cloud.cli_json("port", "show", "avm-extra")["device_id"] == "",
                    timeout=30.0, interval=0.1), "the port given back"
    cloud.cli("server", "remove", "port", "avm", added)
    assert wait_for(lambda: len(cloud.cli_json("port", "list", "--server", "avm")) == 1,
                    timeout=30.0, interval=0.1), "Nova's port deleted"
    cloud.cli("port", "delete", "avm-extra")


def _wait_volume(conn, volume_id, status):
    assert wait_for(lambda: conn.block_storage.get_volume(volume_id).status == status,
                    timeout=30.0, interval=0.1), f"volume {status}"


def test_boot_from_an_existing_volume(cloud):
    conn = cloud.sdk()
    volume = cloud.cli_json("volume", "create", "--image", "cirros", "--size", "1", "bootvol")
    _wait_volume(conn, volume["id"], "available")
    server = cloud.cli_json("server", "create", "--volume", "bootvol", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "bfv1")
    assert server["status"] == "ACTIVE" and server["image"] == "N/A (booted from volume)"
    assert [v["id"] for v in server["volumes_attached"]] == [volume["id"]]
    shown = cloud.cli_json("volume", "show", "bootvol")
    assert shown["status"] == "in-use"
    assert shown["attachments"][0]["server_id"] == server["id"]
    assert shown["attachments"][0]["device"] == "/dev/vda"
    # its snapshot: a Cinder snapshot and an image without bytes that boots from it
    image = cli_json_wait(cloud, "server", "image", "create", "--name", "bfv-snap", "--wait",
                          "bfv1")
    assert image["status"] == "active" and image["size"] == 0
    assert image["properties"]["bdm_v2"] == "True"
    [snap] = conn.block_storage.snapshots(volume_id=volume["id"])
    assert wait_for(lambda: conn.block_storage.get_snapshot(snap.id).status == "available",
                    timeout=30.0, interval=0.1), "the snapshot available"
    again = cloud.cli_json("server", "create", "--image", "bfv-snap", "--flavor", "m1.tiny",
                           "--network", "private", "--wait", "bfv1b")
    [copy] = again["volumes_attached"]
    assert conn.block_storage.get_volume(copy["id"]).snapshot_id == snap.id
    for name in ("bfv1", "bfv1b"):
        cloud.cli("server", "delete", "--wait", name)
    _wait_volume(conn, volume["id"], "available")  # kept: delete_on_termination false
    _wait_volume(conn, copy["id"], "available")
    cloud.cli("volume", "delete", copy["id"])
    cloud.cli("image", "delete", "bfv-snap")
    cloud.cli("volume", "snapshot", "delete", snap.id)
    assert wait_for(lambda: conn.block_storage.find_snapshot(snap.id) is None,
                    timeout=30.0, interval=0.1), "snapshot gone"
    cloud.cli("volume", "delete", "bootvol")


def test_boot_from_volume_nova_creates_from_the_image(cloud):
    conn = cloud.sdk()
    server = cloud.cli_json("server", "create", "--image", "cirros", "--boot-from-volume",
                            "1", "--flavor", "m1.tiny", "--network", "private", "--wait",
                            "bfv2")
    [attached] = server["volumes_attached"]
    volume = conn.block_storage.get_volume(attached["id"])
    assert volume.status == "in-use" and volume.size == 1 and volume.is_bootable
    assert volume.project_id == conn.current_project_id  # made with the user's token
    cloud.cli("server", "delete", "--wait", "bfv2")
    _wait_volume(conn, volume.id, "available")
    conn.block_storage.delete_volume(volume.id)


def test_boot_from_volume_delete_on_termination_with_the_sdk(cloud):
    conn = cloud.sdk()
    image = conn.image.find_image("cirros")
    network = conn.network.find_network("private")
    server = conn.compute.create_server(
        name="bfv3", flavor_id="1", networks=[{"uuid": network.id}],
        block_device_mapping=[{"boot_index": 0, "uuid": image.id, "source_type": "image",
                               "destination_type": "volume", "volume_size": 1,
                               "delete_on_termination": True}])
    server = conn.compute.wait_for_server(server, interval=0.2, wait=60)
    [attached] = server.attached_volumes
    assert attached["delete_on_termination"] is True
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)
    assert wait_for(lambda: conn.block_storage.find_volume(attached["id"]) is None,
                    timeout=30.0, interval=0.1), "the boot volume deleted with its server"


def test_server_actions_with_the_sdk(cloud):
    conn = cloud.sdk()
    image = conn.image.find_image("cirros")
    network = conn.network.find_network("private")
    server = conn.compute.create_server(name="sdkvm", image_id=image.id, flavor_id="1",
                                        networks=[{"uuid": network.id}])
    server = conn.compute.wait_for_server(server, interval=0.2, wait=60)
    conn.compute.lock_server(server, locked_reason="sdk")
    assert conn.compute.get_server(server).is_locked is True
    conn.compute.unlock_server(server)
    interface = conn.compute.create_server_interface(server, net_id=network.id)
    assert interface.net_id == network.id and interface.port_state
    assert len(list(conn.compute.server_interfaces(server))) == 2
    conn.compute.delete_server_interface(interface, server=server)
    assert wait_for(lambda: len(list(conn.compute.server_interfaces(server))) == 1,
                    timeout=30.0, interval=0.1), "the interface detached"
    image_id = conn.compute.create_server_image(server, "sdk-snap", wait=True, timeout=60).id
    assert conn.image.get_image(image_id).status == "active"
    conn.compute.rebuild_server(server, image=image_id, admin_password="pw2")
    server = conn.compute.wait_for_server(conn.compute.get_server(server), interval=0.2,
                                          wait=60)
    assert server.image.id == image_id
    conn.compute.shelve_server(server)
    conn.compute.wait_for_server(server, status="SHELVED_OFFLOADED", interval=0.2, wait=60)
    conn.compute.unshelve_server(server)
    conn.compute.wait_for_server(server, status="ACTIVE", interval=0.2, wait=60)
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.2, wait=60)
    conn.image.delete_image(image_id)
