"""Node roles in the in-process cloud: `minicloud nodes` lists them as the topology plans
them, `minicloud node stop compute2` is compute2 failing (its nova-compute and its bridge
agent go down, compute1 stays up) and `minicloud node start compute2` brings it back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from minicloud.bench.identity import password_auth
from minicloud.cloud import Cloud
from minicloud.config import Config
from minicloud.topology import Topology
from tests.fakes import wait_for
from tests.livecloud import free_port_offset


def minicloud(home, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minicloud", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    home = tmp_path_factory.mktemp("nodes")
    config = Config(home=home, port_offset=free_port_offset(), report_interval=0.2,
                    service_down_time=1.0, agent_report_interval=0.1, agent_down_time=0.6)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def admin(cloud):
    config = cloud.config
    r = requests.post(config.auth_url + "/auth/tokens", timeout=30,
                      json=password_auth("admin", config.admin_password, "admin"))
    return {"X-Auth-Token": r.headers["X-Subject-Token"],
            "OpenStack-API-Version": "compute 2.96"}


def compute_states(cloud, admin) -> dict:
    url = cloud.config.base_url("compute") + "/v2.1/os-services?binary=nova-compute"
    return {s["host"]: s["state"]
            for s in requests.get(url, headers=admin, timeout=30).json()["services"]}


def bridge_agents(cloud, admin) -> dict:
    url = cloud.config.base_url("network") + "/v2.0/agents?agent_type=Linux bridge agent"
    return {a["host"]: a["alive"]
            for a in requests.get(url, headers=admin, timeout=30).json()["agents"]}


def test_nodes_lists_every_node_of_the_topology(cloud):
    result = minicloud(cloud.config.home, "nodes", "-f", "json")
    assert result.returncode == 0, result.stderr
    nodes = {n["name"]: n for n in json.loads(result.stdout)}
    plan = Topology.from_config(cloud.config)
    assert list(nodes) == [n.name for n in plan.nodes]
    for spec in plan.nodes:
        assert nodes[spec.name]["role"] == spec.role
        assert nodes[spec.name]["addresses"] == spec.addresses
        assert nodes[spec.name]["running"] is True
    assert "nova-compute" in nodes["compute1"]["services"]
    assert cloud.config.base_url("identity") in nodes["controller"]["listens"]
    table = minicloud(cloud.config.home, "nodes").stdout
    assert "compute2" in table and "10.0.1.32" in table


def test_a_stopped_compute_node_goes_down_and_comes_back(cloud, admin):
    assert wait_for(lambda: compute_states(cloud, admin) == {"compute1": "up",
                                                             "compute2": "up"})
    stopped = minicloud(cloud.config.home, "node", "stop", "compute2")
    assert stopped.returncode == 0 and "compute2: stopped" in stopped.stdout
    assert wait_for(lambda: compute_states(cloud, admin) == {"compute1": "up",
                                                             "compute2": "down"}, timeout=5)
    assert wait_for(lambda: bridge_agents(cloud, admin) == {
        "network": True, "compute1": True, "compute2": False}, timeout=5)
    started = minicloud(cloud.config.home, "node", "start", "compute2")
    assert started.returncode == 0 and "compute2: up" in started.stdout
    assert wait_for(lambda: compute_states(cloud, admin)["compute2"] == "up", timeout=5)
    assert wait_for(lambda: bridge_agents(cloud, admin)["compute2"], timeout=5)


def test_a_stopped_storage_node_stops_serving_objects(cloud):
    port = cloud.storage_nodes["storage2"].port
    url = f"http://{cloud.config.host}:{port}/"
    minicloud(cloud.config.home, "node", "stop", "storage2")
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    assert not cloud.storage_nodes["storage2"].running
    minicloud(cloud.config.home, "node", "start", "storage2")
    assert cloud.storage_nodes["storage2"].running


def test_the_controller_and_unknown_nodes_are_refused(cloud):
    controller = minicloud(cloud.config.home, "node", "stop", "controller")
    assert controller.returncode == 2 and "minicloud down" in controller.stderr
    unknown = minicloud(cloud.config.home, "node", "stop", "compute9")
    assert unknown.returncode == 2 and "no node 'compute9'" in unknown.stderr


def test_nodes_says_when_no_cloud_runs(tmp_path):
    result = minicloud(tmp_path, "nodes")
    assert result.returncode == 1 and "not running" in result.stderr
