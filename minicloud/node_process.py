"""`minicloud node run`: one node in a process of its own, as a container or a second
machine runs it.

It reads its configuration (the data directory's `minicloud.json`, or `--config FILE`
written by a launcher: the transport URL, Keystone's URL, the service password), joins
the cloud over RabbitMQ and Keystone's REST API, starts the parts its role runs (every
service's `service.py`), and stops them on SIGTERM or Ctrl-C. Nothing of the controller
is shared with it but the message bus and the APIs: its spans travel to the controller's
`trace.db` over the bus too (common/trace_forward.py).

The controller is not started this way: `minicloud up` runs it. In the processes mode
(`minicloud up --mode processes`, processes.py) every other node of the plan runs this
way, as a child of the launcher; by hand it adds nodes (`--role compute --name compute3`).
"""

from __future__ import annotations

import os
import signal
import threading
import time

from minicloud.common.trace_forward import TraceForwarder
from minicloud.control import ControlServer
from minicloud.node import Node, Runtime, start_parts
from minicloud.topology import Topology

ROLES = ("network", "compute", "storage")
LAUNCHER_PID = "MINICLOUD_LAUNCHER_PID"  # set by the processes launcher (processes.py)
PARENT_CHECK = 0.5  # seconds between two looks at whether the launcher still runs


class NodeProcess(Runtime):
    def __init__(self, config, role: str, name: str, say=print):
        super().__init__(config, say)
        if role not in ROLES:
            raise ValueError(f"a {role} node runs with `minicloud up`; `node run` starts "
                             f"{', '.join(ROLES)} nodes")
        if config.transport_url.startswith("memory"):
            raise ValueError("a node in a process of its own talks to the others over "
                             "RabbitMQ: start the cloud with `minicloud up --transport-url "
                             "rabbit://USER:PASSWORD@HOST:5672/VHOST`")
        self.node = Node(Topology.from_config(config).place(name, role), self)
        self.control: ControlServer | None = None  # `minicloud agent stop|start`

    def start(self) -> "NodeProcess":
        from minicloud.common import rpc

        spec = self.node.spec
        self.transport = rpc.get_transport(self.config.transport_url)
        self.tracer.store = TraceForwarder(self.transport)  # to the controller's trace.db
        self.tracer.stamp = {"pid": os.getpid()}
        self.say(f"*** Starting node {spec.name} ({spec.role}): {', '.join(spec.services)}")
        self.say("    " + "  ".join(f"{net} {ip}" for net, ip in spec.addresses.items()))
        start_parts(self.node)
        try:  # a node on another machine may have no such directory: no agent control
            self.control = ControlServer(self.config.home, self._answer,
                                         name=control_socket(spec.name)).start()
        except OSError as exc:
            self.say(f"    (no control socket: {exc})")
        self.say(f"*** Node {spec.name} is up")
        return self

    def _answer(self, request: dict) -> dict:
        """The launcher passes `minicloud agent stop|start` on (network/agent_control.py)."""
        if request.get("op") != "agent":
            return {"error": f"a node answers only agent requests, not {request.get('op')!r}"}
        from minicloud.network import agent_control

        return agent_control.answer(self.agents, request)

    def stop(self) -> None:
        if self.control is not None:
            self.control.stop()
            self.control = None
        self.node.stop()
        self.close()


def control_socket(name: str) -> str:
    """Where a node process answers the launcher, in the data directory."""
    return f"nodes/{name}.sock"


def follow_launcher() -> None:
    """Started by the processes launcher (processes.py): stop when it is gone, even if it
    died by SIGKILL. The node watches its parent pid and stops itself as SIGTERM would.
    (The kernel's PR_SET_PDEATHSIG would fire when the launcher's *thread* that started
    the node ends, and the launcher restarts nodes from short-lived threads.)"""
    launcher = os.environ.get(LAUNCHER_PID)
    if not launcher:
        return

    def watch() -> None:
        while os.getppid() == int(launcher):
            time.sleep(PARENT_CHECK)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="follow-launcher", daemon=True).start()


def run(config, role: str, name: str, say=print) -> int:
    """Start the node, and run until SIGTERM or SIGINT; then stop it cleanly."""
    follow_launcher()
    process = NodeProcess(config, role, name, say)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    process.start()
    done.wait()
    say(f"*** Stopping node {name}")
    process.stop()
    say(f"*** Node {name} stopped")
    return 0
