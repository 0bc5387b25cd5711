"""One node of the cloud at run time: the parts of every service that its role runs.

Each service package says where its parts run, in its `service.py`: `PARTS` maps a role
(topology.py) to a function of the running `Node`. On the controller that function
returns the service's API app, which the launcher serves on the service's port; on the
other roles it starts what runs there (nova-compute, the agents, the object servers,
cinder-volume) and hands each piece to `node.keep()`, so the node can stop it again.
What must wait for the other nodes (Cinder sending again the creates a crash interrupted
to the storage node) goes in `node.when_all_up`.

A node reaches what its process shares through `node.runtime` (a `Runtime`: the in-process
launcher, cloud.py, or the one node of `minicloud node run`, node_process.py).
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Callable

from minicloud import topology
from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore

LOG = logging.getLogger(__name__)


# (service, what OpenStack calls it), in the order a node starts them: Keystone first
# (everyone logs in), Glance and Neutron before Nova (it calls both).
SERVICES: list[tuple[str, str]] = [
    ("identity", "Keystone"),
    ("image", "Glance"),
    ("network", "Neutron"),
    ("compute", "Nova"),
    ("volume", "Cinder"),
    ("object", "Swift"),
    ("dashboard", "Horizon"),
]


def parts(service: str) -> dict[str, Callable]:
    """A service's parts by role (its `service.py`'s PARTS)."""
    return importlib.import_module(f"minicloud.{service}.service").PARTS


def start_parts(node: "Node") -> None:
    """Every service's part for the node's role (the controller's are started by the
    launcher, which also serves their APIs)."""
    for service, _ in SERVICES:
        start = parts(service).get(node.role)
        if start is not None:
            start(node)


class Runtime:
    """What the nodes of one process share: the configuration, the message bus, the
    tracer, the services' Keystone logins, and handles on the started parts by name
    (`compute_hosts["compute2"]`, `agents["compute2-bridge"]`, `storage_nodes["storage2"]`,
    `volume_nodes["storage1"]`), which tests use; the services themselves reach another
    node only over RPC and REST, as they must where it is another process."""

    def __init__(self, config, say: Callable[[str], None] = print):
        self.config = config
        self.say = say
        self.tracer = Tracer(TraceStore(config.path("trace.db")))
        self.transport: rpc.Transport | None = None
        self._auths: dict = {}  # service -> ServiceAuth
        self.compute_hosts: dict = {}
        self.agents: dict = {}
        self.storage_nodes: dict = {}
        self.volume_nodes: dict = {}
        self.swift_replicator = None

    def service_auth(self, service: str):
        """The login as the service's own Keystone user (glance, nova, ...). One per service
        in this process: each login costs a password hash on Keystone's side. (The HTTP
        client is imported here: a node whose services never call a REST API, such as a
        network or storage node, does not carry it.)"""
        from minicloud.common.keystone import SERVICE_USERS, ServiceAuth

        if service not in self._auths:
            self._auths[service] = ServiceAuth(self.config.internal_auth_url,
                                               SERVICE_USERS[service],
                                               self.config.service_password)
        return self._auths[service]

    def token_validator(self, service: str):
        """What the service's auth middleware uses: Keystone validates callers' tokens."""
        from minicloud.common.keystone import RemoteTokenValidator

        return RemoteTokenValidator(self.service_auth(service), self.config.token_cache_seconds)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        if self.tracer.store is not None:
            self.tracer.store.close()


class PlannedNode:
    """What every handle on a node of the plan has: its place in the plan (`spec`)."""

    spec: topology.Node

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def role(self) -> str:
        return self.spec.role


class Node(PlannedNode):
    def __init__(self, spec: topology.Node, runtime):
        self.spec = spec
        self.runtime = runtime
        self.parts: list = []  # started pieces, stopped in reverse order
        self.running = False
        self.when_all_up: list[Callable[[], None]] = []  # once every node has started

    @property
    def config(self):
        return self.runtime.config

    @property
    def transport(self):
        return self.runtime.transport

    @property
    def tracer(self):
        return self.runtime.tracer

    def say(self, line: str) -> None:
        self.runtime.say(line)

    def keep(self, part):
        """Remember a started piece (anything with `stop()` and `start()`); returns it."""
        self.parts.append(part)
        self.running = True
        return part

    def stop(self) -> None:
        """Stop every part, last started first: the node is down (its heartbeats stop, so
        the cloud shows its services down once their down time has passed)."""
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception:  # noqa: BLE001 - the node's other parts must stop too
                LOG.exception("%s: stopping %r failed", self.name, part)
        self.running = False

    def start(self) -> None:
        """Start every part again, in the order they first started: the node is back, with
        what it had (a compute node's servers, a storage node's disk)."""
        for part in self.parts:
            part.start()
        self.running = True

    def kill(self) -> None:
        """In one process a node cannot die alone: the same as `stop`."""
        self.stop()

    @property
    def pid(self) -> int:
        return os.getpid()


Part = Callable[[Node], object]
