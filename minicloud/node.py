"""One node of the cloud at run time: the parts of every service that its role runs.

Each service package says where its parts run, in its `service.py`: `PARTS` maps a role
(topology.py) to a function of the running `Node`. On the controller that function
returns the service's API app, which the launcher serves on the service's port; on the
other roles it starts what runs there (nova-compute, the agents, the object servers,
cinder-volume) and hands each piece to `node.keep()`, so the node can stop it again.
What must wait for the other nodes (Cinder sending again the creates a crash interrupted
to the storage node) goes in `node.when_all_up`.

A node reaches what its process shares through `node.runtime` (the launcher): the
configuration, the message bus, the tracer and the services' Keystone logins.
"""

from __future__ import annotations

import logging
from typing import Callable

from minicloud import topology

LOG = logging.getLogger(__name__)


class Node:
    def __init__(self, spec: topology.Node, runtime):
        self.spec = spec
        self.runtime = runtime
        self.parts: list = []  # started pieces, stopped in reverse order
        self.running = False
        self.when_all_up: list[Callable[[], None]] = []  # once every node has started

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def role(self) -> str:
        return self.spec.role

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


Part = Callable[[Node], object]
