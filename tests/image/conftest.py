"""Fixtures for Glance unit tests: the image app in a temporary directory, called through
falcon's TestClient by three fake callers (Keystone is replaced by tests/fakes.py's table of
tokens)."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest
from falcon import testing

from minicloud.common.trace import Tracer
from minicloud.config import Config
from minicloud.image import api, core
from minicloud.image.files import FileStore
from minicloud.image.store import ImageStore
from tests import fakes
from tests.fakes import fake_validator

SIZE_LIMIT = 64 * 1024


class Caller(fakes.Caller):
    """The shared Caller with Glance's JSON-patch `patch` and image helpers."""

    def patch(self, path, ops, content_type="application/openstack-images-v2.1-json-patch"):
        return self.request("PATCH", path, body=json.dumps(ops) if not isinstance(ops, str)
                            else ops, headers={"Content-Type": content_type})

    # -- image helpers -------------------------------------------------------------------
    def create(self, **fields) -> dict:
        fields.setdefault("disk_format", "raw")
        fields.setdefault("container_format", "bare")
        result = self.post("/v2/images", json=fields)
        assert result.status_code == 201, result.text
        return result.json

    def upload(self, image_id: str, data: bytes, headers=None) -> testing.Result:
        return self.put(f"/v2/images/{image_id}/file", body=data, headers={
            "Content-Type": "application/octet-stream", **(headers or {})})


def payload(size: int, seed: int = 1) -> bytes:
    """Deterministic, incompressible test bytes."""
    return hashlib.shake_256(str(seed).encode()).digest(size)


class Glance:
    """The app and its callers; `service` is the app's facade (core.Glance), `store` and
    `files` its image records and files."""

    def __init__(self, client, service: core.Glance):
        self.client, self.service = client, service
        self.store, self.files = service.store, service.files
        self.anonymous = Caller(client, None)
        self.admin = Caller(client, "admin")
        self.demo = Caller(client, "demo")
        self.other = Caller(client, "other")


def build(tmp_path, opener=open) -> Glance:
    """The image app in `tmp_path`; `opener` opens the file store's files (faults go there)."""
    config = Config(home=tmp_path, image_size_limit=SIZE_LIMIT)
    ticks = itertools.count(1_700_000_000)  # one second per call: distinct timestamps
    service = core.Glance(config, ImageStore(tmp_path / "image.db"),
                          FileStore(tmp_path / "images", opener=opener),
                          clock=lambda: next(ticks))
    app = api.create_app(service, Tracer(), fake_validator)
    return Glance(testing.TestClient(app), service)


@pytest.fixture
def glance(tmp_path) -> Glance:
    return build(tmp_path)
