"""Nova's side of attaching volumes: os-volume_attachments in nova-api, the compute host
driving Cinder's attachments API (a fake Cinder here), the device names and the
microversioned views; a deleted server gives its volumes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from minicloud.common.clients import ServiceError
from minicloud.compute.volume_attachments import next_device
from tests.fakes import wait_for

VOL1, VOL2 = "5e7b0b7e-0000-4000-8000-000000000001", "5e7b0b7e-0000-4000-8000-000000000002"


class FakeCinder:
    """Cinder's attachments API, in memory, recording the calls in order; the volumes'
    files are in `share`, which it exports as Cinder's NFS driver would."""

    def __init__(self, share: Path):
        self.volumes = {VOL1: "available", VOL2: "available"}
        self.attachments: dict[str, str] = {}
        self.calls: list[str] = []
        self.share, self.export = share, f"10.0.0.41:{share}"
        self.kind = "nfs"  # the driver_volume_type attachment_update answers
        share.mkdir(parents=True)
        for volume_id in self.volumes:
            (share / f"volume-{volume_id}").write_bytes(volume_id.encode())

    def get(self, volume_id, token=None):
        self.calls.append("get")
        if volume_id not in self.volumes:
            raise ServiceError(404, f"Volume {volume_id} could not be found.")
        return {"id": volume_id, "status": self.volumes[volume_id]}

    def attachment_create(self, volume_id, instance_id):
        self.calls.append("create")
        if self.volumes[volume_id] != "available":
            raise ServiceError(400, f"Invalid volume: Volume {volume_id} status must be "
                                    f"available")
        self.volumes[volume_id] = "reserved"
        attachment_id = f"att-{volume_id}"
        self.attachments[attachment_id] = volume_id
        return {"id": attachment_id}

    def attachment_update(self, attachment_id, connector):
        self.calls.append(f"update {connector['host']} {connector['mountpoint']}")
        volume_id = self.attachments[attachment_id]
        self.volumes[volume_id] = "attaching"
        return {"connection_info": {"driver_volume_type": self.kind,
                                    "data": {"export": self.export, "options": None,
                                             "name": f"volume-{volume_id}", "format": "raw"}}}

    def attachment_complete(self, attachment_id):
        self.calls.append("complete")
        self.volumes[self.attachments[attachment_id]] = "in-use"

    def attachment_delete(self, attachment_id):
        self.calls.append("delete")
        volume_id = self.attachments.pop(attachment_id, None)
        if volume_id:
            self.volumes[volume_id] = "available"

    def begin_detaching(self, volume_id):
        self.calls.append("begin_detaching")
        self.volumes[volume_id] = "detaching"

    def delete(self, volume_id):
        self.calls.append("delete volume")
        self.volumes.pop(volume_id)


@pytest.fixture
def cinder(nova) -> FakeCinder:
    fake = FakeCinder(nova.config.path("storage", "storage1", "cinder-volumes"))
    nova.api.volumes = fake
    for host in nova.hosts.values():
        host.manager.volumes = fake
    return fake


def attach(nova, server_id, volume_id, version="2.96", **extra):
    return nova.request("POST", f"/servers/{server_id}/os-volume_attachments",
                        json={"volumeAttachment": {"volumeId": volume_id, "device": None,
                                                   **extra}}, version=version)


def test_next_device_skips_the_root_disk_and_used_names():
    assert next_device([], None) == "/dev/vdb"
    assert next_device([{"device_name": "/dev/vdb"}], None) == "/dev/vdc"
    assert next_device([], "/dev/vdf") == "/dev/vdf"


def test_attach_drives_cinder_and_the_driver(nova, cinder):
    server = nova.boot()
    result = attach(nova, server["id"], VOL1)
    assert result.status_code == 200, result.text
    body = result.json["volumeAttachment"]
    assert (body["id"], body["serverId"], body["device"]) == (VOL1, server["id"], "/dev/vdb")
    assert body["tag"] is None and body["delete_on_termination"] is False
    assert wait_for(lambda: cinder.volumes[VOL1] == "in-use")
    host = nova.server(server["id"])["OS-EXT-SRV-ATTR:host"]
    assert cinder.calls == ["get", "create", f"update {host} /dev/vdb", "complete"]
    driver = nova.hosts[host].driver
    assert driver.vms[server["id"]].volumes == {VOL1: "/dev/vdb"}
    disk = driver.mounts.mount_point(cinder.export) / f"volume-{VOL1}"
    assert f"backed by {disk}" in driver.get_console_output({"id": server["id"]})
    assert disk.read_bytes() == VOL1.encode()  # the share's file, through the mount
    shown = nova.server(server["id"])
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": VOL1, "delete_on_termination": False}]
    assert attach(nova, server["id"], VOL2).json["volumeAttachment"]["device"] == "/dev/vdc"


