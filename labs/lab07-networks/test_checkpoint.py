"""Lab 07 checkpoints (the Docker mode): lab7-vm1 on compute1 and lab7-vm2 on compute2;
the learner's answers about the plan's networks, recorded on lab7-vm1 as properties
(data_nodes, ext_node, vni, compute_queue, compute2_stopped); their capture of the ping
in VXLAN ($LAB07/vxlan.pcap, in the cloud's data directory); compute2's container stopped
and started again.

Every answer is compared with the running cloud: the Docker networks each container is
attached to, the network's VNI, the packets in the capture, the queues in the controller's
RabbitMQ and compute2's container. Run with `make lab-check LAB=07`. Each test is one step
of the guide; its assertion message is the hint the learner sees, and a hint never gives
the answer away. PYTEST_DONT_REWRITE: show the hints as written.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from minicloud import pcap
from minicloud.config import Config
from minicloud.topology import SHORT, Topology

ADMIN = "openstack --os-cloud minicloud-admin"
SERVERS = {"lab7-vm1": "compute1", "lab7-vm2": "compute2"}
NETWORK = "private"


@pytest.fixture(scope="module")
def cloud(lab_cloud) -> Config:
    config = Config.load(lab_cloud.home)
    assert config.mode == "docker", (
        f"Lab 07 is about the Docker mode, and this cloud runs in the {config.mode} mode. "
        f"Start the Docker mode:\n  make lab-down\n  make lab-up MODE=docker")
    return config


@pytest.fixture(scope="module")
def engine(cloud):
    from minicloud.dockermode import engine as docker_engine

    try:
        return docker_engine.connect()
    except docker_engine.NoEngine as exc:
        raise AssertionError(f"Docker does not answer: {exc}") from None


def _container(cloud, engine, node: str):
    from docker.errors import NotFound

    name = f"{cloud.netns_prefix}-{node}"
    try:
        return engine.containers.get(name)
    except NotFound:
        raise AssertionError(f"There is no container {name}: is the cloud up? "
                             f"(`minicloud status`, `docker ps`)") from None


def _servers(admin) -> dict:
    found = {name: None for name in SERVERS}
    for server in admin.compute.servers(all_projects=True):
        if server.name in found:
            found[server.name] = server
    return found


def _vm1(admin):
    server = _servers(admin)["lab7-vm1"]
    assert server is not None, "First boot lab7-vm1 and lab7-vm2 (checkpoint 1)."
    return admin.compute.get_server(server.id)


def _answer(server, key: str) -> str:
    return str((server.metadata or {}).get(key, "")).strip()


def _record(key: str) -> str:
    return f"  {ADMIN} server set --property {key}=VALUE lab7-vm1"


def _address(server) -> str | None:
    for entry in (server.addresses or {}).get(NETWORK, []):
        if entry.get("version", 4) == 4:
            return entry["addr"]
    return None


def _attached(cloud, engine) -> dict[str, set[str]]:
    """Network (the plan's name) -> the nodes whose containers are attached to it."""
    found: dict[str, set[str]] = {net: set() for net in SHORT}
    for node in Topology.from_config(cloud).nodes:
        networks = _container(cloud, engine, node.name).attrs["NetworkSettings"]["Networks"]
        for net, short in SHORT.items():
            if f"{cloud.netns_prefix}-{short}" in networks:
                found[net].add(node.name)
    return found


def test_two_servers_on_two_compute_containers(cloud, admin):
    """lab7-vm1 on compute1 and lab7-vm2 on compute2 are ACTIVE on the network private."""
    servers = _servers(admin)
    for name, host in SERVERS.items():
        server = servers[name]
        create = (f"{ADMIN} server create --image cirros --flavor m1.tiny \\\n"
                  f"      --network {NETWORK} --availability-zone nova:{host} --wait {name}")
        assert server is not None, f"There is no server {name} yet. Boot it on {host}:\n  {create}"
        assert server.compute_host == host, (
            f"{name} runs on {server.compute_host}, not on {host}: this lab looks at the "
            f"tunnel between two compute containers. Delete it and boot it again:\n"
            f"  {ADMIN} server delete --wait {name}\n  {create}")
        assert server.status == "ACTIVE", (
            f"{name} is {server.status}, not ACTIVE: `{ADMIN} server show {name}` says why.")
        assert _address(server) is not None, (
            f"{name} has no address on {NETWORK}: boot it again with --network {NETWORK}.")


def test_the_networks_of_each_node_are_named(cloud, engine, admin):
    """data_nodes and ext_node name the containers on the data and external networks."""
    server = _vm1(admin)
    attached = _attached(cloud, engine)
    data = {n.strip() for n in _answer(server, "data_nodes").split(",") if n.strip()}
    assert data, (
        f"lab7-vm1 has no property data_nodes yet. Which nodes are on the data network? "
        f"`docker network inspect {cloud.netns_prefix}-data` or `minicloud nodes` tell; "
        f"record them, separated by commas:\n{_record('data_nodes')}")
    assert data == attached["data"], (
        f"data_nodes says {', '.join(sorted(data))}, but the containers attached to "
        f"{cloud.netns_prefix}-data are not those. Look again: the data network carries the "
        f"tenants' traffic between the nodes that run a Linux bridge agent.")
    ext = _answer(server, "ext_node")
    assert ext, (f"lab7-vm1 has no property ext_node yet: which node alone is on the external "
                 f"network?\n{_record('ext_node')}")
    assert {ext} == attached["external"], (
        f"ext_node says {ext}, but that container is not the one attached to "
        f"{cloud.netns_prefix}-ext. Which node holds the routers' gateways?")


def test_the_ping_in_vxlan_is_captured_on_the_data_network(cloud, admin):
    """$LAB07/vxlan.pcap holds the ping between the two servers, in VXLAN."""
    how = (f"LAB07={cloud.home}/lab07; mkdir -p $LAB07\n"
           f"  minicloud capture compute2 data --count 6 --filter 'udp port 4789' "
           f"-w $LAB07/vxlan.pcap &\n"
           f"  minicloud console lab7-vm1 -- ping -c 5 <lab7-vm2's address>; wait")
    path = cloud.home / "lab07" / "vxlan.pcap"
    assert path.is_file(), f"There is no capture {path} yet. Make it:\n  {how}"
    try:
        frames = pcap.packets(path.read_bytes())
    except ValueError as exc:
        raise AssertionError(f"{path} cannot be read: {exc}. Capture again:\n  {how}") from None
    tunnelled = [v for v in map(pcap.vxlan, frames) if v is not None]
    assert tunnelled, (
        f"{path} holds {len(frames)} packets, none of them VXLAN (UDP {pcap.VXLAN_PORT}). "
        f"Was lab7-vm1 pinging lab7-vm2 while you captured compute2's data interface?\n  {how}")
    servers = _servers(admin)
    assert all(servers.values()), "First boot lab7-vm1 and lab7-vm2 (checkpoint 1)."
    vni = admin.network.find_network(NETWORK).provider_segmentation_id
    wanted = frozenset(_address(s) for s in servers.values())
    pings = {frozenset(pcap.ping(v[3]) or ()) for v in tunnelled if v[2] == vni}
    assert wanted in pings, (
        f"No ping between lab7-vm1 and lab7-vm2 ({' and '.join(sorted(wanted))}) is inside "
        f"the VXLAN packets of {NETWORK} in {path}. Capture while the ping runs:\n  {how}")
    plan = Topology.from_config(cloud)
    ends = frozenset(plan.node(host).address("data") for host in SERVERS.values())
    outer = {frozenset(v[:2]) for v in tunnelled if v[2] == vni and pcap.ping(v[3])}
    assert ends in outer, (
        f"The ping's VXLAN packets should travel between compute1's and compute2's data "
        f"addresses ({' and '.join(sorted(ends))}); these do not.")


def test_the_vni_is_read_from_the_capture(cloud, admin):
    """vni is the VXLAN network identifier the capture shows for the ping."""
    server = _vm1(admin)
    answer = _answer(server, "vni")
    assert answer, (f"lab7-vm1 has no property vni yet. tcpdump prints it on each VXLAN "
                    f"packet (`tcpdump -nr $LAB07/vxlan.pcap`); record it:\n{_record('vni')}")
    vni = admin.network.find_network(NETWORK).provider_segmentation_id
    assert answer == str(vni), (
        f"vni says {answer}, but the packets of {NETWORK} carry another number. Read the "
        f"`vni` field of the ping's packets in `tcpdump -nr $LAB07/vxlan.pcap`.")


def test_the_queue_of_compute2_is_named(cloud, engine, admin):
    """compute_queue names the RabbitMQ queue compute2's nova-compute consumes."""
    server = _vm1(admin)
    answer = _answer(server, "compute_queue")
    controller = f"{cloud.netns_prefix}-controller"
    look = f"docker exec {controller} rabbitmqctl list_queues name consumers"
    assert answer, (f"lab7-vm1 has no property compute_queue yet. List the queues while you "
                    f"boot a server on compute2:\n  {look}\nand record the one that "
                    f"carried the build:\n{_record('compute_queue')}")
    vhost = unquote(urlsplit(cloud.transport_url).path[1:]) or "/"
    code, out = _container(cloud, engine, "controller").exec_run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "consumers"])
    assert code == 0, f"rabbitmqctl in {controller} failed: {out.decode()}"
    queues = dict(line.split("\t") for line in out.decode().strip().splitlines()[1:])
    assert answer in queues, (
        f"compute_queue says {answer}, but the broker has no queue of that name: copy it "
        f"from\n  {look}")
    assert answer.endswith(".compute2") and answer.split(".")[0] == "compute", (
        f"{answer} is a queue, but not the one through which nova-conductor asks compute2's "
        f"nova-compute to build: its name is the RPC topic, a dot, and the host.")


