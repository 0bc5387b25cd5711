"""Where Swift runs: the proxy and the replicator on the controller; an object server on
every storage node, with its device under `<home>/storage/<node>/`, reachable in the
in-process launcher as `runtime.storage_nodes["storage2"]` (what `minicloud swift
stop-node` stops)."""

from __future__ import annotations

from minicloud.object import api
from minicloud.object.core import Swift
from minicloud.object.proxy import ObjectController, proxy_tmp
from minicloud.object.replicator import PeriodicReplicator, Replicator
from minicloud.object.ring import RING_FILE, RingFile, ensure_ring, place_node
from minicloud.object.storage import StorageNode
from minicloud.object.store import ObjectStore


def controller(node):
    """The ring (built on first start, with every node at its planned port), the periodic
    replicator, then the proxy."""
    config, runtime = node.config, node.runtime
    ensure_ring(config)
    ring = RingFile(config.path(RING_FILE))
    # Storage nodes that had to take another port than planned say so in the ring file
    # as they start; the proxy reads it again as soon as every node runs.
    node.when_all_up.append(ring.refresh)
    replicator = Replicator(ring)
    runtime.swift_replicator = replicator
    node.keep(PeriodicReplicator(replicator, config.replicator_interval).start())
    swift = Swift(ObjectStore(config.path("object.db")), ObjectController(ring, node.tracer),
                  replicator, runtime.storage_nodes, proxy_tmp(config.home))
    return api.create_app(swift, node.tracer, runtime.token_validator("object"))


def storage_node(node):
    config = node.config
    planned = config.storage_port(config.storage_node_names.index(node.name))
    server = StorageNode(node.name, config.path("storage", node.name), config.listen_host,
                         planned, node.tracer)
    # a port taken by another program: the node takes a free one, and the ring learns it
    server.on_port_change = lambda: place_node(config, node.name, server.port)
    node.runtime.storage_nodes[node.name] = node.keep(server.start())
    node.say(f"    {'object':<9} {'Swift':<9} http://{config.host}:{server.port}")


PARTS = {"controller": controller, "storage": storage_node}
