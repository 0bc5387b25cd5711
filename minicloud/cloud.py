"""The in-process launcher: every node of the topology (topology.py) in this one process.

It starts the controller first, service by service (each service's API on its own port,
with its own SQLite database in the data directory), then the network node, the compute
nodes and the storage nodes, each running the parts its role runs (`<service>/service.py`
says which, node.py how a node keeps them). All nodes share one message bus and one
tracer. `Cloud.start()` narrates what it starts, as a learner would want to see it.

The handles tests use are the Runtime's (node.py):
`compute_hosts["compute2"]`, `agents["compute2-bridge"]`, `storage_nodes["storage2"]`,
`volume_nodes["storage1"]`. `minicloud nodes` and `minicloud node stop|kill|start` reach
the launcher through its control socket (control.py). The processes launcher
(processes.py) is this class with every node but the controller in a child process.
"""

from __future__ import annotations

import time
from typing import Callable

from minicloud.common import rpc
from minicloud.common.rpc.memory import MemoryTransport
from minicloud.common.rpc.tap import BusLog
from minicloud.common.server import HttpServer, api_server
from minicloud.common.trace_forward import start_collector
from minicloud.control import ControlServer
from minicloud.node import SERVICES, Node, Runtime, parts, start_parts
from minicloud.topology import Topology


class Cloud(Runtime):
    def __init__(self, config, say: Callable[[str], None] = print):
        super().__init__(config, say)
        self.topology = Topology.from_config(config)
        self.nodes: dict[str, Node] = {}
        self.apps: dict = {}
        self.servers: list[HttpServer] = []
        self.control: ControlServer | None = None
        self.bus_log: BusLog | None = None  # the memory bus's messages (`minicloud bus`)

    def start(self) -> None:
        t0 = time.monotonic()
        missing = set(self.config.services) - {service for service, _ in SERVICES}
        if missing:  # a port without a service: `minicloud up` would wait for it forever
            raise RuntimeError(f"config.SERVICE_PORTS lists {sorted(missing)}, which "
                               f"node.SERVICES does not build")
        self.config.home.mkdir(parents=True, exist_ok=True)
        self.config.save()
        self.say(f"*** Data directory: {self.config.home}")
        self.transport = rpc.get_transport(self.config.transport_url)
        if isinstance(self.transport, MemoryTransport):  # RabbitMQ has its own firehose
            self.bus_log = BusLog()
            self.transport.taps.append(self.bus_log.record)
        self.say(f"*** Message bus: {self.config.transport_url.split('@')[-1]}")
        for spec in self.topology.nodes:
            if spec.role == "controller":
                node = self.nodes[spec.name] = Node(spec, self)
                if not self.config.transport_url.startswith("memory"):
                    # spans of nodes in other processes (`minicloud node run`) arrive here
                    node.keep(start_collector(self.transport, self.tracer.store, node.name))
                self._start_controller(node)
            else:
                self.nodes[spec.name] = self._start_node(spec)
        self._wait_for_nodes()
        for node in self.nodes.values():
            for ready in node.when_all_up:
                ready()
        self.control = ControlServer(self.config.home, self.answer).start()
        self.say(f"*** Cloud ready in {time.monotonic() - t0:.2f} s")

    def _start_controller(self, node: Node) -> None:
        self.say(f"*** Starting node {node.name} ({node.role}): the APIs")
        for service, label in SERVICES:
            self.apps[service] = app = parts(service)["controller"](node)
            server = api_server(service, app, self.config).start()
            self.servers.append(server)
            self.say(f"    {service:<9} {label:<9} {self.config.base_url(service)}")

    def _start_node(self, spec) -> Node:
        """A node of another role, in this process (the processes launcher, processes.py,
        starts a child process instead)."""
        node = Node(spec, self)
        self.say(f"*** Starting node {node.name} ({node.role}): "
                 f"{', '.join(node.spec.services)}")
        start_parts(node)
        return node

    def _wait_for_nodes(self) -> None:
        """Nodes in this process are up once started; children are waited for here."""

    # -- the control socket (`minicloud nodes`, `minicloud node stop|start|kill`) --------------
    def answer(self, request: dict) -> dict:
        op, name = request.get("op"), request.get("node")
        if op == "nodes":
            return {"mode": self.config.mode,
                    "nodes": [self.describe(node) for node in self.nodes.values()]}
        if op in ("bus", "queues"):
            return self._bus(op, request)
        if op == "agent":
            return self._agent(request)
        if op not in ("stop", "start", "kill"):
            return {"error": f"unknown request {op!r}: nodes, bus, queues, agent, stop, start "
                             "or kill"}
        node = self.nodes.get(name)
        if node is None:
            return {"error": f"no node {name!r}: {', '.join(self.nodes)}"}
        if node.role == "controller":
            return {"error": "the controller serves the APIs of this process: "
                             "`minicloud down` stops the whole cloud"}
        try:
            if op == "start" and not node.running:
                node.start()
            elif op == "kill":  # no goodbye (SIGKILL where the node is a process)
                node.kill()
            elif op == "stop" and node.running:
                node.stop()
        except RuntimeError as exc:  # a child that would not come up
            return {"error": str(exc)}
        return {"node": self.describe(node)}

    def _agent(self, request: dict) -> dict:
        """`minicloud agent stop|start AGENT[@HOST]` (network/agent_control.py)."""
        from minicloud.network import agent_control

        return agent_control.route(self.topology, self.nodes, request, self.agent_request)

    def agent_request(self, node, request: dict) -> dict:
        """The agents of this process answer (the processes mode asks the node's)."""
        from minicloud.network import agent_control

        return agent_control.answer(self.agents, request)

    def _bus(self, op: str, request: dict) -> dict:
        """The memory bus's recent messages (after `since`) or its queues."""
        if self.bus_log is None:
            return {"error": f"the bus is {self.config.transport_url.split('@')[-1]}: "
                             "ask the broker"}
        if op == "queues":
            return {"queues": self.transport.queues()}
        since = request.get("since", 0)
        last, messages = self.bus_log.since(since if isinstance(since, int) else 0)
        return {"last": last, "messages": messages}

    def describe(self, node) -> dict:
        listens = ([self.config.base_url(service) for service, _ in SERVICES]
                   if node.role == "controller" else [])
        if node.role == "storage":
            index = self.config.storage_node_names.index(node.name)
            port = getattr(self.storage_nodes.get(node.name), "port",
                           self.config.storage_port(index))
            listens.append(f"http://{self.config.host}:{port}")
        return {"name": node.name, "role": node.role, "pid": node.pid,
                "running": node.running, "addresses": node.spec.addresses,
                "services": list(node.spec.services), "listens": listens}

    def stop(self) -> None:
        """The other nodes first (last started, first stopped), then the controller's RPC
        servers and periodic work, then its APIs."""
        if self.control is not None:
            self.control.stop()
            self.control = None
        for node in reversed(list(self.nodes.values())):
            node.stop()
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        self.close()
