"""Probe: the cloud's data directory runs out of space. The cloud lives on a small tmpfs
(so this needs root, as CI has), a file fills what is left, and a learner's writes to every
service must fail cleanly: Glance 413 "storage media is full", Swift 507/503, every other
service an error in its own format that is not a 500; nothing half-made becomes visible.
Once the file is gone, the same writes work again.
"""

from __future__ import annotations

import errno
import os
import subprocess
import uuid

import pytest
import requests

from tests.livecloud import LiveCloud

ADMIN = "minicloud-admin"
TMPFS_SIZE = "96m"


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory):
    mount = tmp_path_factory.mktemp("small-disk")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs",
                             str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"this probe needs root to mount a tmpfs: {result.stderr.strip()}")
    cloud = LiveCloud(mount / "cloud")
    try:
        cloud.up()
        yield cloud, mount
    finally:
        cloud.down()
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path, leave: int = 0) -> None:
    """Write zeros until the file system says it is full, then give back `leave` bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 1 << 12, 1 << 9):  # big chunks, then the last crumbs
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)


class Writes:
    """One write per service, as raw HTTP so every status code is seen as it is."""

    def __init__(self, cloud: LiveCloud):
        sdk = cloud.sdk(ADMIN)
        self.sdk, self.token = sdk, sdk.auth_token
        self.base = cloud.config.base_url
        self.project = sdk.current_project_id
        self.object_url = sdk.object_store.get_endpoint()
        requests.put(f"{self.object_url}/full", headers=self.h(), timeout=10).raise_for_status()

    def h(self, **extra) -> dict:
        return {"X-Auth-Token": self.token, **extra}

    def keystone(self):
        return requests.post(self.base("identity") + "/v3/projects", headers=self.h(),
                             json={"project": {"name": f"p-{uuid.uuid4().hex[:8]}"}}, timeout=20)

    def nova(self):
        return requests.post(self.base("compute") + "/v2.1/flavors", headers=self.h(),
                             json={"flavor": {"name": f"f-{uuid.uuid4().hex[:8]}", "ram": 64,
                                              "vcpus": 1, "disk": 1}}, timeout=20)

    def neutron(self):
        return requests.post(self.base("network") + "/v2.0/networks", headers=self.h(),
                             json={"network": {"name": f"n-{uuid.uuid4().hex[:8]}"}}, timeout=20)

    def cinder(self):
        return requests.post(self.base("volume") + f"/v3/{self.project}/volumes",
                             headers=self.h(), json={"volume": {"size": 1}}, timeout=20)

    def glance(self):
        created = requests.post(self.base("image") + "/v2/images", headers=self.h(), json={
            "name": f"i-{uuid.uuid4().hex[:8]}", "disk_format": "raw",
            "container_format": "bare"}, timeout=20)
        if created.status_code != 201:
            return created
        self.last_image = created.json()["id"]
        return requests.put(self.base("image") + f"/v2/images/{self.last_image}/file",
                            headers=self.h(**{"Content-Type": "application/octet-stream"}),
                            data=os.urandom(4 << 20), timeout=30)

    def swift(self):
        self.last_object = f"o-{uuid.uuid4().hex[:8]}"
        return requests.put(f"{self.object_url}/full/{self.last_object}", headers=self.h(),
                            data=os.urandom(1 << 20), timeout=30)


SERVICES = ("keystone", "nova", "neutron", "cinder", "glance", "swift")
BIG_WRITES = {"glance": {413}, "swift": {507, 503}}  # 4 MiB of image, 3 x 1 MiB of object


def test_an_almost_full_disk_refuses_big_writes_only(small_disk):
    """Room for a database row, not for an image or three replicas of an object: Glance
    says its storage media is full (413), Swift has no quorum; records still work."""
    cloud, mount = small_disk
    writes = Writes(cloud)
    _fill(mount / "filler", leave=1 << 20)
    try:
        for service in SERVICES:
            response = getattr(writes, service)()
            wanted = BIG_WRITES.get(service, {200, 201, 202})
            assert response.status_code in wanted, (service, response.status_code,
                                                    response.text[:300])
        image = requests.get(writes.base("image") + f"/v2/images/{writes.last_image}",
                             headers=writes.h(), timeout=10).json()
        assert image["status"] == "queued", image  # the bytes did not fit: nothing kept
        assert requests.get(f"{writes.object_url}/full/{writes.last_object}",
                            headers=writes.h(), timeout=10).status_code == 404
    finally:
        (mount / "filler").unlink()


def test_a_full_disk_refuses_every_write_cleanly_then_recovers(small_disk):
    cloud, mount = small_disk
    writes = Writes(cloud)
    filler = mount / "filler"
    _fill(filler)
    for service in SERVICES:
        response = getattr(writes, service)()
        assert response.status_code in {507, *BIG_WRITES.get(service, ())}, (
            service, response.status_code, response.text[:300])
        if service != "swift":
            assert response.json(), service  # the service's own error format
    assert requests.get(f"{writes.object_url}/full/{writes.last_object}", headers=writes.h(),
                        timeout=10).status_code == 404

    filler.unlink()
    for service in SERVICES:
        response = getattr(writes, service)()
        assert response.status_code < 300, (service, response.status_code, response.text[:300])
    assert cloud.cli_json("image", "show", writes.last_image, cloud=ADMIN)["status"] == "active"
