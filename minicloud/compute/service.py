"""Where Nova runs: nova-api, nova-conductor and nova-scheduler on the controller;
nova-compute with its driver on every compute node, reachable in the in-process launcher
as `runtime.compute_hosts["compute1"]`.

A compute node never opens compute.db: it registers, heartbeats and changes servers
through the conductor, over RPC, as Nova's compute nodes do.
"""

from __future__ import annotations

# The imports are in the role functions: a node's process loads only what its role runs
# (a compute node needs neither Falcon nor SQLite).


def _clients(node) -> tuple:
    from minicloud.common.clients import ImageClient, NetworkClient, VolumeClient

    auth, timeout = node.runtime.service_auth("compute"), node.config.http_timeout
    return ImageClient(auth, timeout), NetworkClient(auth, timeout), VolumeClient(auth, timeout)


def controller(node):
    """The scheduler and conductor (RPC servers, each with its heartbeat), then nova-api.
    The conductor first settles what a crash left unscheduled."""
    from minicloud.common import rpc
    from minicloud.common.context import RequestContext
    from minicloud.compute import api
    from minicloud.compute.conductor import ConductorManager
    from minicloud.compute.core import Nova
    from minicloud.compute.manager import Heartbeat
    from minicloud.compute.recovery import settle_unscheduled
    from minicloud.compute.scheduler import SchedulerManager
    from minicloud.compute.store import ComputeStore

    config, transport, tracer = node.config, node.transport, node.tracer
    store = ComputeStore(config.path("compute.db"))
    conductor = ConductorManager(store, transport, tracer, config)
    settle_unscheduled(conductor, RequestContext(user_name="nova"))
    # Kept in this order, so stopped conductor first: a build in hand at `minicloud down`
    # finishes instead of waiting out an RPC timeout on the scheduler.
    node.keep(rpc.RPCServer(transport, "scheduler", node.name,
                            [SchedulerManager(config.scheduler_weigher, tracer)],
                            service="nova-scheduler", tracer=tracer,
                            workers=config.scheduler_workers).start())
    node.keep(rpc.RPCServer(transport, "conductor", node.name, [conductor],
                            service="nova-conductor", tracer=tracer,
                            workers=config.conductor_workers).start())
    node.keep(rpc.RPCServer(transport, "heartbeat", node.name, [conductor],
                            service="nova-conductor").start())
    for binary in ("nova-conductor", "nova-scheduler"):
        node.keep(Heartbeat(transport, binary, node.name, config.report_interval).start())
    nova = Nova(config, store, transport, tracer, *_clients(node))
    return api.create_app(nova, tracer, node.runtime.token_validator("compute"))


def compute_node(node):
    """nova-compute: its RPC server on `compute.<host>`, its heartbeat, and the driver
    that runs the servers (Config.compute_driver: `fake`, a state machine, or `netns`,
    each server a network namespace with a guest process)."""
    from minicloud.compute.driver import load_driver
    from minicloud.compute.manager import ComputeHost, ComputeManager

    config = node.config
    manager = ComputeManager(node.name, load_driver(config.compute_driver, node.name, config),
                             node.transport, node.tracer, config, *_clients(node))
    host = ComputeHost(node.name, manager, node.transport, node.tracer,
                       host_ip=node.spec.address("management")).start()
    node.runtime.compute_hosts[node.name] = node.keep(host)


PARTS = {"controller": controller, "compute": compute_node}
