"""`minicloud agent stop|start` and `minicloud broker` on an in-process cloud (the memory
bus), driven as a learner drives it: the minicloud commands and the real `openstack` CLI.
(tests/probe/test_outages_processes.py does the same over RabbitMQ, in the processes mode.)

One cloud for the module, with heartbeats fast enough that an agent turns XXX in ~2 s.
"""

from __future__ import annotations

import json
import time

import pytest

from minicloud.config import Config
from tests.livecloud import LiveCloud, minicloud


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    home = tmp_path_factory.mktemp("outages")
    Config(home=home, scrypt_n=2**10, agent_report_interval=0.3, agent_down_time=2.0).save()
    cloud = LiveCloud(home)
    cloud.up("--no-user-config")
    yield cloud
    cloud.down()


def alive(cloud) -> dict:
    rows = cloud.cli_json("network", "agent", "list", cloud="minicloud-admin")
    return {(r["Host"], r["Agent Type"]): r["Alive"] for r in rows}


def until(what, timeout: float = 30.0):
    """What `what()` returns once it is true; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"still not true after {timeout} s")


def ready(cloud, queue: str) -> int:
    rows = json.loads(minicloud("bus", "queues", "-f", "json", home=cloud.home).stdout)
    return sum(r["messages"] for r in rows if r["name"] == queue)


def test_a_stopped_l3_agent_turns_xxx_and_its_router_update_waits(live):
    stopped = minicloud("agent", "stop", "l3", home=live.home)
    assert stopped.returncode == 0, stopped.stderr
    assert "neutron-l3-agent on network stopped" in stopped.stdout
    assert "l3_agent.network" in stopped.stdout
    until(lambda: alive(live)[("network", "L3 agent")] is False)
    others = {k: v for k, v in alive(live).items() if k != ("network", "L3 agent")}
    assert others and all(others.values())  # the node runs on: its other agents too
    table = live.cli("network", "agent", "list", cloud="minicloud-admin").stdout
    assert "XXX" in table
    again = minicloud("agent", "stop", "l3", home=live.home)
    assert again.returncode == 0 and "already stopped" in again.stdout

    router = live.cli_json("router", "create", "r-wait")
    live.cli("router", "set", "--external-gateway", "public", "r-wait")
    assert ready(live, "l3_agent.network") >= 1  # routers_updated, waiting for the agent
    plane = minicloud("agents", home=live.home).stdout
    assert f"qrouter-{router['id']}" not in plane and "agent is not alive" in plane

    started = minicloud("agent", "start", "l3", home=live.home)
    assert started.returncode == 0, started.stderr
    assert "neutron-l3-agent on network started" in started.stdout
    assert alive(live)[("network", "L3 agent")] is True  # it reported at once
    assert ready(live, "l3_agent.network") == 0
    plane = minicloud("agents", home=live.home).stdout
    assert f"qrouter-{router['id']}" in plane


def test_a_bridge_agent_is_named_with_its_host(live):
    result = minicloud("agent", "stop", "linuxbridge@compute2", home=live.home)
    assert result.returncode == 0, result.stderr
    until(lambda: alive(live)[("compute2", "Linux bridge agent")] is False)
    assert alive(live)[("compute1", "Linux bridge agent")] is True
    assert minicloud("agent", "start", "linuxbridge@compute2", home=live.home).returncode == 0
    assert alive(live)[("compute2", "Linux bridge agent")] is True


@pytest.mark.parametrize("name, said", [
    ("l2", "no agent 'l2': the agents are l3, dhcp, linuxbridge"),
    ("linuxbridge", "linuxbridge runs on network, compute1, compute2: name one"),
    ("l3@compute1", "no l3 agent on 'compute1': it runs on network"),
    ("dhcp@compute9", "no dhcp agent on 'compute9'"),
])
def test_an_unknown_agent_is_refused_with_what_exists(live, name, said):
    result = minicloud("agent", "stop", name, home=live.home)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert all(alive(live).values())


def test_an_agent_of_a_stopped_node_cannot_be_started_alone(live):
    assert minicloud("node", "stop", "compute1", home=live.home).returncode == 0
    try:
        result = minicloud("agent", "start", "linuxbridge@compute1", home=live.home)
        assert result.returncode == 1
        assert "node compute1 is stopped" in result.stderr
        assert "minicloud node start compute1" in result.stderr
    finally:
        assert minicloud("node", "start", "compute1", home=live.home).returncode == 0


def test_broker_applies_to_rabbitmq_only(live):
    for action in ("stop", "start", "status"):
        result = minicloud("broker", action, home=live.home)
        assert result.returncode == 2, result.stderr
        assert "in-memory message bus" in result.stderr
        assert "applies to the RabbitMQ transport only" in result.stderr


def test_without_a_running_cloud_agent_says_so(tmp_path):
    result = minicloud("agent", "stop", "l3", home=tmp_path)
    assert result.returncode == 1 and "the cloud is not running" in result.stderr


def test_broker_refuses_a_vhost_the_cloud_may_share(tmp_path):
    """guest on `/` is everyone's: `broker stop` must not take it away (nor call rabbitmqctl)."""
    Config(home=tmp_path, transport_url="rabbit://guest:guest@127.0.0.1:5672/").save()
    result = minicloud("broker", "stop", home=tmp_path)
    assert result.returncode == 2
    assert "as user guest on vhost /, which it may share with others" in result.stderr
