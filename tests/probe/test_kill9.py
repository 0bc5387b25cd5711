"""Probe: `kill -9` the whole cloud while 20 clients write (servers, ports, volumes,
objects), start it again with `minicloud up`, and check that every create that answered
2xx is there and consistent: servers ACTIVE or ERROR (never left in BUILD), ports bound to
a server that exists or unbound, volumes available or in-use, every object readable with
the ETag its PUT returned; and `minicloud check` finds the databases consistent.

The cloud is a real background process (`minicloud up`), killed for real.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time

import pytest
import requests

from tests.livecloud import LiveCloud, minicloud

WRITERS = 20
CRASH_AFTER = 1.5  # seconds of writing before the kill


class Writer(threading.Thread):
    """One client creating resources of one kind until the cloud dies; keeps what got 2xx."""

    def __init__(self, kind: str, index: int, cloud: LiveCloud, session: dict):
        super().__init__(daemon=True)
        self.kind, self.index, self.cloud, self.s = kind, index, cloud, session
        self.created: list[dict] = []

    def run(self):
        for n in range(1000):
            try:
                made = getattr(self, f"make_{self.kind}")(f"{self.kind}-{self.index}-{n}")
            except (requests.ConnectionError, requests.Timeout):
                return  # the cloud is gone
            if made is not None:
                self.created.append(made)

    def _post(self, service: str, path: str, body: dict) -> dict | None:
        r = requests.post(self.s["urls"][service] + path, json=body, timeout=20,
                          headers={"X-Auth-Token": self.s["token"]})
        return r.json() if r.status_code < 300 else None

    def make_server(self, name):
        body = self._post("compute", "/servers", {"server": {
            "name": name, "imageRef": self.s["image"], "flavorRef": self.s["flavor"],
            "networks": [{"uuid": self.s["network"]}]}})
        return body and {"id": body["server"]["id"]}

    def make_port(self, name):
        body = self._post("network", "/v2.0/ports", {"port": {
            "name": name, "network_id": self.s["network"]}})
        return body and {"id": body["port"]["id"]}

    def make_volume(self, name):
        body = self._post("block-storage", "/volumes", {"volume": {"name": name, "size": 1}})
        return body and {"id": body["volume"]["id"]}

    def make_object(self, name):
        data = os.urandom(4096 + self.index)
        r = requests.put(f"{self.s['urls']['object-store']}/crash/{name}", data=data,
                         timeout=20, headers={"X-Auth-Token": self.s["token"]})
        if r.status_code != 201:
            return None
        assert r.headers["ETag"].strip('"') == hashlib.md5(data).hexdigest()
        return {"name": name, "etag": r.headers["ETag"].strip('"')}


def _session(cloud: LiveCloud) -> dict:
    sdk = cloud.sdk()
    catalog = {e["type"]: e for e in sdk.session.auth.get_access(sdk.session).service_catalog.catalog}
    urls = {t: next(x["url"] for x in e["endpoints"] if x["interface"] == "public")
            for t, e in catalog.items()}
    urls["network"] = urls["network"].rstrip("/")
    requests.put(urls["object-store"] + "/crash", timeout=10,
                 headers={"X-Auth-Token": sdk.auth_token}).raise_for_status()
    return {"token": sdk.auth_token, "urls": urls,
            "image": sdk.image.find_image("cirros").id,
            "flavor": sdk.compute.find_flavor("m1.tiny").id,
            "network": sdk.network.find_network("private").id}


def _pid(cloud: LiveCloud) -> int:
    return int((cloud.home / "minicloud.pid").read_text())


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """A cloud written to by 20 clients, killed with SIGKILL mid-write, then started again."""
    cloud = LiveCloud(tmp_path_factory.mktemp("crash"))
    cloud.up()
    session = _session(cloud)
    kinds = ["server", "port", "volume", "object"]
    writers = [Writer(kinds[i % 4], i, cloud, session) for i in range(WRITERS)]
    for writer in writers:
        writer.start()
    time.sleep(CRASH_AFTER)
    os.kill(_pid(cloud), signal.SIGKILL)
    for writer in writers:
        writer.join(timeout=30)
    cloud.up()
    yield cloud, writers
    cloud.down()


def _created(writers, kind: str) -> list[dict]:
    return [made for w in writers if w.kind == kind for made in w.created]


def _wait_settled(sdk, server_ids: list[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        servers = {s.id: s for s in sdk.compute.servers()}
        if all(servers[i].status in ("ACTIVE", "ERROR") for i in server_ids if i in servers) \
                or time.monotonic() > deadline:
            return servers
        time.sleep(0.5)


def test_writes_happened_before_the_kill(crashed):
    cloud, writers = crashed
    for kind in ("server", "port", "volume", "object"):
        assert _created(writers, kind), f"no {kind} was created before the kill"


def test_every_acknowledged_server_is_active_or_error(crashed):
    cloud, writers = crashed
    ids = [s["id"] for s in _created(writers, "server")]
    servers = _wait_settled(cloud.sdk(), ids)
    for server_id in ids:
        assert server_id in servers, f"server {server_id} answered 202 but is gone"
        assert servers[server_id].status in ("ACTIVE", "ERROR"), servers[server_id]
        assert servers[server_id].task_state is None, servers[server_id]


def test_every_acknowledged_port_exists_and_is_bound_to_a_live_server_or_free(crashed):
    cloud, writers = crashed
    sdk = cloud.sdk()
    server_ids = {s.id for s in sdk.compute.servers()}
    ports = {p.id: p for p in sdk.network.ports()}
    for made in _created(writers, "port"):
        assert made["id"] in ports, f"port {made['id']} answered 201 but is gone"
    for port in ports.values():
        if (port.device_owner or "").startswith("compute:"):
            assert port.device_id in server_ids, f"port {port.id} bound to a missing server"


def test_every_acknowledged_volume_is_available_or_in_use(crashed):
    cloud, writers = crashed
    sdk = cloud.sdk()
    deadline = time.monotonic() + 30
    while True:
        volumes = {v.id: v for v in sdk.block_storage.volumes()}
        settled = all(volumes.get(m["id"]) is not None
                      and volumes[m["id"]].status in ("available", "in-use")
                      for m in _created(writers, "volume"))
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for made in _created(writers, "volume"):
        assert made["id"] in volumes, f"volume {made['id']} answered 202 but is gone"
        assert volumes[made["id"]].status in ("available", "in-use"), volumes[made["id"]]


def test_every_acknowledged_object_reads_back_with_its_etag(crashed):
    cloud, writers = crashed
    sdk = cloud.sdk()
    for made in _created(writers, "object"):
        r = requests.get(f"{sdk.object_store.get_endpoint()}/crash/{made['name']}",
                         headers={"X-Auth-Token": sdk.auth_token}, timeout=10)
        assert r.status_code == 200, (made, r.status_code)
        assert hashlib.md5(r.content).hexdigest() == made["etag"]


def test_minicloud_check_finds_the_cloud_consistent(crashed):
    cloud, writers = crashed
    _wait_settled(cloud.sdk(), [s["id"] for s in _created(writers, "server")])
    result = minicloud("check", home=cloud.home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consistent" in result.stdout
