"""The processes mode: `minicloud up --mode processes` runs the controller in the launcher
and every other node of the plan as a child `minicloud node run`, over a RabbitMQ vhost
and user that lab-up makes for the cloud. Driven as a learner drives it: the minicloud
and openstack commands.

One cloud for the module; the tests run in order (kill -9 of compute2 comes after the boot
onto it, `down` last)."""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import unquote, urlsplit

import pytest

from minicloud import broker
from minicloud.common.trace_store import TraceStore
from minicloud.config import Config
from tests.fakes import wait_for
from tests.livecloud import LiveCloud, clean_env, minicloud


@pytest.fixture(scope="module")
def live(tmp_path_factory, rabbitmq_url):
    home = tmp_path_factory.mktemp("processes")
    # A learner's cloud has the defaults; a test's reports often so that down shows fast.
    # Room for exactly four m1.tiny (512 MB) per compute node, for the race below.
    Config(home=home, scrypt_n=2**10, report_interval=0.3, service_down_time=3.0,
           agent_report_interval=0.3, agent_down_time=3.0, compute_ram_mb=2048,
           ram_allocation_ratio=1.0).save()
    cloud = LiveCloud(home)
    up = cloud.up("--mode", "processes", "--no-user-config")
    vhost = unquote(urlsplit(cloud.config.transport_url).path.lstrip("/"))
    yield cloud, up.stdout
    cloud.down()
    broker.delete(vhost, vhost)


def nodes(cloud) -> dict:
    result = minicloud("nodes", "-f", "json", home=cloud.home)
    assert result.returncode == 0, result.stderr
    return {n["name"]: n for n in json.loads(result.stdout)}


