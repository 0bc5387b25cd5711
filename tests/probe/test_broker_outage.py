"""RabbitMQ drops every connection of the cloud (what a broker restart looks like to its
clients) while servers build: every link reconnects by itself, re-declares its queues and
consumes again; no server is lost or built twice, and heartbeats keep the services up.

The broker is shared with other tests, so the test cuts only its own vhost's connections
(`rabbitmqctl close_all_connections --vhost V`), never restarts the broker itself.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

import pika
import pytest
import requests

from minicloud.cloud import Cloud
from minicloud.common import rpc
from minicloud.common.context import RequestContext
from minicloud.common.rpc.amqp import EXCHANGE, connection_parameters
from minicloud.common.rpc.envelope import Envelope
from minicloud.config import Config
from tests.fakes import wait_for
from tests.livecloud import free_port_offset
from tests.probe.test_node_process import compute_services, token

SERVERS = 8
RECONNECT_WITHIN = 10.0  # seconds: what the issue asks of a node after a broker restart


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, transport_url):
    # Each fake-driver step takes a while, so the cut lands while the servers build.
    config = Config(home=tmp_path_factory.mktemp("cloud"), port_offset=free_port_offset(),
                    transport_url=transport_url, scrypt_n=2**10, report_interval=0.2,
                    service_down_time=2.0, agent_report_interval=0.2, agent_down_time=2.0,
                    fake_driver_delay=1.5)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    yield cloud
    cloud.stop()


def cut_connections(transport_url: str) -> None:
    """RabbitMQ closes every connection of the vhost, as it does when it shuts down."""
    vhost = unquote(urlsplit(transport_url).path[1:])
    done = subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "--vhost", vhost,
                           "minicloud test: broker restart"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def connects(cloud) -> dict[str, int]:
    return {link.name: link.connects for link in cloud.transport.links()}


def all_reconnected(cloud, before: dict[str, int]) -> bool:
    now = {link.name: (link.connects, link.connected) for link in cloud.transport.links()}
    return all(now[name][0] > count and now[name][1] for name, count in before.items())


class Counter:
    """An RPC endpoint that records each run; `slow` waits until the test releases it."""

    def __init__(self):
        self.runs: list[int] = []
        self.started, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    def bump(self, ctx, n):
        with self._lock:
            self.runs.append(n)
        return n

    def slow(self, ctx, n):
        self.bump(ctx, n)
        self.started.set()
        self.release.wait(30)
        return n


def count_spawns(cloud) -> dict[str, list[str]]:
    """Wrap each compute host's driver.spawn to record the instances it starts."""
    spawned: dict[str, list[str]] = {}
    for host in cloud.compute_hosts.values():
        real = host.driver.spawn

        def spawn(instance, *args, _real=real, **kwargs):
            spawned.setdefault(instance["id"], []).append(instance["name"])
            return _real(instance, *args, **kwargs)

        host.driver.spawn = spawn
    return spawned


def boot(config, demo, name: str) -> str:
    image = requests.get(config.base_url("image") + "/v2/images?name=cirros",
                         headers=demo, timeout=30).json()["images"][0]
    network = requests.get(config.base_url("network") + "/v2.0/networks?name=private",
                           headers=demo, timeout=30).json()["networks"][0]
    r = requests.post(config.base_url("compute") + "/v2.1/servers", headers=demo, timeout=30,
                      json={"server": {"name": name, "imageRef": image["id"], "flavorRef": "1",
                                       "networks": [{"uuid": network["id"]}]}})
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def settled(config, admin, server_id: str) -> dict | None:
    url = f"{config.base_url('compute')}/v2.1/servers/{server_id}"
    server = requests.get(url, headers=admin, timeout=30).json()["server"]
    return server if server["status"] in ("ACTIVE", "ERROR") else None


def create_events(config, admin, server_id: str) -> tuple[list[str], list[str]]:
    """The server's actions, and the events of its create action."""
    url = f"{config.base_url('compute')}/v2.1/servers/{server_id}/os-instance-actions"
    actions = requests.get(url, headers=admin, timeout=30).json()["instanceActions"]
    create = [a for a in actions if a["action"] == "create"]
    events = requests.get(f"{url}/{create[0]['request_id']}", headers=admin,
                          timeout=30).json()["instanceAction"]["events"] if create else []
    return [a["action"] for a in actions], [e["event"] for e in events]


