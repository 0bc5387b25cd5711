"""Where Swift runs: the proxy, the replicator and the ring's keeper on the controller; an
object server on every storage node, with its device under `<home>/storage/<node>/`.

The controller and the storage nodes share only the message bus and HTTP (nodes.py): the
proxy reaches each node's object server over HTTP at the port the ring names, and its
operator's routes reach the node's RPC server (`swift-storage.<node>`). A storage node
that had to take another port than planned tells the controller (`swift-ring`), which
alone writes `ring.json`. In the in-process launcher a node's object server is also
`runtime.storage_nodes["storage2"]`, for tests; the controller never uses it.

In the processes mode the proxy may also run in API worker processes (api_worker.py):
each reads `ring.json` again when it changes, asks the controller's ring keeper over RPC
to record a node's new port, spools into a directory of its own, and keeps no container
cache (ObjectStore `shared`), since another proxy may delete the container.
"""

from __future__ import annotations

import logging

from minicloud.common import rpc
from minicloud.object.ring import RING_FILE, RingFile, ensure_ring

# The imports are in the role functions: a node's process loads only what its role runs
# (a storage node loads the object server and neither SQLite nor the proxy; a compute
# node, none of Swift's servers: every node imports this module to read PARTS).

LOG = logging.getLogger(__name__)


def _storage_admin(node, ring: RingFile):
    """The ring's keeper (it hears where the storage nodes listen), and the client the
    proxy's operator's routes ask the nodes with."""
    from minicloud.object.nodes import (RING_TOPIC, STORAGE_TOPIC, RingPlacer, StorageAdmin,
                                        ask_nodes_to_announce)

    config, transport, tracer = node.config, node.transport, node.tracer
    placer = RingPlacer(config, ring)
    node.keep(rpc.RPCServer(transport, RING_TOPIC, node.name, [placer], service="swift-proxy",
                            tracer=tracer, workers=1).start())
    ask_nodes_to_announce(transport)  # nodes in other processes may run on other ports
    client = rpc.RPCClient(transport, STORAGE_TOPIC, service="swift-proxy", tracer=tracer,
                           timeout=config.rpc_quick_timeout)
    return StorageAdmin(client, ring, placer)


def controller(node):
    """The ring (built on first start, with every node at its planned port) and its
    keeper, the periodic replicator, then the proxy."""
    from minicloud.object.replicator import PeriodicReplicator, Replicator

    config, runtime = node.config, node.runtime
    ensure_ring(config)
    ring = RingFile(config.path(RING_FILE))
    storage = _storage_admin(node, ring)
    replicator = Replicator(ring)
    runtime.swift_replicator = replicator
    node.keep(PeriodicReplicator(replicator, config.replicator_interval).start())
    shared = config.api_workers_of("object") > 0  # other proxies write object.db too
    return _proxy(node, ring, replicator, storage, shared)


def _proxy(node, ring, replicator, storage, shared: bool, tmp_name: str | None = None):
    """The proxy's app (Swift's core, its account/container database, the object
    controller that talks to the storage nodes)."""
    from minicloud.object import api
    from minicloud.object.core import Swift
    from minicloud.object.proxy import ObjectController, proxy_tmp
    from minicloud.object.store import ObjectStore

    config = node.config
    swift = Swift(ObjectStore(config.path("object.db"), shared=shared),
                  ObjectController(ring, node.tracer), replicator, storage,
                  proxy_tmp(config.home, tmp_name))
    return api.create_app(swift, node.tracer, node.runtime.token_validator("object"))


class KeeperClient:
    """A proxy worker's `placer`: the controller's RingPlacer, reached over RPC, records a
    node's port (only it writes ring.json); then this process reads the ring again."""

    def __init__(self, transport, ring: RingFile, timeout: float):
        from minicloud.object.nodes import RING_TOPIC

        self.ring = ring
        self.client = rpc.RPCClient(transport, RING_TOPIC, service="swift-proxy",
                                    timeout=timeout)

    def storage_node_up(self, ctx, node: str, port: int) -> None:
        try:
            self.client.call(ctx, "storage_node_up", node=node, port=port)
        except (rpc.RPCError, OSError) as exc:  # the node announces itself anyway
            LOG.warning("swift: the ring keeper did not answer about %s: %s", node, exc)
        self.ring.refresh()


def api_worker(node):
    """The proxy in an API worker process: the controller's ring (no build), no ring
    keeper and no periodic replicator of its own (the controller runs them)."""
    from minicloud.object.nodes import STORAGE_TOPIC, StorageAdmin
    from minicloud.object.replicator import Replicator

    config, transport = node.config, node.transport
    ring = RingFile(config.path(RING_FILE))
    storage = StorageAdmin(rpc.RPCClient(transport, STORAGE_TOPIC, service="swift-proxy",
                                         tracer=node.tracer, timeout=config.rpc_quick_timeout),
                           ring, KeeperClient(transport, ring, config.rpc_quick_timeout))
    return _proxy(node, ring, Replicator(ring), storage, True, node.runtime.name)


def storage_node(node):
    """The object server and its RPC server; a port taken by another program makes the
    node take a free one, and say so to the controller."""
    from minicloud.object.nodes import StorageNodeService
    from minicloud.object.storage import StorageNode

    config = node.config
    planned = config.storage_port(config.storage_node_names.index(node.name))
    server = StorageNode(node.name, config.path("storage", node.name), config.listen_host,
                         planned, node.tracer)
    node.runtime.storage_nodes[node.name] = server
    node.keep(StorageNodeService(server, node.transport, node.tracer).start())
    node.say(f"    {'object':<9} {'Swift':<9} http://{config.host}:{server.port}")


PARTS = {"controller": controller, "storage": storage_node}
