"""Configuration of one cloud: where its data lives, which ports it serves, how its parts talk.

Everything that differs between a learner's cloud and a test's cloud is here, so services
never read the environment themselves. `Config.load()` reads the environment and the
`minicloud.json` saved by `minicloud up` in the data directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import secrets
import socket
from pathlib import Path

# Service name -> (port, path after host:port in the catalog URL). Ports as in the
# OpenStack install guides, so the URLs a learner sees match real documentation.
SERVICE_PORTS = {
    "identity": 5000,
    "image": 9292,
    "compute": 8774,
    "network": 9696,
    "volume": 8776,
    "object": 8080,
    "dashboard": 8000,  # Horizon's web pages (not in the catalog: it is no API)
}

CONFIG_FILE = "minicloud.json"
# How `minicloud up` runs the nodes of the plan (topology.py): all in its own process, or
# each one (but the controller, which is the launcher's) as a child `minicloud node run`,
# in a network namespace of its own (netns), or each one in a container (docker).
MODES = ("in-process", "processes", "netns", "docker")
USERS_SECRETS = ("admin_password", "demo_password")  # the controller's alone


def _ephemeral_low() -> int:
    """The first port the kernel may hand an outgoing connection (ip_local_port_range)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset(storage_nodes: int = 9) -> int:
    """A `port_offset` at which every API port and storage node port is free, all of them
    below the kernel's ephemeral range: a port in it may be any client's for a moment, and
    a node that stops would then find its own port taken when it starts again. For test
    and bench clouds that run side by side on one machine."""
    ports = [*SERVICE_PORTS.values(),
             *(Config.storage_port_base + i for i in range(storage_nodes))]
    highest = _ephemeral_low() - 1 - max(ports)
    if highest <= 10000:
        raise RuntimeError("the ephemeral port range leaves no room for a cloud's ports")
    for _ in range(200):
        offset = random.randrange(10000, highest, 10)
        if all(_port_free(port + offset) for port in ports):
            return offset
    raise RuntimeError("no free port range for a cloud")


def default_home() -> Path:
    return Path(os.environ.get("MINICLOUD_HOME") or Path.home() / ".minicloud")