def test_attach_errors(nova, cinder):
    server = nova.boot()
    unknown = "5e7b0b7e-0000-4000-8000-0000000000ff"
    assert attach(nova, server["id"], unknown).status_code == 404
    for bad in ("nope", "x" * 100_000):  # not a UUID: 400 before Cinder is asked
        r = attach(nova, server["id"], bad)
        assert r.status_code == 400 and "volumeId" in r.json["badRequest"]["message"]
    huge = attach(nova, server["id"], "x" * (1 << 20))  # past the 112 KiB request limit
    assert huge.status_code == 413 and "overLimit" in huge.json
    r = attach(nova, server["id"], VOL1, version="2.48", tag="t")  # tag needs 2.49
    assert r.status_code == 400
    r = attach(nova, server["id"], VOL1, version="2.78", delete_on_termination=True)
    assert r.status_code == 400
    attach(nova, server["id"], VOL1)
    again = attach(nova, server["id"], VOL1)
    assert again.status_code == 400 and "already attached" in again.json["badRequest"]["message"]
    other = nova.boot("vm2")
    assert wait_for(lambda: cinder.volumes[VOL1] == "in-use")
    taken = attach(nova, other["id"], VOL1)
    assert taken.status_code == 400 and "Invalid volume" in taken.json["badRequest"]["message"]


def test_views_follow_the_microversion(nova, cinder):
    server = nova.boot()
    attach(nova, server["id"], VOL1, delete_on_termination=True)
    path = f"/servers/{server['id']}/os-volume_attachments"
    old = nova.request("GET", path, version="2.1").json["volumeAttachments"][0]
    assert set(old) == {"id", "serverId", "volumeId", "device"}
    new = nova.request("GET", path, version="2.89").json["volumeAttachments"][0]
    assert "id" not in new and new["attachment_id"] == f"att-{VOL1}" and new["bdm_uuid"]
    assert new["delete_on_termination"] is True
    one = nova.request("GET", f"{path}/{VOL1}", version="2.79").json["volumeAttachment"]
    assert one["device"] == "/dev/vdb"
    assert nova.request("GET", f"{path}/{VOL2}").status_code == 404


def test_detach_and_delete_give_the_volumes_back(nova, cinder):
    server = nova.boot()
    attach(nova, server["id"], VOL1)
    attach(nova, server["id"], VOL2, delete_on_termination=True)
    assert wait_for(lambda: cinder.volumes.get(VOL2) == "in-use")
    gone = nova.request("DELETE", f"/servers/{server['id']}/os-volume_attachments/{VOL1}")
    assert gone.status_code == 202
    assert wait_for(lambda: cinder.volumes[VOL1] == "available")
    assert wait_for(lambda: len(nova.server(server["id"])["os-extended-volumes:volumes_attached"])
                    == 1)
    assert "begin_detaching" in cinder.calls
    assert nova.request("DELETE", f"/servers/{server['id']}").status_code == 204
    nova.wait(server["id"], None)
    assert wait_for(lambda: VOL2 not in cinder.volumes)  # delete_on_termination
    assert cinder.attachments == {}


def test_a_volume_of_a_kind_the_host_cannot_connect_fails_the_attach(nova, cinder):
    """An iSCSI target (no connector for it on this host): the attach fails with a clear
    event, the mapping goes and the volume is available again; no 500 anywhere."""
    server = nova.boot()
    cinder.kind = "iscsi"
    result = attach(nova, server["id"], VOL1)
    assert result.status_code == 200, result.text
    assert wait_for(lambda: cinder.volumes[VOL1] == "available")
    actions = nova.request("GET", f"/servers/{server['id']}/os-instance-actions").json
    action = next(a for a in actions["instanceActions"] if a["action"] == "attach_volume")
    path = f"/servers/{server['id']}/os-instance-actions/{action['request_id']}"

    def attach_event():
        events = nova.request("GET", path, token="admin").json["instanceAction"]["events"]
        return next((e for e in events if e["event"] == "compute_attach_volume"), None)

    event = wait_for(attach_event)
    assert event and event["result"] == "Error"
    assert nova.server(server["id"])["os-extended-volumes:volumes_attached"] == []
    assert "Could not find a handler for iscsi volume" in str(event.get("details"))
    assert nova.server(server["id"])["status"] == "ACTIVE"
