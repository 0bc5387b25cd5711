"""The Docker launcher (`minicloud up --mode docker`): each node of the plan (topology.py)
a container from the node image (image.py), on four Docker networks.

    networks     PREFIX-mgmt 10.0.0.0/24, PREFIX-data 10.0.1.0/24, PREFIX-ext 203.0.113.0/24,
                 PREFIX-api 198.51.100.0/24: bridge networks (the host's side of each, .1,
                 is a bridge of the same name); made if missing, reused if they match
    containers   PREFIX-controller, PREFIX-network, PREFIX-compute1, ...: host name = node
                 name, the plan's address on each of the node's networks, the capabilities
                 NET_ADMIN and SYS_ADMIN (namespaces, bridges, VXLAN, nftables, mounts)
                 and nothing more; the command is the container's init (entry.py) with
                 the node's role and name
    volumes      PREFIX-NODE at /var/lib/minicloud (the node's state: its databases, its
                 servers, its disks), kept by `minicloud down`; PREFIX-cinder-volumes,
                 the volume backend's directory, mounted at the same path on the storage
                 node that serves it and on every compute node (the NFS share of Cinder's
                 NFS driver: Docker has no NFS server to give, a shared volume is the share)
    ports        the controller's APIs published on 127.0.0.1 with the ports of the other
                 modes, so the clouds.yaml that `minicloud up` writes works unchanged

Before it starts, the launcher writes each node's configuration into the node's volume as
/var/lib/minicloud/minicloud.json, mode 0600 (the controller's with the users' passwords,
the others' without, as in the processes mode): the RabbitMQ URL of the broker inside the
controller, Keystone's internal URL, the node's addresses. This launcher stays on the host
(the process `minicloud up` starts) to answer `minicloud nodes` and `minicloud node
stop|kill|start` with the engine's view; `minicloud down` stops and removes the containers
and networks and keeps the volumes. Nothing is shelled out to the docker CLI.
"""

from __future__ import annotations

import dataclasses
import io
import secrets
import tarfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from minicloud.broker import url as broker_url
from minicloud.config import CONFIG_FILE, USERS_SECRETS
from minicloud.control import ControlServer
from minicloud.dockermode import NODE_ENV, engine, image, service_ready
from minicloud.node import PlannedNode
from minicloud.topology import CONTROLLER, NETWORKS, SHORT, Topology

STATE = "/var/lib/minicloud"  # entry.STATE, without importing the container's side
CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN"]
LABEL = "org.minicloud.cloud"  # on every network, container and volume: the data directory
BROKER_USER = "minicloud"
START_TIMEOUT = 150.0  # seconds for every node to say it is up (a loaded machine: minutes)
STOP_TIMEOUT = 10  # docker stop: SIGTERM, then SIGKILL after this many seconds


class DockerError(Exception):
    """The engine refused, a subnet clashes, or a node did not come up; str() says why."""


def network_name(prefix: str, network: str) -> str:
    return f"{prefix}-{SHORT[network]}"


def inner_config(config):
    """The configuration the nodes run with inside their containers."""
    controller = Topology.from_config(config).node(CONTROLLER)
    return dataclasses.replace(
        config, home=Path(STATE), host="127.0.0.1", bind_host="0.0.0.0",
        internal_host=controller.address("management"), own_addresses=True,
        dataplane="linux", compute_driver="netns")


def broker_in_controller(config) -> str:
    """The transport URL of the controller's RabbitMQ: the one saved, or a new password.
    The broker is the cloud's alone, so it uses the default vhost `/`, as the install
    guide's `openstack` user does."""
    host = Topology.from_config(config).node(CONTROLLER).address("management")
    if f"@{host}:" in config.transport_url:
        return config.transport_url
    return broker_url(BROKER_USER, secrets.token_hex(16), "/", host)


def prepare(config, say=print) -> bool:
    """Before `minicloud up` starts the launcher in the background: an engine answers (or
    say how to start one) and the node image is built (a cold build takes minutes, with
    its progress shown here, not in the log)."""
    try:
        image.ensure(engine.connect(), say=say)
    except (engine.NoEngine, image.ImageError) as exc:
        say(f"The Docker mode cannot start: {exc}")
        return False
    return True


