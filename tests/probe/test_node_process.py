"""A node in a process of its own: `minicloud node run --role compute --name compute3`
joins a running cloud over RabbitMQ (a vhost and a user of the cloud's own, made with
rabbitmqctl), registers with the conductor, runs a server whose port its bridge agent
wires, writes its spans into the same trace, and goes down in `compute service list` when
it is killed with SIGKILL."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from minicloud.bench.identity import password_auth
from minicloud.cloud import Cloud
from minicloud.common.trace_store import TraceStore
from minicloud.config import Config
from tests.fakes import wait_for
from tests.livecloud import free_port_offset


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, transport_url):
    config = Config(home=tmp_path_factory.mktemp("cloud"), port_offset=free_port_offset(),
                    transport_url=transport_url, scrypt_n=2**10, report_interval=0.2,
                    service_down_time=2.0, agent_report_interval=0.2, agent_down_time=2.0)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def compute3(cloud):
    home = str(cloud.config.home)
    made = subprocess.run([sys.executable, "-m", "minicloud", "--home", home, "node", "config",
                           "compute3"], capture_output=True, text=True, timeout=60)
    path = cloud.config.path("nodes", "compute3.json")
    assert made.returncode == 0 and str(path) in made.stdout, made.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["admin_password"] == ""  # not the node's business
    log = open(cloud.config.path("nodes", "compute3.log"), "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "minicloud", "node", "run", "--role", "compute",
         "--name", "compute3", "--config", str(path)],
        stdout=log, stderr=subprocess.STDOUT)  # a file: a pipe nobody reads fills and blocks it
    yield process
    process.kill()
    process.wait(timeout=30)
    log.close()


def token(config, user: str) -> dict:
    password = config.admin_password if user == "admin" else config.demo_password
    r = requests.post(config.auth_url + "/auth/tokens", timeout=30,
                      json=password_auth(user, password, user))
    return {"X-Auth-Token": r.headers["X-Subject-Token"], "OpenStack-API-Version": "compute 2.96"}


def compute_services(config, admin) -> dict:
    url = config.base_url("compute") + "/v2.1/os-services?binary=nova-compute"
    return {s["host"]: s for s in requests.get(url, headers=admin, timeout=30).json()["services"]}


def test_a_compute_node_in_its_own_process_runs_servers(cloud, compute3):
    config = cloud.config
    admin, demo = token(config, "admin"), token(config, "demo")
    assert wait_for(lambda: compute_services(config, admin).get("compute3", {}).get("state")
                    == "up", timeout=30), "compute3 did not register with the conductor"
    for host in ("compute1", "compute2"):  # only compute3 may take the next server
        service = compute_services(config, admin)[host]
        r = requests.put(f"{config.base_url('compute')}/v2.1/os-services/{service['id']}",
                         headers=admin, json={"status": "disabled"}, timeout=30)
        assert r.status_code == 200, r.text
    image = requests.get(config.base_url("image") + "/v2/images?name=cirros",
                         headers=demo, timeout=30).json()["images"][0]
    network = requests.get(config.base_url("network") + "/v2.0/networks?name=private",
                           headers=demo, timeout=30).json()["networks"][0]
    r = requests.post(config.base_url("compute") + "/v2.1/servers", headers=demo, timeout=30,
                      json={"server": {"name": "far", "imageRef": image["id"], "flavorRef": "1",
                                       "networks": [{"uuid": network["id"]}]}})
    assert r.status_code == 202, r.text
    url = f"{config.base_url('compute')}/v2.1/servers/{r.json()['server']['id']}"
    server = wait_for(lambda: (lambda s: s if s["status"] in ("ACTIVE", "ERROR") else None)(
        requests.get(url, headers=admin, timeout=30).json()["server"]), timeout=30)
    assert server and server["status"] == "ACTIVE", server
    assert server["OS-EXT-SRV-ATTR:host"] == "compute3"
    assert server["addresses"]["private"][0]["addr"].startswith("172.16.1.")
    ports = requests.get(f"{config.base_url('network')}/v2.0/ports?device_id={server['id']}",
                         headers=admin, timeout=30).json()["ports"]
    assert [(p["binding:host_id"], p["status"]) for p in ports] == [("compute3", "ACTIVE")]

    cloud.tracer.store.flush()
    store = TraceStore(config.path("trace.db"))
    traces = wait_for(lambda: [s.trace_id for s in store.roots(50)
                               if s.operation == "POST /v2.1/servers"])
    services = wait_for(lambda: {s.service for s in store.trace(traces[-1])}
                        if "nova-compute@compute3" in {s.service for s in store.trace(traces[-1])}
                        else None, timeout=10)
    assert services and {"nova-api", "nova-conductor", "nova-compute@compute3"} <= services

    compute3.kill()  # SIGKILL: no goodbye
    compute3.wait(timeout=30)
    assert wait_for(lambda: compute_services(config, admin)["compute3"]["state"] == "down",
                    timeout=10)
    assert compute_services(config, admin)["compute1"]["state"] == "up"