def test_compute2_was_stopped_seen_down_and_started(cloud, engine, admin):
    """compute2's container was stopped (its service seen down) and started again."""
    server = _vm1(admin)
    container = _container(cloud, engine, "compute2")
    logs = container.logs().decode(errors="replace")
    how = (f"  docker stop {container.name}\n"
           f"  {ADMIN} compute service list --service nova-compute   # until compute2 is down\n"
           f"{_record('compute2_stopped')}\n  docker start {container.name}")
    assert "*** init: stopped" in logs and logs.count("*** Node compute2 is up") >= 2, (
        f"{container.name} has not been stopped and started again since the cloud started:"
        f"\n{how}")
    seen = _answer(server, "compute2_stopped")
    assert seen, (f"lab7-vm1 has no property compute2_stopped: while compute2's container "
                  f"was stopped, what State did `compute service list` show for it?\n{how}")
    assert seen == "down", (
        f"compute2_stopped says {seen}. Nova shows a service down only once it has missed "
        f"its heartbeats for service_down_time ({cloud.service_down_time:g} s): stop the "
        f"container again and wait for it.\n{how}")
    services = {s.host: s.state for s in admin.compute.services(binary="nova-compute")}
    assert services.get("compute2") == "up", (
        f"compute2's nova-compute is {services.get('compute2')} now: start its container "
        f"again (`docker start {container.name}`) and wait until it is up.")
