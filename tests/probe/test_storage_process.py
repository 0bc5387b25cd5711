"""A storage node in a process of its own: the cloud runs over RabbitMQ, storage2 is
stopped in it and started again with `minicloud node run --role storage` while another
program holds its planned port. The node takes another port and tells the controller,
which writes it into the ring; the proxy's operator's routes (`minicloud swift nodes`,
`stop-node`, `start-node`) reach it over RPC, and a node that does not answer is listed
UNREACHABLE, never an error."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests

from minicloud.bench.identity import password_auth
from minicloud.cloud import Cloud
from minicloud.config import Config
from minicloud.object.ring import RING_FILE, Ring
from tests.fakes import wait_for
from tests.livecloud import free_port_offset


def minicloud(home, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minicloud", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, transport_url):
    config = Config(home=tmp_path_factory.mktemp("cloud"), port_offset=free_port_offset(),
                    transport_url=transport_url, scrypt_n=2**10, replicator_interval=0,
                    rpc_quick_timeout=1.0)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def port_taken(cloud):
    """storage2 of the plan, stopped in the cloud's process; its port held by someone."""
    port = cloud.config.storage_port(1)
    assert minicloud(cloud.config.home, "node", "stop", "storage2").returncode == 0
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        assert wait_for(lambda: _bind(taken, port), timeout=10)
        taken.listen()
        yield port


def _bind(sock, port) -> bool:
    try:
        sock.bind(("127.0.0.1", port))
        return True
    except OSError:  # the stopped server lets go of its socket asynchronously
        return False


@pytest.fixture(scope="module")
def storage2(cloud, port_taken):
    home = cloud.config.home
    made = minicloud(home, "node", "config", "storage2")
    assert made.returncode == 0, made.stderr
    log = open(cloud.config.path("nodes", "storage2.log"), "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "minicloud", "node", "run", "--role", "storage",
         "--name", "storage2", "--config", str(cloud.config.path("nodes", "storage2.json"))],
        stdout=log, stderr=subprocess.STDOUT)  # a file: a pipe nobody reads fills and blocks it
    yield process
    process.kill()
    process.wait(timeout=30)
    log.close()


def swift_nodes(home, must: bool = True, seen: list | None = None) -> dict:
    """`minicloud swift nodes` by name; with must=False, {} when the command failed
    (while waiting for the node to show up). `seen` keeps what the command printed."""
    result = minicloud(home, "swift", "nodes", "--json")
    if seen is not None:
        seen[:] = [result.stdout + result.stderr]
    if result.returncode != 0 and not must:
        return {}
    assert result.returncode == 0, result.stderr
    return {n["name"]: n for n in json.loads(result.stdout)}


def ring_port(cloud, name: str) -> int:
    ring = Ring.load(cloud.config.path(RING_FILE))
    return next(d.port for d in ring.devices if d.node == name)


def test_a_storage_node_in_its_own_process_is_reached_over_rpc(cloud, port_taken, storage2):
    home = cloud.config.home
    last: list = []
    seen = wait_for(lambda: (lambda n: n if n.get("reachable") else None)(
        swift_nodes(home, must=False, seen=last).get("storage2", {})), timeout=180, interval=1)
    log = cloud.config.path("nodes", "storage2.log").read_text(errors="replace")
    assert seen, (f"storage2 in its own process never answered the proxy; `swift nodes` "
                  f"said {last}; storage2's log:\n{log[-3000:]}")
    assert seen["running"] and seen["port"] != port_taken
    # it told the controller, which alone writes the ring
    assert wait_for(lambda: ring_port(cloud, "storage2") == seen["port"], timeout=10)

    r = requests.post(cloud.config.auth_url + "/auth/tokens", timeout=30,
                      json=password_auth("admin", cloud.config.admin_password, "admin"))
    headers = {"X-Auth-Token": r.headers["X-Subject-Token"]}
    account = f"{cloud.config.base_url('object')}/v1/AUTH_{r.json()['token']['project']['id']}"
    assert requests.put(f"{account}/far", headers=headers, timeout=30).status_code in (201, 202)
    put = requests.put(f"{account}/far/note", data=b"hello", headers=headers, timeout=30)
    assert put.status_code == 201, put.text
    # the proxy wrote to the new port: the node in the other process counts the object
    assert wait_for(lambda: swift_nodes(home)["storage2"]["objects"] == 1, timeout=10)

    stopped = minicloud(home, "swift", "stop-node", "storage2")
    assert stopped.returncode == 0 and "STOPPED" in stopped.stdout, stopped.stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{seen['port']}/sdb1", timeout=5)
    started = minicloud(home, "swift", "start-node", "storage2")
    assert started.returncode == 0 and "running" in started.stdout, started.stderr
    assert requests.get(f"{account}/far/note", headers=headers, timeout=30).content == b"hello"

    storage2.kill()  # SIGKILL: nobody answers on swift-storage.storage2 any more
    storage2.wait(timeout=30)
    listed = minicloud(home, "swift", "nodes")
    assert listed.returncode == 0, listed.stderr
    assert "storage2   UNREACHABLE" in listed.stdout and "storage1   running" in listed.stdout
    refused = minicloud(home, "swift", "start-node", "storage2")
    assert refused.returncode == 1 and "did not answer" in refused.stderr
