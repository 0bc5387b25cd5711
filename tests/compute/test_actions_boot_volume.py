"""Boot from volume (block_device_mapping_v2 on create), with Cinder as a small fake:
an existing volume is reserved by nova-api and attached by the host; an image -> volume
mapping makes the host create the volume with the user's token; delete_on_termination is
honoured; bad mappings are 400."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest

from minicloud.common.clients import ServiceError
from tests.compute.conftest import Nova
from tests.compute.fakes import with_glance_writes


class FakeVolumes:
    """Cinder as clients.VolumeClient shows it: volumes and attachments in dictionaries,
    each volume a file in `share`, exported as Cinder's NFS driver would."""

    def __init__(self, share):
        self.share, self.export = share, f"10.0.0.41:{share}"
        share.mkdir(parents=True, exist_ok=True)
        self.volumes: dict[str, dict] = {}
        self.attachments: dict[str, dict] = {}
        self.tokens: list = []
        self.snapshots: dict[str, dict] = {}
        self._polls = itertools.count()

    def add(self, **fields) -> dict:
        volume = {"id": str(uuid.uuid4()), "status": "available", "size": 1, **fields}
        self.volumes[volume["id"]] = volume
        (self.share / f"volume-{volume['id']}").write_bytes(b"")
        return volume

    def get(self, volume_id, token=None):
        if volume_id not in self.volumes:
            raise ServiceError(404, f"Volume {volume_id} could not be found.")
        volume = self.volumes[volume_id]
        if volume["status"] == "creating" and next(self._polls) % 2:
            volume["status"] = "available"  # Cinder finishes after a poll or two
        return dict(volume)

    def create(self, token=None, **fields):
        self.tokens.append(token)
        return dict(self.add(status="creating", **fields))

    def snapshot_create(self, volume_id, name, token=None):
        snap = {"id": str(uuid.uuid4()), "volume_id": volume_id, "name": name,
                "size": self.volumes[volume_id]["size"], "status": "creating"}
        self.snapshots[snap["id"]] = snap
        return dict(snap)

    def delete(self, volume_id):
        self.volumes.pop(volume_id, None)

    def attachment_create(self, volume_id, instance_id):
        attachment = {"id": str(uuid.uuid4()), "volume_id": volume_id,
                      "instance": instance_id}
        self.attachments[attachment["id"]] = attachment
        self.volumes[volume_id]["status"] = "reserved"
        return attachment

    def attachment_update(self, attachment_id, connector):
        self.attachments[attachment_id]["connector"] = connector
        attachment = self.attachments[attachment_id]
        return {**attachment, "connection_info": {"driver_volume_type": "nfs", "data": {
            "export": self.export, "name": f"volume-{attachment['volume_id']}",
            "options": None, "format": "raw"}}}

    def attachment_complete(self, attachment_id):
        self.volumes[self.attachments[attachment_id]["volume_id"]]["status"] = "in-use"

    def attachment_delete(self, attachment_id):
        attachment = self.attachments.pop(attachment_id, None)
        if attachment and attachment["volume_id"] in self.volumes:
            self.volumes[attachment["volume_id"]]["status"] = "available"


@pytest.fixture
def nova(tmp_path):
    service = Nova(tmp_path)
    service.volumes = FakeVolumes(tmp_path / "storage" / "storage1" / "cinder-volumes")
    service.api.volumes = service.volumes
    for host in service.hosts.values():
        host.manager.volumes = service.volumes
    yield service
    service.stop()


def bfv(nova, mapping, name="bfv", token="demo", wait="ACTIVE"):
    body = {"name": name, "flavorRef": "1", "imageRef": "",
            "networks": [{"uuid": nova.networks.private["id"]}],
            "block_device_mapping_v2": [mapping]}
    r = nova.request("POST", "/servers", token, {"server": body})
    if wait is None:
        return r
    assert r.status_code == 202, r.text
    return nova.wait(r.json["server"]["id"], wait)


def test_boot_from_an_existing_volume(nova):
    volume = nova.volumes.add(volume_image_metadata={"image_id": nova.images.cirros["id"]})
    server = bfv(nova, {"boot_index": 0, "uuid": volume["id"], "source_type": "volume",
                        "destination_type": "volume"})
    assert server["image"] == ""
    assert server["os-extended-volumes:volumes_attached"] == [
        {"id": volume["id"], "delete_on_termination": False}]
    assert nova.volumes.volumes[volume["id"]]["status"] == "in-use"
    [attachment] = nova.volumes.attachments.values()
    assert attachment["connector"]["host"] == nova.server(server["id"])["OS-EXT-SRV-ATTR:host"]
    assert attachment["connector"]["mountpoint"] == "/dev/vda"
    console = nova.action(server["id"], {"os-getConsoleOutput": {}}).json["output"]
    assert f"root=/dev/vda (volume {volume['id']})" in console
    host = nova.hosts[nova.server(server["id"])["OS-EXT-SRV-ATTR:host"]]
    disk = host.driver.mounts.mount_point(nova.volumes.export) / f"volume-{volume['id']}"
    assert f"disk /dev/vda is {disk}" in console and disk.exists()
    # rebuild only with the volume's own image
    r = nova.action(server["id"], {"rebuild": {"imageRef": nova.images.add()["id"]}})
    assert r.status_code == 400 and "volume-backed" in r.json["badRequest"]["message"]
    nova.request("DELETE", f"/servers/{server['id']}")
    nova.wait(server["id"], None)
    assert nova.volumes.volumes[volume["id"]]["status"] == "available"


