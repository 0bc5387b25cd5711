"""Fixtures for Cinder unit tests: cinder-api's app with cinder-scheduler and the
cinder-volume of `storage1` on a memory bus (files in a temp directory), called through
falcon's TestClient with fixed tokens (a fake validator, no Keystone) and a fake Glance."""

from __future__ import annotations

import pytest
from falcon import testing

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.config import Config
from minicloud.topology import Topology
from minicloud.volume import api, types
from minicloud.volume.backend import FileBackend
from minicloud.common.clients import ServiceError
from minicloud.volume.core import SCHEDULER_TOPIC, Cinder
from minicloud.volume.manager import VolumeManager, VolumeNode
from minicloud.volume.reports import start_reports
from minicloud.volume.scheduler import SchedulerManager
from minicloud.volume.store import VolumeStore
from tests import fakes
from tests.fakes import USERS, fake_validator, wait_for

IMAGE = {"id": "img-1", "name": "cirros", "status": "active", "size": 3 * 1024 * 1024,
         "min_disk": 0, "disk_format": "qcow2", "container_format": "bare"}
IMAGE_BYTES = b"QFI\xfb" + b"x" * (3 * 1024 * 1024 - 4)


class FakeGlance:
    images = {IMAGE["id"]: (IMAGE, IMAGE_BYTES),
              "img-big": ({**IMAGE, "id": "img-big", "size": 3 * 1024**3}, b""),
              "img-queued": ({**IMAGE, "id": "img-queued", "status": "queued"}, b"")}

    def get(self, image_id, token=None):
        if image_id not in self.images:
            raise ServiceError(404, "no such image")
        return self.images[image_id][0]

    def download(self, image_id, token=None):
        data = self.images[image_id][1]
        for i in range(0, len(data), 1024 * 1024):
            yield data[i:i + 1024 * 1024]


class Caller(fakes.Caller):
    """The shared Caller under `/v3/{project}` (paths are relative to it; `raw_path=True`
    sends one as given), with a microversion header unless `version` is None."""

    def __init__(self, client: testing.TestClient, token: str | None, project: str | None,
                 version: str | None = "volume 3.70"):
        super().__init__(client, token, {"OpenStack-API-Version": version} if version else {})
        self.project = project

    def url(self, path: str) -> str:
        return f"/v3/{self.project}{path}" if self.project else f"/v3{path}"

    def request(self, method, path, *, raw_path=False, **kw):
        if raw_path:  # the shared Caller sends a path as it is given
            return fakes.Caller(self.client, self.token, self.headers).request(method, path, **kw)
        return super().request(method, path, **kw)

    def volume(self, volume_id: str) -> dict:
        return self.get(f"/volumes/{volume_id}").json["volume"]

    def create_volume(self, wait: str | None = "available", **fields) -> dict:
        result = self.post("/volumes", json={"volume": {"size": 1, **fields}})
        assert result.status_code == 202, result.text
        volume = result.json["volume"]
        if wait:
            assert wait_for(lambda: self.volume(volume["id"])["status"] == wait), \
                self.volume(volume["id"])
        return self.volume(volume["id"]) if wait else volume


class Env:
    def __init__(self, cinder, client, backend, scheduler):
        self.cinder, self.client, self.backend, self.scheduler = cinder, client, backend, scheduler
        self.store = cinder.store

    def caller(self, who: str | None, project: bool = True, **kw) -> Caller:
        return Caller(self.client, who, USERS[who]["project_id"] if who and project else None,
                      **kw)


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(home=tmp_path, volume_backend_capacity_gb=100)


@pytest.fixture
def env(config):
    transport = rpc.get_transport("memory://")
    cinder = Cinder(config, VolumeStore(config.path("volume.db")), transport,
                    images=FakeGlance())
    types.bootstrap(cinder)
    scheduler = SchedulerManager(transport)
    parts = [start_reports(cinder, transport),
             rpc.RPCServer(transport, SCHEDULER_TOPIC, "controller", [scheduler],
                           workers=config.scheduler_workers).start()]
    storage1 = Topology.from_config(config).place("storage1", "storage")
    backend = FileBackend(config.path("storage1", "volumes"), config.volume_backend_capacity_gb,
                          address=storage1.address("management"))
    node = VolumeNode(VolumeManager("storage1", backend, transport, images=FakeGlance()),
                      transport, report_interval=60, workers=config.volume_workers).start()
    app = api.create_app(cinder, Tracer(), fake_validator)
    yield Env(cinder, testing.TestClient(app), backend, scheduler)
    node.stop()
    for part in parts:
        part.stop()
    transport.close()


@pytest.fixture
def admin(env) -> Caller:
    return env.caller("admin")


@pytest.fixture
def demo(env) -> Caller:
    return env.caller("demo")


@pytest.fixture
def other(env) -> Caller:
    return env.caller("other")