def alive(pid: int) -> bool:
    """Runs (a zombie nobody has reaped yet counts as gone)."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_lab_up_makes_the_clouds_own_broker_user(live):
    cloud, said = live
    where = urlsplit(cloud.config.transport_url)
    assert where.scheme == "rabbit" and where.username.startswith("minicloud-")
    assert unquote(where.path.lstrip("/")) == where.username  # its own vhost too
    assert "*** RabbitMQ: vhost minicloud-" in said


def test_every_node_but_the_controller_is_a_process_of_its_own(live):
    cloud, said = live
    found = nodes(cloud)
    assert list(found) == ["controller", "network", "compute1", "compute2", "storage1",
                           "storage2", "storage3"]
    pids = {name: n["pid"] for name, n in found.items()}
    assert len(set(pids.values())) == 7 and all(alive(pid) for pid in pids.values())
    assert all(n["running"] for n in found.values())
    for name in found:
        if name == "controller":
            continue
        settings = cloud.home / "nodes" / f"{name}.json"
        assert settings.stat().st_mode & 0o777 == 0o600
        assert json.loads(settings.read_text())["admin_password"] == ""
        assert f"*** Node {name} is up" in (cloud.home / "logs" / f"{name}.log").read_text()
    table = minicloud("nodes", home=cloud.home).stdout
    assert f"compute2    compute     {pids['compute2']:>7}  up" in table


def test_a_server_boots_on_compute2_and_its_trace_spans_three_processes(live):
    cloud, _ = live
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--availability-zone", "nova:compute2",
                            "--wait", "vm1", cloud="minicloud-admin")
    assert server["status"] == "ACTIVE" and server["OS-EXT-SRV-ATTR:host"] == "compute2"
    store = TraceStore(cloud.home / "trace.db")
    root = next(s for s in store.roots(50) if s.operation == "POST /v2.1/servers")

    def processes():
        pids = {s.attrs.get("pid") for s in store.trace(root.trace_id)}
        return pids if len(pids) >= 3 else None

    pids = wait_for(processes, timeout=10)  # spans of other processes arrive in batches
    running = set()
    for node in nodes(cloud).values():  # the nodes, and the controller's API workers
        running |= {node["pid"], *(node.get("workers") or ())}
    assert pids and len(pids) >= 3 and pids <= running, (pids, running)
    services = {s.service for s in store.trace(root.trace_id)}
    assert {"nova-api", "nova-conductor", "nova-compute@compute2"} <= services


def test_object_and_volume_nodes_serve_from_their_own_processes(live):
    cloud, _ = live
    cloud.cli("container", "create", "box")
    path = cloud.home / "hello.txt"
    path.write_text("hello from a storage node\n")
    cloud.cli("object", "create", "box", str(path), "--name", "hello.txt")
    shown = cloud.cli("object", "save", "box", "hello.txt", "--file", "-").stdout
    assert shown == "hello from a storage node\n"
    volume = cloud.cli_json("volume", "create", "--size", "1", "disk1")
    assert wait_for(lambda: cloud.cli_json("volume", "show", volume["id"])["status"]
                    == "available", timeout=30)


def compute_state(cloud, host: str) -> str:
    services = cloud.cli_json("compute", "service", "list", "--service", "nova-compute",
                              cloud="minicloud-admin")
    return next(s["State"] for s in services if s["Host"] == host)


def test_kill_9_of_compute2_takes_it_down_and_a_restart_brings_its_server_back(live):
    cloud, _ = live
    pid = nodes(cloud)["compute2"]["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not alive(pid) or None, timeout=10)
    assert wait_for(lambda: compute_state(cloud, "compute2") == "down", timeout=30)
    assert not nodes(cloud)["compute2"]["running"]
    other = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                           "--network", "private", "--wait", "vm2")
    assert other["status"] == "ACTIVE"
    where = cloud.cli_json("server", "show", other["id"], cloud="minicloud-admin")
    assert where["OS-EXT-SRV-ATTR:host"] == "compute1"

    started = minicloud("node", "start", "compute2", home=cloud.home)
    assert started.returncode == 0 and "compute2: up" in started.stdout, started.stderr
    assert nodes(cloud)["compute2"]["pid"] not in (pid, None)
    assert wait_for(lambda: compute_state(cloud, "compute2") == "up", timeout=30)
    vm1 = cloud.cli_json("server", "show", "vm1", cloud="minicloud-admin")
    assert vm1["status"] == "ACTIVE" and vm1["OS-EXT-SRV-ATTR:host"] == "compute2"
    log = cloud.cli("console", "log", "show", "vm1", cloud="minicloud-admin").stdout
    assert "instance recovered" in log  # the new nova-compute took it back


def test_bus_watch_reads_the_firehose_and_queues_come_from_the_broker(live):
    """`minicloud bus` over RabbitMQ: the build cast to compute1, copied by the broker's
    firehose (on only while watched), and the vhost's queues as rabbitmqctl lists them."""
    cloud, _ = live
    watcher = subprocess.Popen(
        [sys.executable, "-m", "minicloud", "--home", str(cloud.home), "bus", "watch", "-f",
         "json", "--method", "build_and_run_instance", "--count", "1", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    said = watcher.stderr.readline()
    assert "firehose is on" in said, said + watcher.stderr.read()
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--availability-zone", "nova:compute1",
                            "--wait", "bus-vm", cloud="minicloud-admin")
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    build = json.loads(out)
    assert (build["exchange"], build["key"], build["sender"]) == (
        "minicloud", "compute.compute1", "nova-conductor")
    vhost = unquote(urlsplit(cloud.config.transport_url).path.lstrip("/"))
    tracing = subprocess.run(["rabbitmqctl", "-q", "list_vhosts", "name", "tracing"],
                             capture_output=True, text=True).stdout
    assert f"{vhost}\tfalse" in tracing  # the firehose is off again
    rows = {r["name"]: r for r in json.loads(minicloud("bus", "queues", "-f", "json",
                                                       home=cloud.home).stdout)}
    assert rows["compute.compute1"]["consumers"] == 1
    assert any(name.startswith("reply_") for name in rows)  # RabbitMQ's own reply queues
    cloud.cli("server", "delete", "--wait", server["id"], cloud="minicloud-admin")


def test_concurrent_boots_never_overfill_a_host_nor_share_an_address(live):
    """vm1 and vm2 hold one place on each host: 6 of 8 servers sent at once find room."""
    cloud, _ = live
    conn = cloud.sdk()
    image, network = conn.image.find_image("cirros"), conn.network.find_network("private")

    def boot(i):
        return cloud.sdk().compute.create_server(
            name=f"race{i}", image_id=image.id, flavor_id="1",
            networks=[{"uuid": network.id}]).id

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(boot, range(8)))

    def settled():
        servers = [conn.compute.get_server(i) for i in ids]
        return servers if all(s.status in ("ACTIVE", "ERROR") for s in servers) else None

    servers = wait_for(settled, timeout=60)
    assert servers, "the servers did not settle"
    assert sorted(s.status for s in servers) == ["ACTIVE"] * 6 + ["ERROR"] * 2
    assert all("No valid host" in s.fault["message"] for s in servers if s.status == "ERROR")
    addresses = [port.fixed_ips[0]["ip_address"] for port in conn.network.ports()
                 if port.device_owner.startswith("compute:")]
    assert len(addresses) == 8 and len(set(addresses)) == 8  # vm1, vm2 and the six
    admin = cloud.sdk("minicloud-admin")
    hosts = collections.Counter(s.compute_host for s in admin.compute.servers(
        details=True, all_projects=True) if s.status == "ACTIVE")
    assert hosts == {"compute1": 4, "compute2": 4}  # full, never more
    for server in servers:
        conn.compute.delete_server(server.id)


def test_node_stop_is_a_clean_sigterm(live):
    cloud, _ = live
    pid = nodes(cloud)["network"]["pid"]
    stopped = minicloud("node", "stop", "network", home=cloud.home)
    assert stopped.returncode == 0 and "network: stopped" in stopped.stdout
    assert not alive(pid)
    assert "*** Stopping node network" in (cloud.home / "logs" / "network.log").read_text()
    assert minicloud("node", "start", "network", home=cloud.home).returncode == 0
    assert nodes(cloud)["network"]["running"]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_down_leaves_no_process_port_or_socket(live):
    cloud, _ = live
    pids = [n["pid"] for n in nodes(cloud).values()]
    ports = [cloud.config.port(s) for s in cloud.config.services] + [
        cloud.config.storage_port(i) for i in range(cloud.config.storage_nodes)]
    assert minicloud("down", home=cloud.home).returncode == 0
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=20)
    assert all(port_free(port) for port in ports)
    assert not (cloud.home / "control.sock").exists()
    assert not (cloud.home / "minicloud.pid").exists()
