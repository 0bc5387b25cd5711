"""The in-process cloud: every service of the controller in this one process.

Each service is a Falcon app served on its own port by its own waitress server, with its
own SQLite database in the data directory; they share the tracer (and, as later services
arrive, the message bus). `Cloud.start()` narrates what it starts, as a learner would want
to see it.
"""

from __future__ import annotations

import time
from typing import Callable

from minicloud.common import rpc
from minicloud.common.context import RequestContext
from minicloud.common.keystone import RemoteTokenValidator, ServiceAuth
from minicloud.common.server import HttpServer
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore
from minicloud.identity import api as identity_api
from minicloud.identity.bootstrap import SERVICE_USERS, bootstrap
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore
from minicloud.image import api as image_api
from minicloud.image import bootstrap as image_bootstrap
from minicloud.image.core import Glance
from minicloud.image.files import FileStore
from minicloud.image.store import ImageStore
from minicloud.topology import Topology


def build_identity(cloud: "Cloud"):
    keystone = Keystone(cloud.config, IdentityStore(cloud.config.path("identity.db")))
    bootstrap(keystone)
    # Keystone checks the tokens it receives itself, in process (no REST round trip)
    return identity_api.create_app(keystone, cloud.tracer, keystone.validate)


def build_image(cloud: "Cloud"):
    glance = Glance(cloud.config, ImageStore(cloud.config.path("image.db")),
                    FileStore(cloud.config.path("images")))
    image_bootstrap.bootstrap(glance, lambda: image_bootstrap.admin_project_id(
        cloud.service_auth("image")))
    return image_api.create_app(glance, cloud.tracer, cloud.token_validator("image"))


def build_compute(cloud: "Cloud"):
    """Nova: the conductor and scheduler (RPC servers), one nova-compute per compute host
    (RPC server + heartbeat, reachable as `cloud.compute_hosts["compute1"]`), then nova-api."""
    from minicloud.compute import api as compute_api
    from minicloud.common.clients import ImageClient, NetworkClient, VolumeClient
    from minicloud.compute.conductor import ConductorManager
    from minicloud.compute.core import Nova
    from minicloud.compute.driver import load_driver
    from minicloud.compute.manager import ComputeHost, ComputeManager, Heartbeat
    from minicloud.compute.recovery import settle_unscheduled
    from minicloud.compute.scheduler import SchedulerManager
    from minicloud.compute.store import ComputeStore

    config, transport, tracer = cloud.config, cloud.transport, cloud.tracer
    store = ComputeStore(config.path("compute.db"))
    conductor = ConductorManager(store, transport, tracer, config)
    settle_unscheduled(conductor, RequestContext(user_name="nova"))  # what a crash left
    # Stopped in reverse order: the conductor before the scheduler it calls, so a build in
    # hand at `minicloud down` finishes instead of waiting out an RPC timeout.
    parts = [
        rpc.RPCServer(transport, "scheduler", "controller",
                      [SchedulerManager(config.scheduler_weigher, tracer)],
                      service="nova-scheduler", tracer=tracer, workers=config.scheduler_workers),
        rpc.RPCServer(transport, "conductor", "controller", [conductor],
                      service="nova-conductor", tracer=tracer, workers=config.conductor_workers),
        rpc.RPCServer(transport, "heartbeat", "controller", [conductor], service="nova-conductor"),
    ]
    for part in parts:
        cloud.stoppables.append(part.start())
    for binary in ("nova-conductor", "nova-scheduler"):
        cloud.stoppables.append(Heartbeat(transport, binary, "controller",
                                          config.report_interval).start())
    cloud.compute_hosts = {}
    topology = Topology.from_config(config)
    for host in config.compute_hosts:
        auth = cloud.service_auth("compute")
        manager = ComputeManager(host, load_driver("fake", host, config), transport, tracer,
                                 config, ImageClient(auth, config.http_timeout),
                                 NetworkClient(auth, config.http_timeout),
                                 VolumeClient(auth, config.http_timeout))
        node = ComputeHost(host, manager, transport, tracer,
                           host_ip=topology.node(host).address("management")).start()
        cloud.compute_hosts[host] = node
        cloud.stoppables.append(node)
    auth = cloud.service_auth("compute")
    nova = Nova(config, store, transport, tracer, ImageClient(auth, config.http_timeout),
                NetworkClient(auth, config.http_timeout), VolumeClient(auth, config.http_timeout))
    return compute_api.create_app(nova, tracer, cloud.token_validator("compute"))


