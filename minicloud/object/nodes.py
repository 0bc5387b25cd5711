"""The operator's reach to the storage nodes, over RPC only (as swift-init reaches a node's
servers over ssh): the proxy on the controller and the storage nodes share nothing but the
message bus, in one process (memory bus) or many (RabbitMQ).

    topic `swift-storage`, server <node>   each storage node's endpoint: status, stop,
                                           start, wipe its object server; `announce`
    topic `swift-ring`                     the controller's: a storage node says on which
                                           port its object server listens

On a storage node: `StorageNodeService` (what `node.keep()` holds) runs the object server
(storage.py) and its RPC server; "stop" stops the object server only, so "start" can still
reach the node. Each start, and each move to another port than planned, is announced.
On the controller: `RingPlacer` writes a port that moved into `ring.json` and has the
proxy read the ring again; `StorageAdmin` is what the proxy's `/minicloud/storage` routes
call (api.py), with `Config.rpc_quick_timeout`: a node that does not answer is shown
unreachable, never an error of the proxy.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading

from minicloud.common import errors, rpc
from minicloud.object.ring import Ring, RingFile, node_ip, place_node
from minicloud.object.storage import StorageNode

LOG = logging.getLogger(__name__)
STORAGE_TOPIC = "swift-storage"
RING_TOPIC = "swift-ring"
ACTIONS = ("stop", "start", "wipe")
NO_ANSWER = (rpc.RPCTimeout, OSError)  # not a node's error (RemoteError): no node answered


def status_of(server: StorageNode) -> dict:
    return {"name": server.name, "port": server.port, "running": server.running,
            "reachable": True, "objects": server.object_files()}


# -- on a storage node ----------------------------------------------------------------------

class Announcer:
    """Tells the controller where this node's object server listens (a cast: a controller
    away must not hold up a storage node; it asks again when it starts)."""

    def __init__(self, transport, server: StorageNode):
        self.server = server
        self.client = rpc.RPCClient(transport, RING_TOPIC, service=f"swift-object-{server.name}")

    def __call__(self) -> None:
        try:  # untraced housekeeping: no request behind it
            self.client.cast(None, "storage_node_up", node=self.server.name,
                             port=self.server.port)
        except (rpc.RPCError, OSError) as exc:
            LOG.warning("%s: could not tell the controller its port: %s", self.server.name, exc)


class StorageNodeEndpoint:
    """What a storage node answers on `swift-storage.<node>`; each returns status_of()."""

    def __init__(self, server: StorageNode, announcer: Announcer):
        self._server, self._announce = server, announcer

    def status(self, ctx) -> dict:
        return status_of(self._server)

    def stop(self, ctx) -> dict:
        self._server.stop()  # the object server only: this endpoint stays, for "start"
        return status_of(self._server)

    def start(self, ctx) -> dict:
        self._server.start()  # a move to another port is announced (on_port_change)
        return status_of(self._server)

    def wipe(self, ctx) -> dict:
        self._server.wipe()
        return status_of(self._server)

    def announce(self, ctx) -> None:
        """A controller that (re)started asks every node where it listens (fanout)."""
        self._announce()


class StorageNodeService:
    """One storage node's Swift: the object server and the RPC server the proxy's admin
    routes reach it through. `minicloud node stop|start` stops and starts both."""

    def __init__(self, server: StorageNode, transport, tracer=None):
        self.server = server
        self.announce = Announcer(transport, server)
        server.on_port_change = self.announce  # also when a test starts it directly
        self.rpc = rpc.RPCServer(transport, STORAGE_TOPIC, server.name,
                                 [StorageNodeEndpoint(server, self.announce)],
                                 service=f"swift-object-{server.name}", tracer=tracer,
                                 workers=2)

    def start(self) -> "StorageNodeService":
        self.server.start()
        self.rpc.start()
        self.announce()  # a node that (re)starts: the proxy reads the ring again
        return self

    def stop(self) -> None:
        self.rpc.stop()
        self.server.stop()


# -- on the controller ----------------------------------------------------------------------

class RingPlacer:
    """The controller's endpoint on `swift-ring`: `ring.json` learns a port that moved
    (it is written only here), and the proxy and the replicator read it again."""

    def __init__(self, config, ring: RingFile):
        self.config, self.ring = config, ring
        self._lock = threading.Lock()  # one read-modify-write of ring.json at a time

    def storage_node_up(self, ctx, node: str, port: int) -> None:
        with self._lock:
            try:
                device = next((d for d in Ring.load(self.ring.path).devices
                               if d.node == node), None)
                if device is None:
                    LOG.warning("swift: storage node %s is not in the ring", node)
                    return
                if (device.ip, device.port) != (node_ip(self.config, node), port):
                    place_node(self.config, node, port)
            except (OSError, ValueError) as exc:  # no ring.json: `minicloud ring build`
                LOG.warning("swift: could not place %s at port %s: %s", node, port, exc)
                return
        self.ring.refresh()


def ask_nodes_to_announce(transport) -> None:
    """A controller that (re)starts rebuilt the ring with the planned ports: the nodes
    that already run (in other processes) say where they really listen."""
    try:
        rpc.RPCClient(transport, STORAGE_TOPIC, service="swift-proxy").fanout(None, "announce")
    except (rpc.RPCError, OSError) as exc:
        LOG.warning("swift: could not ask the storage nodes where they listen: %s", exc)


class Unreachable(errors.ApiError):
    status, title, kind = "503 Service Unavailable", "Service Unavailable", "unreachable"


class StorageAdmin:
    """The proxy's side: the storage nodes the ring names, each asked over RPC."""

    def __init__(self, client: rpc.RPCClient, ring: RingFile, placer: RingPlacer):
        self.client, self.ring, self.placer = client, ring, placer

    def names(self) -> list[str]:
        return list(dict.fromkeys(d.node for d in self.ring.get().devices))

    def statuses(self, ctx) -> list[dict]:
        """Every node's status, asked at once: dead nodes cost one timeout, not one each."""
        names = self.names()
        with concurrent.futures.ThreadPoolExecutor(max(1, len(names))) as pool:
            return list(pool.map(lambda name: self._status(ctx, name), names))

    def act(self, ctx, name: str, action: str) -> dict:
        """stop, start or wipe `name`; NotFound for a node or action there is not."""
        if name not in self.names() or action not in ACTIONS:
            raise errors.NotFound(f"No storage node {name} or action {action}.")
        try:
            status = self._call(ctx, name, action)
        except NO_ANSWER:
            raise Unreachable(f"Storage node {name} did not answer within "
                              f"{self.client.timeout:g} s: is it up? (`minicloud nodes`)"
                              ) from None
        if action == "start":  # it may have had to take another port: the proxy needs it now
            self.placer.storage_node_up(ctx, name, status["port"])
        return status

    def _status(self, ctx, name: str) -> dict:
        try:
            return self._call(ctx, name, "status")
        except NO_ANSWER:
            port = next(d.port for d in self.ring.get().devices if d.node == name)
            return {"name": name, "port": port, "running": False, "reachable": False,
                    "objects": None}

    def _call(self, ctx, name: str, method: str) -> dict:
        return self.client.prepare(server=name).call(ctx, method)
