"""The processes launcher (`minicloud up --mode processes`): one OS process per node.

The controller runs in the launcher's own process, as in the in-process mode (cloud.py):
the APIs, the conductor, the schedulers, neutron-server. Every other node of the plan
(topology.py) is a child process running `minicloud node run --role ROLE --name NAME
--config nodes/NAME.json` (node_process.py), which is what a container or a second
machine runs. A child knows the cloud only through its configuration file (written here,
mode 0600, without the users' passwords), RabbitMQ and the APIs; its output goes to
`logs/NAME.log` in the data directory, and its spans to the controller's trace.db.

`minicloud node stop NAME` sends the child SIGTERM (it stops cleanly), `kill` SIGKILL (a
crash), `start` starts a new child; `minicloud agent stop|start` is passed on to the
child's own control socket (`nodes/NAME.sock`, node_process.py). A child stops by itself
when the launcher is gone (node_process.follow_launcher), so even a launcher killed with
SIGKILL leaves no node behind.

The controller's APIs named in `Config.api_workers` also get worker processes
(api_worker.py, `ApiWorkerChild` here): children that serve the same API on the same
port, started with the controller and stopped with the cloud. They are part of the
controller, not nodes of the plan: `minicloud nodes -f json` lists them under its
`workers`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from minicloud import api_worker
from minicloud.cloud import Cloud
from minicloud.node import SERVICES, PlannedNode
from minicloud.node_process import LAUNCHER_PID
from minicloud.topology import Node as NodeSpec

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class ChildNode(PlannedNode):
    """A node of the plan running as a child process; the launcher's handle on it."""

    def __init__(self, spec: NodeSpec, config, say):
        self.spec, self.config, self.say = spec, config, say
        self.process: subprocess.Popen | None = None
        self.when_all_up: list = []
        self.log = config.path("logs", f"{spec.name}.log")
        self._log_start = 0  # where this child's output begins in its log

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.running else None

    def spawn(self) -> None:
        """Start the child; `wait_up` waits for it to say it is up."""
        path = self.config.save_for_node(self.spec.name)
        self.log.parent.mkdir(mode=0o700, exist_ok=True)
        self._log_start = self.log.stat().st_size if self.log.exists() else 0
        args = self._command(path)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1", LAUNCHER_PID: str(os.getpid())})
        self.say(self._started())

    def _command(self, path) -> list[str]:
        return [sys.executable, "-m", "minicloud", "node", "run", "--role", self.role,
                "--name", self.name, "--config", str(path)]

    def _started(self) -> str:
        return (f"*** Starting node {self.name} ({self.role}), pid {self.process.pid}: "
                f"{', '.join(self.spec.services)}")

    @property
    def ready_line(self) -> str:
        return f"*** Node {self.name} is up"

    def wait_up(self, timeout: float = START_TIMEOUT) -> None:
        """Until the child's log says it is up (`ready_line`); RuntimeError if it exits
        first or takes longer than `timeout`."""
        ready = self.ready_line.encode()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready in self._output():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited with status "
                                   f"{self.process.returncode}; see {self.log}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"node {self.name} did not come up within {timeout:.0f} s; "
                           f"see {self.log}")

    def _output(self) -> bytes:
        with open(self.log, "rb") as f:
            f.seek(self._log_start)
            return f.read()

    def start(self) -> None:
        self.spawn()
        self.wait_up()

    def stop(self) -> None:
        """SIGTERM: the node stops its parts and says goodbye; SIGKILL if it hangs."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: the node dies as in a crash; its services go down after their down time."""
        if self.running:
            self.process.kill()
            self.process.wait()


class ApiWorkerChild(ChildNode):
    """A worker process of one of the controller's APIs (api_worker.py), with the
    controller's configuration file; its output goes to `logs/<service>-api-N.log`."""

    def __init__(self, spec: NodeSpec, service: str, index: int, config, say):
        self.service, self.index = service, index
        super().__init__(spec, config, say)
        self.log = config.path("logs", f"{self.name}.log")

    @property
    def name(self) -> str:
        return f"{self.service}-api-{self.index}"

    def _command(self, path) -> list[str]:
        return [sys.executable, "-m", "minicloud.api_worker", self.service,
                "--name", self.name, "--config", str(path)]

    def _started(self) -> str:
        return f"    {self.service:<9} API worker {self.name}, pid {self.process.pid}"

    @property
    def ready_line(self) -> str:
        return f"*** API worker {self.name} is up"


class ProcessCloud(Cloud):
    """The controller here; every other node a child process, started all at once."""

    def __init__(self, config, say=print):
        super().__init__(config, say)
        if config.transport_url.startswith("memory"):
            raise ValueError("nodes in processes of their own talk over RabbitMQ, not the "
                             "in-memory bus: give `--transport-url rabbit://...`")
        self.tracer.stamp = {"pid": os.getpid()}
        self.workers: list[ApiWorkerChild] = []

    def _start_controller(self, node) -> None:
        """The APIs here, then their worker processes (they join the ports just opened);
        `_wait_for_nodes` waits for them."""
        counts = {service: n for service, _ in SERVICES
                  if (n := self.config.api_workers_of(service)) > 0}
        for service in counts:
            api_worker.builder(service)  # ValueError before anything starts
        super()._start_controller(node)
        for service, count in counts.items():
            for index in range(1, count + 1):
                worker = ApiWorkerChild(node.spec, service, index, self.config, self.say)
                worker.spawn()
                self.workers.append(worker)

    def _start_node(self, spec) -> ChildNode:
        child = ChildNode(spec, self.config, self.say)
        child.spawn()
        return child

    def _wait_for_nodes(self) -> None:
        for worker in self.workers:
            worker.wait_up()
        for node in self.nodes.values():
            if isinstance(node, ChildNode):
                node.wait_up()
                self.say(f"    {node.name} is up")

    def start(self) -> None:
        try:
            super().start()
        except BaseException:
            self.stop()  # no child outlives a launcher that failed to start
            raise

    def agent_request(self, node, request: dict) -> dict:
        """A child node's agents answer on its own socket (node_process.py)."""
        if not isinstance(node, ChildNode):
            return super().agent_request(node, request)
        from minicloud.control import NotRunning, ask
        from minicloud.node_process import control_socket

        try:
            return ask(self.config.home, request, name=control_socket(node.name))
        except (NotRunning, OSError, ValueError) as exc:
            return {"error": f"node {node.name} did not answer: {exc}"}

    def describe(self, node) -> dict:
        found = super().describe(node)
        if node.role == "controller":
            found["workers"] = [w.pid for w in self.workers if w.running]
        return found

    def stop(self) -> None:
        for child in [*self.workers, *self.nodes.values()]:  # all at once: each stops in
            if isinstance(child, ChildNode) and child.running:  # its own time
                child.process.send_signal(signal.SIGTERM)
        super().stop()
        for worker in self.workers:  # `minicloud down` returns once none is left
            worker.stop()