def test_calls_across_the_cut_are_answered_and_run_once(cloud, transport_url):
    """A call answered before the cut does not run again; one running during the cut gets
    its answer (the reply waits in the caller's reply queue while it reconnects)."""
    topic = "outage-" + secrets.token_hex(4)
    counter = Counter()
    server = rpc.RPCServer(cloud.transport, topic, "probe", [counter]).start()
    try:
        client = rpc.RPCClient(cloud.transport, topic, timeout=20)
        ctx = RequestContext(user_name="probe")
        assert client.call(ctx, "bump", n=1) == 1
        in_flight: dict = {}
        caller = threading.Thread(target=lambda: in_flight.update(
            answer=_outcome(lambda: client.call(ctx, "slow", n=2))))
        caller.start()
        assert counter.started.wait(20)
        before = connects(cloud)
        cut_connections(transport_url)
        counter.release.set()  # it answers while the links reconnect
        assert wait_for(lambda: all_reconnected(cloud, before), timeout=RECONNECT_WITHIN), \
            {link.name: (link.connects, str(link.last_error)) for link in cloud.transport.links()}
        caller.join(30)
        assert in_flight == {"answer": 2}
        assert client.call(ctx, "bump", n=3) == 3
        # A redelivered earlier call would sit in the queue ahead of the last one.
        assert counter.runs == [1, 2, 3]
    finally:
        counter.release.set()
        server.stop()


def test_a_message_that_comes_twice_runs_once(cloud, transport_url):
    """What a lost ack or a lost publisher confirm looks like to the server: the same
    message (same msg_id) twice in its queue."""
    topic = "outage-" + secrets.token_hex(4)
    counter = Counter()
    server = rpc.RPCServer(cloud.transport, topic, "probe", [counter]).start()
    try:
        twice = Envelope(kind="cast", topic=topic, server="probe", method="bump", args={"n": 1})
        conn = pika.BlockingConnection(connection_parameters(transport_url, "minicloud test"))
        for _ in range(2):
            conn.channel().basic_publish(EXCHANGE, twice.target, twice.encode())
        conn.close()
        client = rpc.RPCClient(cloud.transport, topic, server="probe", timeout=20)
        assert client.call(RequestContext(user_name="probe"), "bump", n=2) == 2
        assert counter.runs == [1, 2]  # both copies were ahead of the call in the queue
    finally:
        server.stop()


def _outcome(call):
    try:
        return call()
    except Exception as exc:  # the test compares it with the answer it wants
        return repr(exc)


def test_servers_build_once_through_a_broker_restart(cloud, transport_url):
    config = cloud.config
    admin, demo = token(config, "admin"), token(config, "demo")
    spawned = count_spawns(cloud)
    reconnected: list = []

    def cut_twice():  # rabbitmqctl takes a second to start: the boots go on meanwhile
        for spawns in (0, SERVERS // 2):  # as the first boots start, then mid-way
            wait_for(lambda: len(spawned) >= spawns, timeout=30)
            before = connects(cloud)
            cut_connections(transport_url)
            reconnected.append(wait_for(lambda: all_reconnected(cloud, before),
                                        timeout=RECONNECT_WITHIN))

    cutter = threading.Thread(target=cut_twice)
    cutter.start()
    ids = []
    for i in range(SERVERS):  # spread out, so that some go out while the links reconnect
        ids.append(boot(config, demo, f"outage{i}"))
        time.sleep(0.4)
    cutter.join(60)
    cut_at = datetime.now(timezone.utc).replace(tzinfo=None)
    assert reconnected == [True, True], \
        {link.name: (link.connects, str(link.last_error)) for link in cloud.transport.links()}

    servers = {sid: wait_for(lambda: settled(config, admin, sid), timeout=90) for sid in ids}
    assert {sid: (s or {}).get("status") for sid, s in servers.items()} == \
        {sid: "ACTIVE" for sid in ids}, servers
    assert {sid: len(names) for sid, names in spawned.items()} == {sid: 1 for sid in ids}
    on_hosts = [sid for host in cloud.compute_hosts.values() for sid in host.driver.vms]
    assert sorted(sid for sid in on_hosts if sid in ids) == sorted(ids)
    for sid in ids:
        actions, events = create_events(config, admin, sid)
        assert actions == ["create"]
        assert events.count("compute__do_build_and_run_instance") == 1, events

    # Heartbeats sent over the new connections keep every compute service up.
    def beating() -> bool:
        services = compute_services(config, admin)
        return all(s["state"] == "up" and _parse(s["updated_at"]) > cut_at
                   for s in services.values())

    assert wait_for(beating, timeout=10), compute_services(config, admin)
    time.sleep(config.service_down_time + 1)  # longer than a service may stay silent
    assert all(s["state"] == "up" for s in compute_services(config, admin).values())


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.rstrip("Z").split(".")[0])