def build_network(cloud: "Cloud"):
    """Neutron: neutron-server's `q-plugin` RPC server, the agents of the network and
    compute nodes (`cloud.agents["compute2-bridge"]`), DevStack's networks, then the API."""
    from minicloud.network import bootstrap as network_bootstrap, dataplane, rpc_callbacks
    from minicloud.network import api as network_api
    from minicloud.network.core import Neutron
    from minicloud.network.notifier import Notifier
    from minicloud.network.nova_notifier import NovaNotifier
    from minicloud.network.store import NetworkStore

    store = NetworkStore(cloud.config.path("network.db"))
    notifier = Notifier(store, cloud.transport, cloud.tracer,
                        timeout=cloud.config.rpc_quick_timeout)
    neutron = Neutron(cloud.config, store, notifier, transport=cloud.transport,
                      tracer=cloud.tracer, nova_notifier=NovaNotifier(  # external events
                          cloud.service_auth("network"), cloud.config.http_timeout))
    cloud.stoppables.append(rpc_callbacks.start_plugin_rpc(neutron))
    cloud.agents = dataplane.start_agents(cloud.config, cloud.transport, cloud.tracer)
    cloud.stoppables.extend(cloud.agents.values())
    projects = network_bootstrap.project_ids(cloud.service_auth("network"),
                                             cloud.config.http_timeout)
    network_bootstrap.bootstrap(neutron, projects, say=cloud.say)
    return network_api.create_app(neutron, cloud.tracer, cloud.token_validator("network"))


def build_object(cloud: "Cloud"):
    """Swift: the ring (built on first start), the storage nodes storage1..N, each an object
    server on its own port (`cloud.storage_nodes["storage2"]`), the periodic replicator,
    then the proxy."""
    from minicloud.object import api as object_api
    from minicloud.object.core import Swift
    from minicloud.object.proxy import ObjectController, proxy_tmp
    from minicloud.object.replicator import PeriodicReplicator, Replicator
    from minicloud.object.ring import RING_FILE, RingFile, ensure_ring
    from minicloud.object.storage import StorageNode
    from minicloud.object.store import ObjectStore

    config = cloud.config
    cloud.storage_nodes = {}
    for i, name in enumerate(config.storage_node_names):
        node = StorageNode(name, config.path("storage", name), config.listen_host,
                           config.storage_port(i), cloud.tracer).start()
        cloud.storage_nodes[name] = node
        cloud.stoppables.append(node)
        cloud.say(f"    {name:<9} {'object':<9} http://{config.host}:{node.port}")
    nodes = cloud.storage_nodes
    ensure_ring(config, {name: node.port for name, node in nodes.items()})
    ring = RingFile(config.path(RING_FILE))

    def node_moved():  # a restarted node had to take another port: tell the ring
        ensure_ring(config, {name: node.port for name, node in nodes.items()})
        ring.refresh()

    for node in nodes.values():
        node.on_port_change = node_moved
    controller = ObjectController(ring, cloud.tracer)
    replicator = Replicator(ring)
    cloud.swift_replicator = replicator
    cloud.stoppables.append(PeriodicReplicator(replicator, config.replicator_interval).start())
    swift = Swift(ObjectStore(config.path("object.db")), controller, replicator,
                  cloud.storage_nodes, proxy_tmp(config.home))
    return object_api.create_app(swift, cloud.tracer, cloud.token_validator("object"))