def test_boot_from_a_volume_made_from_an_image_and_deleted_with_the_server(nova):
    server = bfv(nova, {"boot_index": "0", "uuid": nova.images.cirros["id"],
                        "source_type": "image", "destination_type": "volume",
                        "volume_size": 1, "delete_on_termination": True})
    [volume] = nova.volumes.volumes.values()
    assert volume["imageRef"] == nova.images.cirros["id"] and volume["size"] == 1
    assert nova.volumes.tokens == ["demo"]  # created with the user's token
    assert volume["status"] == "in-use"
    assert server["os-extended-volumes:volumes_attached"] == [
        {"id": volume["id"], "delete_on_termination": True}]
    nova.request("DELETE", f"/servers/{server['id']}")
    nova.wait(server["id"], None)
    assert nova.volumes.volumes == {}


def test_bad_block_device_mappings_are_400(nova):
    in_use = nova.volumes.add(status="in-use")
    image = nova.images.cirros["id"]
    cases = [
        {"boot_index": 0, "uuid": "nope", "source_type": "volume", "destination_type": "volume"},
        {"boot_index": 0, "uuid": in_use["id"], "source_type": "volume",
         "destination_type": "volume"},
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume"},
        {"boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume",
         "volume_size": 0},
        {"boot_index": 0, "source_type": "blank", "destination_type": "volume",
         "volume_size": 1},
        {"boot_index": 0, "uuid": "nope", "source_type": "image",
         "destination_type": "volume", "volume_size": 1},
    ]
    for mapping in cases:
        r = bfv(nova, mapping, wait=None)
        assert r.status_code == 400 and "badRequest" in r.json, (mapping, r.text)
    assert nova.request("GET", "/servers", "demo").json["servers"] == []


def test_a_volume_attached_while_shelved_offloaded_is_connected_at_unshelve(nova):
    with_glance_writes(nova)
    sid = nova.boot()["id"]
    nova.action(sid, {"shelve": None})
    nova.wait(sid, "SHELVED_OFFLOADED")
    volume, spare = nova.volumes.add(), nova.volumes.add()
    for vol in (volume, spare):
        r = nova.request("POST", f"/servers/{sid}/os-volume_attachments", "demo",
                         {"volumeAttachment": {"volumeId": vol["id"]}})
        assert r.status_code == 200, r.text
    assert nova.volumes.volumes[volume["id"]]["status"] == "reserved"  # no host to connect
    r = nova.request("DELETE", f"/servers/{sid}/os-volume_attachments/{spare['id']}", "demo")
    assert r.status_code == 202 and nova.volumes.volumes[spare["id"]]["status"] == "available"
    nova.action(sid, {"unshelve": None})
    host = nova.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    assert nova.volumes.volumes[volume["id"]]["status"] == "in-use"
    [attachment] = nova.volumes.attachments.values()
    assert attachment["connector"]["host"] == host


def test_create_image_of_a_volume_backed_server_and_boot_it(nova):
    with_glance_writes(nova)
    volume = nova.volumes.add(size=2)
    server = bfv(nova, {"boot_index": 0, "uuid": volume["id"], "source_type": "volume",
                        "destination_type": "volume"})
    r = nova.action(server["id"], {"createImage": {"name": "bfv-snap"}})
    assert r.status_code == 202, r.text
    image = nova.images.images[r.json["image_id"]]
    [snap] = nova.volumes.snapshots.values()
    assert snap["volume_id"] == volume["id"]
    assert (image["status"], image["size"], image["bdm_v2"]) == ("active", 0, "True")
    assert nova.images.created[0]["token"] == "demo"
    [mapping] = json.loads(image["block_device_mapping"])
    assert (mapping["source_type"], mapping["snapshot_id"], mapping["boot_index"],
            mapping["volume_size"]) == ("snapshot", snap["id"], 0, 2)
    # booting the image boots from a new volume made from the snapshot
    booted = nova.boot("from-bfv-snap", imageRef=image["id"])
    assert booted["image"] == ""
    [attached] = booted["os-extended-volumes:volumes_attached"]
    new = nova.volumes.volumes[attached["id"]]
    assert new["snapshot_id"] == snap["id"] and new["size"] == 2 and new["status"] == "in-use"
