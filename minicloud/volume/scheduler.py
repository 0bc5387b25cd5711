"""cinder-scheduler: which storage node gets a new volume.

Every cinder-volume fans out its capacity (`update_service_capabilities`); cinder-api casts
`create_volume` here; the scheduler keeps the backends with room for the volume
(CapacityFilter), picks the one with the most free space (CapacityWeigher), counts the
space as taken at once (so a burst of creates spreads out), and casts `create_volume` to
that node's cinder-volume. A copy of a snapshot or volume goes where its source lives. No
backend fits: the volume goes to `error`, reported to cinder-api like any other outcome.
"""

from __future__ import annotations

import threading
import time

from minicloud.common import rpc
from minicloud.volume.core import REPORTS_TOPIC, VOLUME_TOPIC
from minicloud.volume.manager import BACKEND_NAME


class NoValidBackend(Exception):
    pass


class SchedulerManager:
    def __init__(self, transport, tracer=None):
        self.backends: dict[str, dict] = {}  # host@backend -> capabilities
        self.seen: dict[str, float] = {}  # host@backend -> time of its last report
        self._lock = threading.Lock()
        self.volume_rpc = rpc.RPCClient(transport, VOLUME_TOPIC, service="cinder-scheduler",
                                        tracer=tracer)
        self.reports = rpc.RPCClient(transport, REPORTS_TOPIC, service="cinder-scheduler",
                                     tracer=tracer)

    def update_service_capabilities(self, ctx, host: str, capabilities: dict) -> None:
        with self._lock:
            self.backends[host] = dict(capabilities)
            self.seen[host] = time.time()

    def select(self, size: int, source_host: str | None = None) -> str:
        with self._lock:
            if source_host:
                server = source_host.split("#")[0]
                if server not in self.backends:
                    raise NoValidBackend(f"the source's backend {server} is not reporting")
                candidates = [server]
            else:
                candidates = [h for h, c in self.backends.items()
                              if c.get("free_capacity_gb", 0) >= size]
            if not candidates:
                raise NoValidBackend("No valid backend was found. No weighed backends "
                                     "available")
            chosen = max(candidates, key=lambda h: (self.backends[h]["free_capacity_gb"], h))
            self.backends[chosen]["free_capacity_gb"] -= size  # consumed until the next report
            return chosen

    def create_volume(self, ctx, request_spec: dict) -> None:
        spec = dict(request_spec)
        try:
            server = self.select(spec["size"], spec.pop("source_host", None))
        except NoValidBackend as exc:
            self.reports.cast(ctx, "volume_update", volume_id=spec["volume_id"],
                              status="error", reason=str(exc))
            return
        self.volume_rpc.prepare(server=server).cast(ctx, "create_volume", **spec)

    def get_services(self, ctx) -> list[dict]:
        """The cinder-volume services that reported, and when (`volume service list`)."""
        with self._lock:
            return [{"host": h, "last_seen": self.seen[h]} for h in sorted(self.seen)]

    def get_pools(self, ctx) -> list[dict]:
        """What `GET /scheduler-stats/get_pools` shows (`openstack volume backend pool list`)."""
        with self._lock:
            return [{"name": f"{h}#{BACKEND_NAME}", "capabilities": dict(c)}
                    for h, c in sorted(self.backends.items())]
