"""`minicloud agent stop|start` and `minicloud broker stop|start|status` in the processes
mode, over RabbitMQ: the agent request travels to the network node's own process (its
control socket), and the broker is taken from the cloud alone, on its own vhost. Checked
with the real `openstack network agent list`. Needs RabbitMQ (skipped without one, failed
when MINICLOUD_REQUIRE_RABBITMQ=1). One cloud for the module, tests in order.
"""

from __future__ import annotations

import json
import time
from urllib.parse import unquote, urlsplit

import pytest

from minicloud import broker
from minicloud.config import Config
from tests.livecloud import LiveCloud, minicloud


@pytest.fixture(scope="module")
def live(tmp_path_factory, rabbitmq_url):
    home = tmp_path_factory.mktemp("outages-processes")
    Config(home=home, scrypt_n=2**10, report_interval=0.5, service_down_time=3.0,
           agent_report_interval=0.5, agent_down_time=3.0, rpc_response_timeout=3.0,
           rpc_long_timeout=10.0).save()
    cloud = LiveCloud(home)
    cloud.up("--mode", "processes", "--no-user-config")
    yield cloud
    cloud.down()
    vhost = unquote(urlsplit(cloud.config.transport_url).path[1:])
    broker.delete(vhost, vhost)


def alive(cloud) -> dict:
    rows = cloud.cli_json("network", "agent", "list", cloud="minicloud-admin")
    return {(r["Host"], r["Agent Type"]): r["Alive"] for r in rows}


def pid_of(cloud, node: str) -> int:
    nodes = json.loads(minicloud("nodes", "-f", "json", home=cloud.home).stdout)
    return next(n["pid"] for n in nodes if n["name"] == node and n["running"])


def until(what, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"still not true after {timeout} s")


def test_the_dhcp_agent_stops_in_the_network_nodes_process(live):
    pid = pid_of(live, "network")
    stopped = minicloud("agent", "stop", "dhcp", home=live.home)
    assert stopped.returncode == 0, stopped.stderr
    assert "neutron-dhcp-agent on network stopped" in stopped.stdout
    until(lambda: alive(live)[("network", "DHCP agent")] is False)
    assert alive(live)[("network", "L3 agent")] is True  # the node and its other agents run
    assert pid_of(live, "network") == pid
    started = minicloud("agent", "start", "dhcp", home=live.home)
    assert started.returncode == 0, started.stderr
    until(lambda: alive(live)[("network", "DHCP agent")] is True)


def test_broker_stop_cuts_the_cloud_off_and_start_brings_it_back(live):
    vhost = unquote(urlsplit(live.config.transport_url).path[1:])
    assert "open" in minicloud("broker", "status", home=live.home).stdout
    stopped = minicloud("broker", "stop", home=live.home)
    assert stopped.returncode == 0, stopped.stderr
    assert f"has no rights on vhost {vhost}" in stopped.stdout
    try:
        status = minicloud("broker", "status", home=live.home).stdout
        assert "STOPPED (no rights)" in status
        assert not broker.permitted(vhost, vhost)
        assert "guest" not in {c["user"] for c in broker.connections(vhost)}
        # the API answers what its database holds; every agent's heartbeat is lost
        until(lambda: not any(alive(live).values()))
        assert live.cli_json("server", "list") == []
        # a boot cannot reach the conductor: a 503 with the reason, the server in ERROR
        boot = live.cli("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                        "--network", "private", "cut-off", check=False)
        assert boot.returncode != 0 and "503" in boot.stderr, boot.stderr
        assert "could not be sent to nova-conductor" in boot.stderr
        [server] = live.cli_json("server", "list", "--name", "cut-off")
        assert server["Status"] == "ERROR"
    finally:
        started = minicloud("broker", "start", home=live.home)
    assert started.returncode == 0, started.stderr
    assert "lets this cloud in again" in started.stdout
    until(lambda: all(alive(live).values()))
    live.cli("server", "delete", "--wait", "cut-off")
    assert "open" in minicloud("broker", "status", home=live.home).stdout
    again = minicloud("broker", "start", home=live.home)
    assert again.returncode == 0 and "already lets user" in again.stdout