@dataclasses.dataclass
class Config:
    home: Path = dataclasses.field(default_factory=default_home)
    # Where clients reach the services (the catalog's URLs: the controller's address on the
    # API network), and where the servers listen: the same address unless `bind_host` says
    # otherwise (a container listens on 0.0.0.0 behind a published port).
    host: str = "127.0.0.1"
    bind_host: str | None = None
    # Where the other nodes reach the controller's services (the catalog's internal and
    # admin endpoints): its management address in the netns mode; None: `host`.
    internal_host: str | None = None
    # Whether each node has the plan's addresses (topology.py) in a network stack of its
    # own (netns mode): then a node is reached at its management address, else at `host`.
    own_addresses: bool = False
    netns_prefix: str = "mc"  # netns mode: mc-controller, mc-mgmt, ... (tests use "mct")
    port_offset: int = 0
    region: str = "RegionOne"
    transport_url: str = "memory://"
    mode: str = "in-process"  # one of MODES
    token_ttl: int = 3600
    admin_password: str = "secret"
    demo_password: str = "secret"
    # The services' own Keystone users (glance, nova, ...) share this generated password.
    service_password: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(18))
    token_cache_seconds: float = 5.0
    # How long one service waits for another. An RPC call waits rpc_response_timeout (oslo's
    # name; oslo's default is 60 s), a call that builds or moves a server rpc_long_timeout,
    # a status look-up the API must not hang on (an agent, cinder's services)
    # rpc_quick_timeout; a REST call to another service http_timeout.
    rpc_response_timeout: float = 30.0
    rpc_long_timeout: float = 60.0
    rpc_quick_timeout: float = 5.0
    http_timeout: float = 30.0
    # Threads that serve the RPC calls of each kind of server (oslo: executor_thread_pool_size).
    conductor_workers: int = 16
    compute_workers: int = 16
    scheduler_workers: int = 4  # nova-scheduler and cinder-scheduler each
    volume_workers: int = 4
    agent_workers: int = 1
    # scrypt cost: n=2**14, r=8, p=1 is the interactive-login cost recommended by its author.
    scrypt_n: int = 2**14
    # Threads of each API's waitress server (Swift's proxy has a thread per connection:
    # nodeserver.py, as eventlet serves Swift).
    waitress_threads: int = 8
    # Processes serving a controller API beside the launcher's own server, on the same port
    # (SO_REUSEPORT: the kernel spreads the connections), as uWSGI's `processes` serve
    # Keystone and Swift's `workers` its proxy: one interpreter lock per process. Used by
    # the processes mode only (api_workers_of); services that keep no state of their own
    # in memory may have them (api_worker.py).
    api_workers: dict = dataclasses.field(
        default_factory=lambda: {"identity": 1, "object": 1})
    # Neutron: VNIs of tenant (VXLAN) networks, agent heartbeats, default quotas.
    vni_range: str = "1001:2000"
    agent_report_interval: float = 4.0  # seconds between an agent's report_state casts
    agent_down_time: float = 15.0  # no report for this long: the agent is shown dead (XXX)
    # What the bridge agents do: "simulated" records what they would configure; "linux"
    # makes the bridges, VXLAN devices and FDB entries in the namespace the agent runs in
    # (a node's namespace or container: the netns and Docker modes).
    dataplane: str = "simulated"
    network_quotas: dict = dataclasses.field(default_factory=dict)  # e.g. {"network": 5}
    image_size_limit: int = 1024**3  # bytes of one image (Glance: image_size_cap)
    # Nova: the compute nodes of the in-process cloud and what each one offers.
    compute_hosts: list = dataclasses.field(default_factory=lambda: ["compute1", "compute2"])
    compute_vcpus: int = 8
    compute_ram_mb: int = 16384
    compute_disk_gb: int = 200
    cpu_allocation_ratio: float = 16.0  # Nova's defaults before the 2023 "initial_*" ratios
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    fake_driver_delay: float = 0.0  # seconds each fake-driver operation takes
    # "fake" (a state machine) or "netns" (an instance is a network namespace with a guest
    # process: compute/netns_driver.py; needs root)
    compute_driver: str = "fake"
    shelved_offload_time: int = 0  # Nova: 0 offloads a shelved server at once, -1 never
    scheduler_weigher: str = "ram_spread"  # or ram_stack, cpu_spread, random
    scheduler_max_attempts: int = 3
    report_interval: float = 10.0  # seconds between a compute service's heartbeats
    service_down_time: float = 60.0  # no heartbeat for this long: the service is down
    # Cinder: default quotas (e.g. {"gigabytes": 50}) and the storage node of its backend.
    volume_quotas: dict = dataclasses.field(default_factory=dict)
    volume_backend_host: str = "storage1"
    volume_backend_capacity_gb: int = 1000
    # Swift: storage nodes storage1..N (object servers on storage_port_base + offset + i),
    # the ring's shape, and how often the replicator runs (0: only on demand).
    storage_nodes: int = 3
    storage_port_base: int = 6200
    swift_part_power: int = 8
    swift_replicas: int = 3
    replicator_interval: float = 30.0

    def __post_init__(self):
        self.home = Path(self.home).expanduser()

    def port(self, service: str) -> int:
        return SERVICE_PORTS[service] + self.port_offset

    def api_workers_of(self, service: str) -> int:
        """Worker processes of a service's API besides the launcher's: none in-process."""
        return int(self.api_workers.get(service, 0)) if self.mode == "processes" else 0

    @property
    def listen_host(self) -> str:
        return self.bind_host or self.host

    def base_url(self, service: str) -> str:
        return f"http://{self.host}:{self.port(service)}"

    def storage_port(self, index: int) -> int:
        return self.storage_port_base + self.port_offset + index

    @property
    def storage_node_names(self) -> list[str]:
        return [f"storage{i + 1}" for i in range(self.storage_nodes)]

    @property
    def namespace_prefix(self) -> str:
        """Before the names of the namespaces the agents and the netns driver make (qdhcp-,
        qrouter-, qvm-): the cloud's own in the netns mode (mc-qrouter-...), as all of them
        share the host's namespace list; none in a container, which has a list of its own."""
        return f"{self.netns_prefix}-" if self.mode == "netns" else ""

    def internal_url(self, service: str) -> str:
        return f"http://{self.internal_host or self.host}:{self.port(service)}"

    @property
    def auth_url(self) -> str:
        """Keystone as the learner's clients reach it (clouds.yaml)."""
        return self.base_url("identity") + "/v3"

    @property
    def internal_auth_url(self) -> str:
        """Keystone as the services log in (the catalog's internal endpoint)."""
        return self.internal_url("identity") + "/v3"

    def address_of(self, node) -> str:
        """Where other nodes reach `node` (a topology.Node)."""
        return node.address("management") if self.own_addresses else self.host

    @property
    def services(self) -> list[str]:
        return list(SERVICE_PORTS)

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    def save(self) -> None:
        """`minicloud.json` in the data directory: what `minicloud` commands read."""
        self.write(self.path(CONFIG_FILE))

    def save_for_node(self, name: str) -> Path:
        """`nodes/<name>.json`: what a node started elsewhere needs (`minicloud node run
        --config`), as a launcher writes nova.conf: the service password, not the users'."""
        return self.write(self.path("nodes", f"{name}.json"), leave_out=USERS_SECRETS)

    def write(self, path: Path, leave_out: tuple = ()) -> Path:
        """The configuration as JSON, readable by its owner alone from the first byte on
        (it holds the service password)."""
        data = dataclasses.asdict(self)
        data["home"] = str(self.home)
        data.update({key: "" for key in leave_out})
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(data, indent=2) + "\n")
        os.chmod(tmp, 0o600)  # an older file of that name may have had other rights
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, home: str | Path | None = None, **overrides) -> "Config":
        """The saved configuration of the cloud in `home`, with environment and overrides on top."""
        home = Path(home).expanduser() if home else default_home()
        data: dict = {}
        saved = home / CONFIG_FILE
        if saved.exists():
            data = json.loads(saved.read_text())
        data["home"] = home
        env = {
            "port_offset": os.environ.get("MINICLOUD_PORT_OFFSET"),
            "transport_url": os.environ.get("MINICLOUD_TRANSPORT_URL"),
            "host": os.environ.get("MINICLOUD_HOST"),
        }
        for key, value in env.items():
            if value is not None:
                data[key] = int(value) if key == "port_offset" else value
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_file(cls, path: str | Path) -> "Config":
        """A node's configuration file (the same JSON as `minicloud.json`), as a launcher
        writes it for a node it starts elsewhere."""
        data = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
