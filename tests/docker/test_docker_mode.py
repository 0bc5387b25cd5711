"""The Docker mode: `minicloud up --mode docker` runs each node of the plan as a container
on four Docker networks (dockermode/launcher.py). Driven from the host with the real
minicloud, openstack and swift commands, and the Docker SDK to look inside. Its networks,
containers and volumes are named `mcd-...` (Config.netns_prefix), so a learner's cloud
(`mc-...`) is never touched.

One cloud for the module, under the netns tests' plan lock (both put bridges on the plan's
subnets); `down` is the last test."""

from __future__ import annotations

import fcntl
import json
import subprocess

import pytest
import requests

from minicloud.config import Config
from minicloud.dockermode.launcher import LABEL
from tests.docker.conftest import PLAN_LOCK
from tests.fakes import wait_for
from tests.livecloud import LiveCloud, minicloud, swift

PREFIX = "mcd"
# A cold image build (minutes) and the cloud's start are part of the first test's setup.
pytestmark = pytest.mark.timeout(900)
NODES = ("controller", "network", "compute1", "compute2", "storage1", "storage2", "storage3")


def host_links() -> set[str]:
    """The host's links that are not plugged into a bridge (a veth whose container is gone
    stays so); other containers' veths, plugged into docker0, come and go meanwhile."""
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout
    return {link["ifname"] for link in json.loads(out) if not link.get("master")}


@pytest.fixture(scope="module")
def live(tmp_path_factory, docker_client, node_image):
    with open(PLAN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        home = tmp_path_factory.mktemp("docker")
        Config(home=home, netns_prefix=PREFIX, scrypt_n=2**10, report_interval=1,
               service_down_time=6, agent_report_interval=1, agent_down_time=5).save()
        for volume in docker_client.volumes.list():  # a crashed run's
            if volume.name.startswith(f"{PREFIX}-"):
                volume.remove(force=True)
        links_before = host_links()
        cloud = LiveCloud(home)
        try:
            cloud.up("--mode", "docker", "--no-user-config", timeout=300)
        except BaseException:
            cloud.down()  # removes what a launcher that failed left
            raise
        cloud.links_before = links_before
        yield cloud
        cloud.down()
        reset = minicloud("reset", home=home)
        assert reset.returncode == 0, reset.stderr
        assert not [v.name for v in docker_client.volumes.list()
                    if v.name.startswith(f"{PREFIX}-")]


def container(docker_client, node: str):
    return docker_client.containers.get(f"{PREFIX}-{node}")


def run_in(docker_client, node: str, *cmd: str) -> str:
    code, out = container(docker_client, node).exec_run(list(cmd))
    assert code == 0, f"{cmd} in {node}: {out.decode()}"
    return out.decode()


def console(cloud, server: str, *cmd: str) -> subprocess.CompletedProcess:
    return minicloud("console", server, "--", *cmd, home=cloud.home, env=cloud.env)


def boot(cloud, name: str, host: str) -> dict:
    return cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                          "--network", "private", "--availability-zone", f"nova:{host}",
                          "--wait", name, cloud="minicloud-admin")


@pytest.fixture(scope="module")
def servers(live):
    return {"vm1": boot(live, "vm1", "compute1"), "vm2": boot(live, "vm2", "compute2")}


def ip_of(server: dict) -> str:
    addresses = server["addresses"]
    if isinstance(addresses, str):  # older OSC: "private=172.16.1.3"
        return addresses.split("=")[1].split(",")[0]
    return addresses["private"][0]


