"""What every agent does: listen on its RPC topic as its host, ask neutron-server for
everything it should have configured (its full sync: on start, and again on each heartbeat
until that succeeds), send a heartbeat (`report_state` cast to `q-reports-plugin`) every
`report_interval` seconds, report wired ports up, and answer `get_dataplane` with a copy
of what it configured."""

from __future__ import annotations

import abc
import copy
import logging
import threading

from minicloud.common import rpc
from minicloud.common.context import RequestContext
from minicloud.network.topics import PLUGIN_TOPIC, REPORTS_TOPIC

LOG = logging.getLogger(__name__)


class Agent(abc.ABC):
    agent_type = binary = topic = ""
    availability_zone: str | None = "nova"

    def __init__(self, host: str, *, transport, report_interval: float, rpc_timeout: float,
                 workers: int, tracer=None):
        """`report_interval`, `rpc_timeout` and `workers` are Config's
        agent_report_interval, rpc_response_timeout and agent_workers."""
        self.host = host
        self.transport, self.tracer = transport, tracer
        self.report_interval = report_interval
        self.state: dict = {}
        self.lock = threading.Lock()
        self.plugin = rpc.RPCClient(transport, PLUGIN_TOPIC, service=f"{self.binary}@{host}",
                                    tracer=tracer, timeout=rpc_timeout)
        self.reports = rpc.RPCClient(transport, REPORTS_TOPIC, service=self.plugin.service,
                                     timeout=rpc_timeout)
        # One worker (agent_workers = 1): updates are applied in the order neutron-server
        # sent them.
        self.server = rpc.RPCServer(transport, self.topic, host, [self],
                                    service=f"{self.binary}@{host}", tracer=tracer,
                                    workers=workers)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._synced = False

    @property
    def name(self) -> str:
        return f"{self.binary}@{self.host}"

    def configurations(self) -> dict:
        return {}

    def start(self) -> "Agent":
        self.server.start()  # listening first: an update sent during the sync is not lost
        self._stopped.clear()
        self._synced = False
        self._sync()
        self._report(start_flag=True)
        self._thread = threading.Thread(target=self._heartbeat, name=f"heartbeat-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop heartbeats and RPC: neutron-server will show this agent dead (XXX)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.server.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

    def _heartbeat(self) -> None:
        while not self._stopped.wait(self.report_interval):
            if not self._synced:
                self._sync()
            self._report()

    def _sync(self) -> None:
        try:
            self.full_sync(RequestContext(user_name=self.binary))
        except rpc.RPCError as exc:  # neutron-server away (or timed out): next beat
            LOG.warning("%s: full sync failed, trying again later: %s", self.name, exc)
            return
        self._synced = True

    @abc.abstractmethod
    def full_sync(self, ctx) -> None:
        """Ask neutron-server for what this agent should have, and configure it."""

    def _report(self, start_flag: bool = False) -> None:
        state = {"agent_type": self.agent_type, "binary": self.binary, "host": self.host,
                 "topic": self.topic, "availability_zone": self.availability_zone,
                 "configurations": self.configurations(), "start_flag": start_flag}
        try:
            self.reports.cast(None, "report_state", agent_state=state)
        except rpc.RPCError as exc:  # the server is away: try again next beat
            LOG.warning("%s: report_state failed: %s", self.name, exc)

    def device_up(self, ctx, port_id: str) -> None:
        try:
            self.plugin.cast(ctx, "update_device_up", port_id=port_id, host=self.host)
        except rpc.RPCError as exc:
            LOG.warning("%s: update_device_up failed: %s", self.name, exc)

    # -- RPC: what neutron-server may ask ---------------------------------------------------
    def get_dataplane(self, ctx) -> dict:
        with self.lock:
            return copy.deepcopy(self.state)