class ContainerNode(PlannedNode):
    """A node of the plan running as a container; the launcher's handle on it."""

    def __init__(self, spec, cloud: "DockerCloud"):
        self.spec, self.cloud = spec, cloud
        self.container = None
        self.when_all_up: list = []

    @property
    def container_name(self) -> str:
        return f"{self.cloud.prefix}-{self.name}"

    @property
    def ready_lines(self) -> list[bytes]:
        """What the container's output says once the node is up: each of the controller's
        service processes, or the node's `minicloud node run`."""
        if self.role == "controller":
            return [service_ready(s).encode() for s in self.cloud.config.services]
        return [f"*** Node {self.name} is up".encode()]

    def refresh(self) -> dict:
        self.container.reload()
        return self.container.attrs["State"]

    @property
    def running(self) -> bool:
        return bool(self.container is not None and self.refresh()["Running"])

    @property
    def pid(self) -> int | None:
        """The init's PID on the host (the engine's `State.Pid`); None when stopped."""
        return (self.refresh()["Pid"] or None) if self.container is not None else None

    def wait_up(self, since: datetime, timeout: float = START_TIMEOUT) -> None:
        """Until the container's output (since `since`) says the node is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = self.container.logs(since=since)
            if all(line in logs for line in self.ready_lines):
                return
            state = self.refresh()
            if not state["Running"]:
                raise DockerError(f"container {self.container_name} exited with status "
                                  f"{state['ExitCode']}: {self._tail()}")
            time.sleep(0.25)
        raise DockerError(f"node {self.name} did not come up within {timeout:.0f} s: "
                          f"{self._tail()}")

    def _tail(self) -> str:
        lines = self.container.logs(tail=8).decode(errors="replace").strip()
        return f"its last lines (docker logs {self.container_name}):\n{lines}"

    def start(self) -> None:
        since = datetime.now(timezone.utc)
        self.container.start()
        self.wait_up(since)

    def stop(self) -> None:
        self.container.stop(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        self.container.kill()


class DockerCloud:
    """Every node a container; this process on the host is their launcher."""

    def __init__(self, config, say=print):
        self.config, self.say = config, say
        self.prefix = config.netns_prefix
        self.topology = Topology.from_config(config)
        self.client = None
        self.nodes: dict[str, ContainerNode] = {
            spec.name: ContainerNode(spec, self) for spec in self.topology.nodes}
        self.networks: dict[str, object] = {}
        self.control: ControlServer | None = None

    # -- starting ---------------------------------------------------------------------------
    def start(self) -> None:
        t0 = time.monotonic()
        try:
            self.client = engine.connect()
        except engine.NoEngine as exc:
            raise DockerError(str(exc)) from None
        self.config.transport_url = broker_in_controller(self.config)
        self.config.home.mkdir(parents=True, exist_ok=True)
        self.config.save()
        self.say(f"*** Data directory: {self.config.home} (each node's state: a Docker "
                 f"volume {self.prefix}-NODE)")
        node_image = image.ensure(self.client, say=self.say)
        self.say(f"*** Node image: {node_image.tag}")
        try:
            self._make_networks()
            for node in self.nodes.values():
                self._create(node, node_image.tag)
            since = datetime.now(timezone.utc)
            for node in self.nodes.values():  # the others wait in their init for Keystone
                node.container.start()
                self.say(f"*** Starting node {node.name} ({node.role}) in container "
                         f"{node.container_name}: {', '.join(node.spec.services)}")
            self._wait_all(since)
        except BaseException:
            self.stop()  # no container or network outlives a start that failed
            raise
        self.control = ControlServer(self.config.home, self.answer).start()
        self.say(f"*** Cloud ready in {time.monotonic() - t0:.2f} s")

    def _wait_all(self, since: datetime) -> None:
        errors: list[Exception] = []

        def wait(node: ContainerNode) -> None:
            try:
                node.wait_up(since)
                self.say(f"    {node.name} is up")
            except DockerError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=wait, args=(n,)) for n in self.nodes.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _make_networks(self) -> None:
        from docker.types import IPAMConfig, IPAMPool

        existing = self.client.networks.list()
        for key, net in NETWORKS.items():
            name = network_name(self.prefix, key)
            found = next((n for n in existing if n.name == name), None)
            subnets = {n.name: [c.get("Subnet") for c in (n.attrs.get("IPAM") or {})
                                .get("Config") or []] for n in existing}
            if found is not None:
                if subnets[name] != [net.cidr]:
                    raise DockerError(f"the Docker network {name} exists with subnet "
                                      f"{subnets[name]}, not {net.cidr}: remove it "
                                      f"(docker network rm {name})")
                self.networks[key] = found
                continue
            clash = [other for other, cidrs in subnets.items() if net.cidr in cidrs]
            if clash:
                raise DockerError(f"the {key} network's subnet {net.cidr} is taken by the "
                                  f"Docker network {clash[0]}: remove it or stop what uses it")
            ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=net.cidr, gateway=net.address(1))])
            self.networks[key] = self.client.networks.create(
                name, driver="bridge", ipam=ipam, labels={LABEL: str(self.config.home)},
                options={"com.docker.network.bridge.name": name})
            self.say(f"*** Network {name} {net.cidr} ({net.purpose})")

    def _create(self, node: ContainerNode, tag: str) -> None:
        api, spec = self.client.api, node.spec
        self._remove_container(node.container_name)  # left by a launcher that was killed
        first, *others = spec.networks
        ports = {}
        if node.role == "controller":
            ports = {self.config.port(s): ("127.0.0.1", self.config.port(s))
                     for s in self.config.services}
        host_config = api.create_host_config(
            cap_add=CAPABILITIES, binds=self._binds(node), port_bindings=ports,
            init=False)
        endpoint = api.create_endpoint_config(ipv4_address=spec.address(first))
        created = api.create_container(
            tag, command=["python3", "-m", "minicloud.dockermode.entry", spec.role, spec.name],
            name=node.container_name, hostname=spec.name, host_config=host_config,
            ports=list(ports), environment={"MINICLOUD_HOME": STATE, NODE_ENV: spec.name},
            labels={LABEL: str(self.config.home), "org.minicloud.node": spec.name,
                    "org.minicloud.role": spec.role},
            networking_config=api.create_networking_config(
                {network_name(self.prefix, first): endpoint}))
        for key in others:
            api.connect_container_to_network(created["Id"], network_name(self.prefix, key),
                                             ipv4_address=spec.address(key))
        node.container = self.client.containers.get(created["Id"])
        node.container.put_archive(STATE, self._config_archive(node))

    def _binds(self, node: ContainerNode) -> dict:
        """The node's volume and, where it belongs, the volume backend's share; made here
        (with the cloud's label, which `minicloud reset` looks for) when missing."""
        binds = {f"{self.prefix}-{node.name}": {"bind": STATE, "mode": "rw"}}
        backend = self.config.volume_backend_host
        if node.role == "compute" or node.name == backend:
            share = f"{STATE}/storage/{backend}/cinder-volumes"
            binds[f"{self.prefix}-cinder-volumes"] = {"bind": share, "mode": "rw"}
        for volume in binds:
            self._volume(volume)
        return binds

    def _volume(self, name: str) -> None:
        """The volume `name`, made if missing; DockerError if it holds another cloud's state
        (another data directory's: its databases know other passwords)."""
        from docker.errors import NotFound

        home = str(self.config.home)
        try:
            owner = (self.client.volumes.get(name).attrs.get("Labels") or {}).get(LABEL)
        except NotFound:
            self.client.volumes.create(name, labels={LABEL: home})
            return
        if owner != home:
            raise DockerError(
                f"the Docker volume {name} holds the state of another cloud (data directory "
                f"{owner or 'unknown'}): remove that cloud's state with `minicloud --home "
                f"{owner or 'DIR'} reset`, or the volume with `docker volume rm {name}`")

    def _config_archive(self, node: ContainerNode) -> bytes:
        """minicloud.json for the node, written first into the host's data directory
        (nodes/NAME.json, as the processes mode keeps them), then as a tar for the engine."""
        leave_out = () if node.role == "controller" else USERS_SECRETS
        path = inner_config(self.config).write(self.config.path("nodes", f"{node.name}.json"),
                                               leave_out=leave_out)
        data = path.read_bytes()
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            info = tarfile.TarInfo(CONFIG_FILE)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        return out.getvalue()

    # -- the control socket -----------------------------------------------------------------
    def answer(self, request: dict) -> dict:
        op, name = request.get("op"), request.get("node")
        if op == "nodes":
            return {"mode": self.config.mode,
                    "nodes": [self.describe(node) for node in self.nodes.values()]}
        if op == "agent":
            return self._agent(request)
        if op not in ("stop", "start", "kill"):
            return {"error": f"{op!r}: the Docker mode answers nodes, agent, stop, start or kill "
                             f"(the broker: docker exec {self.prefix}-controller rabbitmqctl "
                             f"list_queues)"}
        node = self.nodes.get(name)
        if node is None:
            return {"error": f"no node {name!r}: {', '.join(self.nodes)}"}
        try:
            if op == "start" and not node.running:
                node.start()
            elif op == "kill" and node.running:
                node.kill()
            elif op == "stop" and node.running:
                node.stop()
        except DockerError as exc:
            return {"error": str(exc)}
        return {"node": self.describe(node)}

    def _agent(self, request: dict) -> dict:
        """`minicloud agent stop|start`: the node's own control socket answers, inside its
        container (node_process.py), reached with `docker exec`."""
        from minicloud.network import agent_control

        return agent_control.route(self.topology, self.nodes, request, self._ask_agent)

    @staticmethod
    def _ask_agent(node: ContainerNode, request: dict) -> dict:
        import json

        from minicloud.node_process import control_socket

        host = request["host"]
        code, out = node.container.exec_run(
            ["python3", "-m", "minicloud.control", STATE, control_socket(host),
             json.dumps(request)])
        try:
            return json.loads(out.decode().strip().splitlines()[-1]) if code == 0 else \
                {"error": f"node {host} did not answer: {out.decode().strip()}"}
        except (ValueError, IndexError):
            return {"error": f"node {host} gave no answer: {out.decode().strip()}"}

    def describe(self, node: ContainerNode) -> dict:
        listens = ([self.config.base_url(s) for s in self.config.services]
                   if node.role == "controller" else [])
        return {"name": node.name, "role": node.role, "pid": node.pid,
                "running": node.running, "addresses": node.spec.addresses,
                "services": list(node.spec.services), "listens": listens,
                "container": node.container_name,
                "container_id": node.container.short_id if node.container else None}

    # -- stopping ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Every container stopped (all at once) and removed, then the networks; the
        volumes stay (`minicloud reset` removes them)."""
        if self.control is not None:
            self.control.stop()
            self.control = None
        if self.client is None:
            return
        threads = [threading.Thread(target=self._remove_container,
                                    args=(n.container_name, n.name)) for n in self.nodes.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for key in NETWORKS:
            self._remove_network(network_name(self.prefix, key))
        self.client.close()

    def _remove_container(self, name: str, node: str | None = None) -> None:
        """Stop and remove the container; its output (`docker logs`) is kept in the data
        directory as logs/NODE.log, to read after `minicloud down` or a failed start."""
        from docker.errors import NotFound

        try:
            container = self.client.containers.get(name)
            container.stop(timeout=STOP_TIMEOUT)
            if node is not None:
                log = self.config.path("logs", f"{node}.log")
                log.parent.mkdir(mode=0o700, exist_ok=True)
                log.write_bytes(container.logs())
            container.remove(force=True)
        except NotFound:
            pass

    def remove_leftovers(self) -> None:
        """What a launcher that was killed left: its containers and networks."""
        try:
            self.client = engine.connect()
        except engine.NoEngine as exc:
            raise DockerError(str(exc)) from None
        self.stop()

    def remove_volumes(self) -> list[str]:
        """`minicloud reset`: the cloud's volumes (its nodes' state), with the cloud stopped."""
        self.client = self.client or engine.connect()
        removed = []
        for volume in self.client.volumes.list(filters={"label": LABEL}):
            if volume.attrs.get("Labels", {}).get(LABEL) == str(self.config.home):
                volume.remove(force=True)
                removed.append(volume.name)
        return removed

    def _remove_network(self, name: str) -> None:
        from docker.errors import NotFound

        try:
            network = self.client.networks.get(name)
        except NotFound:
            return
        if network.attrs.get("Labels", {}).get(LABEL) == str(self.config.home):
            network.remove()