def test_each_node_is_a_container_on_its_networks(live, docker_client):
    result = minicloud("nodes", "-f", "json", home=live.home)
    assert result.returncode == 0, result.stderr
    nodes = {n["name"]: n for n in json.loads(result.stdout)}
    assert set(nodes) == set(NODES)
    for name, node in nodes.items():
        found = container(docker_client, name)
        assert node["running"] and node["container_id"] == found.short_id
        assert found.attrs["Config"]["Hostname"] == name
        assert set(found.attrs["HostConfig"]["CapAdd"]) == {"NET_ADMIN", "SYS_ADMIN"}
        assert not found.attrs["HostConfig"]["Privileged"]
    subnets = {n.name: n.attrs["IPAM"]["Config"][0]["Subnet"]
               for n in docker_client.networks.list(filters={"label": LABEL})}
    assert {k: v for k, v in subnets.items() if k.startswith(PREFIX)} == {
        f"{PREFIX}-mgmt": "10.0.0.0/24", f"{PREFIX}-data": "10.0.1.0/24",
        f"{PREFIX}-ext": "203.0.113.0/24", f"{PREFIX}-api": "198.51.100.0/24"}
    inside = run_in(docker_client, "compute1", "ip", "-br", "addr")
    assert "mgmt" in inside and "10.0.0.31/24" in inside
    assert "data" in inside and "10.0.1.31/24" in inside
    assert "203.0.113" not in inside  # a compute node is not on the external network


def test_the_api_is_published_on_the_host_and_internal_on_management(live):
    endpoints = live.cli_json("endpoint", "list", "--service", "compute",
                              cloud="minicloud-admin")
    urls = {e["Interface"]: e["URL"] for e in endpoints}
    assert urls["public"].startswith(f"http://127.0.0.1:{live.config.port('compute')}")
    assert urls["internal"].startswith("http://10.0.0.11:")


def test_the_dashboard_is_published_on_the_host(live):
    page = requests.get(f"{live.config.base_url('dashboard')}/auth/login", timeout=30)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text


def test_servers_on_two_compute_containers_ping_over_vxlan(live, servers, docker_client):
    hosts = {name: live.cli_json("server", "show", name, cloud="minicloud-admin")
             ["OS-EXT-SRV-ATTR:host"] for name in servers}
    assert hosts == {"vm1": "compute1", "vm2": "compute2"}
    vni = live.cli_json("network", "show", "private",
                        cloud="minicloud-admin")["provider:segmentation_id"]
    capture = container(docker_client, "compute2").exec_run(
        ["timeout", "15", "tcpdump", "-nli", "data", "-c", "4", "udp", "port", "4789"],
        stream=True)
    pinged = console(live, "vm1", "ping", "-c", "3", "-W", "2", ip_of(servers["vm2"]))
    assert pinged.returncode == 0, pinged.stdout + pinged.stderr
    seen = b"".join(capture.output).decode()
    assert "VXLAN" in seen and f"vni {vni}" in seen, seen


def test_a_floating_ip_answers_from_the_host(live, servers):
    group = live.cli_json("server", "show", "vm1", cloud="minicloud-admin")["security_groups"]
    live.cli("security", "group", "rule", "create", "--protocol", "icmp", "--project", "admin",
             group[0]["name"], cloud="minicloud-admin")
    fip = live.cli_json("floating", "ip", "create", "public",
                        cloud="minicloud-admin")["floating_ip_address"]
    live.cli("server", "add", "floating", "ip", "vm1", fip, cloud="minicloud-admin")
    assert wait_for(lambda: subprocess.run(["ping", "-c", "1", "-W", "1", fip],
                                           capture_output=True).returncode == 0, timeout=15)


def test_a_volume_of_the_storage_node_is_a_disk_of_a_compute_node(live, servers, docker_client):
    volume = live.cli_json("volume", "create", "--size", "1", "v1", cloud="minicloud-admin")
    assert wait_for(lambda: live.cli_json("volume", "show", "v1", cloud="minicloud-admin")
                    ["status"] == "available", timeout=20)
    live.cli("server", "add", "volume", "vm2", "v1", cloud="minicloud-admin")
    assert wait_for(lambda: live.cli_json("volume", "show", "v1", cloud="minicloud-admin")
                    ["status"] == "in-use", timeout=20)
    wrote = console(live, "vm2", "sh", "-c", "echo written-in-vm2 > /mnt/vdb")
    assert wrote.returncode == 0, wrote.stderr
    on_storage = run_in(docker_client, "storage1", "sh", "-c",
                        f"cat /var/lib/minicloud/storage/storage1/cinder-volumes/*{volume['id']}*")
    assert "written-in-vm2" in on_storage