def build_volume(cloud: "Cloud"):
    """Cinder: cinder-api's report endpoint, cinder-scheduler, the cinder-volume of the
    storage node (`cloud.volume_nodes["storage1"]`, its volumes are files under
    `<home>/storage/storage1/cinder-volumes/`), then cinder-api."""
    from minicloud.volume import api as volume_api, types as volume_types
    from minicloud.volume.backend import FileBackend
    from minicloud.common.clients import ImageClient
    from minicloud.volume.core import SCHEDULER_TOPIC, Cinder
    from minicloud.volume.manager import VolumeManager, VolumeNode
    from minicloud.volume.recovery import redo, settle_interrupted
    from minicloud.volume.reports import start_reports
    from minicloud.volume.scheduler import SchedulerManager
    from minicloud.volume.store import VolumeStore

    config, transport, tracer = cloud.config, cloud.transport, cloud.tracer
    auth = cloud.service_auth("volume")
    cinder = Cinder(config, VolumeStore(config.path("volume.db")), transport, tracer,
                    ImageClient(auth, config.http_timeout))
    volume_types.bootstrap(cinder)
    interrupted = settle_interrupted(cinder)  # what a crash left half-way
    cloud.stoppables.append(start_reports(cinder, transport, tracer))
    cloud.stoppables.append(rpc.RPCServer(
        transport, SCHEDULER_TOPIC, "controller", [SchedulerManager(transport, tracer)],
        service="cinder-scheduler", tracer=tracer, workers=config.scheduler_workers).start())
    node = config.volume_backend_host
    backend = FileBackend(config.path("storage", node, "cinder-volumes"),
                          config.volume_backend_capacity_gb)
    manager = VolumeManager(node, backend, transport, tracer,
                            ImageClient(auth, config.http_timeout))
    cloud.volume_nodes = {node: VolumeNode(manager, transport, tracer, config.report_interval,
                                           workers=config.volume_workers).start()}
    cloud.stoppables.extend(cloud.volume_nodes.values())
    redo(cinder, interrupted)
    return volume_api.create_app(cinder, tracer, cloud.token_validator("volume"))


# (service, what OpenStack calls it, how to build its WSGI app), in start order.
SERVICES: list[tuple[str, str, Callable]] = [
    ("identity", "Keystone", build_identity),
    ("image", "Glance", build_image),
    ("network", "Neutron", build_network),
    ("compute", "Nova", build_compute),  # after image and network: it calls both
    ("volume", "Cinder", build_volume),
    ("object", "Swift", build_object),
]


class Cloud:
    def __init__(self, config, say: Callable[[str], None] = print):
        self.config = config
        self.say = say
        self.tracer = Tracer(TraceStore(config.path("trace.db")))
        self.transport: rpc.Transport | None = None
        self.apps: dict = {}
        self.servers: list[HttpServer] = []
        self._auths: dict[str, ServiceAuth] = {}
        self.stoppables: list = []  # RPC servers, agents, periodic tasks: stopped first

    def service_auth(self, service: str) -> ServiceAuth:
        """The login as the service's own Keystone user (glance, nova, ...). One per service
        in this process: each login costs a password hash on Keystone's side."""
        if service not in self._auths:
            self._auths[service] = ServiceAuth(self.config.auth_url, SERVICE_USERS[service],
                                               self.config.service_password)
        return self._auths[service]

    def token_validator(self, service: str) -> RemoteTokenValidator:
        """What the service's auth middleware uses: Keystone validates callers' tokens."""
        return RemoteTokenValidator(self.service_auth(service), self.config.token_cache_seconds)

    def start(self) -> None:
        t0 = time.monotonic()
        missing = set(self.config.services) - {service for service, _, _ in SERVICES}
        if missing:  # a port without a service: `minicloud up` would wait for it forever
            raise RuntimeError(f"config.SERVICE_PORTS lists {sorted(missing)}, which "
                               f"cloud.SERVICES does not build")
        self.config.home.mkdir(parents=True, exist_ok=True)
        self.config.save()
        self.say(f"*** Data directory: {self.config.home}")
        self.transport = rpc.get_transport(self.config.transport_url)
        self.say(f"*** Message bus: {self.config.transport_url.split('@')[-1]}")
        self.say("*** Starting the controller node's services")
        for service, label, build in SERVICES:
            self.apps[service] = app = build(self)
            server = HttpServer(service, app, self.config.listen_host, self.config.port(service),
                                self.config.server_threads(service)).start()
            self.servers.append(server)
            self.say(f"    {service:<9} {label:<9} {self.config.base_url(service)}")
        self.say(f"*** Cloud ready in {time.monotonic() - t0:.2f} s")

    def stop(self) -> None:
        for part in reversed(self.stoppables):
            part.stop()
        self.stoppables.clear()
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        if self.transport is not None:
            self.transport.close()
        if self.tracer.store is not None:
            self.tracer.store.flush()