def test_objects_land_on_the_storage_containers(live, docker_client, tmp_path):
    (tmp_path / "hello.txt").write_text("hello from the host\n")
    swift(live, "upload", "box", "hello.txt", cwd=tmp_path)
    copies = [run_in(docker_client, f"storage{i}", "sh", "-c",
                     "find /var/lib/minicloud/storage -name '*.data'") for i in (1, 2, 3)]
    assert all(c.strip() for c in copies), copies  # three replicas, one on each node
    # the trace is in the controller's container: `trace last` runs there (docker exec)
    trace = minicloud("trace", "last", home=live.home, env=live.env)
    assert trace.returncode == 0, trace.stderr
    assert "PUT /v1/" in trace.stdout
    assert all(f"swift-object-storage{i}" in trace.stdout for i in (1, 2, 3)), trace.stdout


def test_rabbitmq_runs_in_the_controller_with_the_nodes_queues(live, docker_client):
    # the controller's own broker: the cloud uses its default vhost, as the install guide's
    # `openstack` user does, so rabbitmqctl needs no -p
    out = run_in(docker_client, "controller", "rabbitmqctl", "-q", "list_queues",
                 "name", "consumers")
    rows = dict(line.split("\t") for line in out.strip().splitlines()[1:])
    assert rows["compute.compute1"] == "1" and rows["compute.compute2"] == "1"


def test_an_agent_stopped_in_its_container_is_dead_until_started(live):
    def l3_alive() -> bool:
        rows = live.cli_json("network", "agent", "list", "--agent-type", "l3",
                             cloud="minicloud-admin")
        return {r["Host"]: r["Alive"] for r in rows}["network"]

    stopped = minicloud("agent", "stop", "l3", home=live.home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    try:
        assert wait_for(lambda: not l3_alive(), timeout=30, interval=0.5)
    finally:
        started = minicloud("agent", "start", "l3", home=live.home)
    assert started.returncode == 0, started.stdout + started.stderr
    assert wait_for(l3_alive, timeout=30, interval=0.5)


def test_the_broker_in_the_controller_stops_and_starts(live):
    def all_alive() -> bool:
        rows = live.cli_json("network", "agent", "list", cloud="minicloud-admin")
        return all(r["Alive"] for r in rows)

    stopped = minicloud("broker", "stop", home=live.home)  # runs in mcd-controller
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    try:
        assert "STOPPED" in minicloud("broker", "status", home=live.home).stdout
        assert wait_for(lambda: not all_alive(), timeout=30, interval=0.5)
    finally:
        started = minicloud("broker", "start", home=live.home)
    assert started.returncode == 0, started.stdout + started.stderr
    assert wait_for(all_alive, timeout=60, interval=0.5)


def test_a_stopped_compute_container_is_down_and_comes_back(live, servers, docker_client):
    def state() -> str:
        rows = live.cli_json("compute", "service", "list", "--service", "nova-compute",
                             cloud="minicloud-admin")
        return {r["Host"]: r["State"] for r in rows}["compute2"]

    container(docker_client, "compute2").stop(timeout=10)
    assert wait_for(lambda: state() == "down", timeout=30)
    container(docker_client, "compute2").start()
    assert wait_for(lambda: state() == "up", timeout=60)
    assert live.cli_json("server", "show", "vm2", cloud="minicloud-admin")["status"] == "ACTIVE"
    pinged = console(live, "vm1", "ping", "-c", "2", "-W", "2", ip_of(servers["vm2"]))
    assert pinged.returncode == 0, pinged.stdout + pinged.stderr


def test_down_leaves_no_container_network_or_link(live, docker_client):
    result = live.down()
    assert result.returncode == 0, result.stderr
    assert not [c.name for c in docker_client.containers.list(all=True)
                if c.name.startswith(f"{PREFIX}-")]
    assert not [n.name for n in docker_client.networks.list() if n.name.startswith(f"{PREFIX}-")]
    # a container's veth goes with its network namespace, which the kernel frees in its
    # own time (a minute, on a loaded machine)
    assert wait_for(lambda: host_links() <= live.links_before, timeout=180, interval=1), \
        host_links()
    assert docker_client.volumes.get(f"{PREFIX}-controller")  # the cloud's state is kept
