"""One of the controller's services inside its container, in a process of its own:

    python -m minicloud.dockermode.controller SERVICE      (identity, image, network, ...)

The container's init (entry.py) starts one per service, in the order node.SERVICES gives
(Keystone first: every other service logs in to it), and restarts one that exits. Each
builds its service's controller part (its `service.py`: the API, and the conductor and
scheduler for Nova, the plugin's RPC servers for Neutron, ...) and serves the API on the
service's port on every address of the container. They share the node's volume (each its
own database) and RabbitMQ; Keystone's process also keeps the cloud's trace store, where
the other processes' and nodes' spans arrive over the bus (common/trace_forward.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from minicloud.common.server import HttpServer, api_server
from minicloud.common.trace_forward import TraceForwarder, start_collector
from minicloud.config import Config
from minicloud.dockermode import service_ready
from minicloud.dockermode.entry import STATE
from minicloud.node import SERVICES, Node, Runtime, parts
from minicloud.topology import CONTROLLER, Topology

COLLECTOR = "identity"  # the service whose process keeps trace.db


class ServiceProcess(Runtime):
    def __init__(self, config, service: str, say=print):
        super().__init__(config, say)
        if service not in dict(SERVICES):
            raise ValueError(f"no service {service}: {', '.join(s for s, _ in SERVICES)}")
        self.service = service
        self.node = Node(Topology.from_config(config).node(CONTROLLER), self)
        self.server: HttpServer | None = None  # (the proxy's: nodeserver's)

    def start(self) -> "ServiceProcess":
        from minicloud.common import rpc

        self.transport = rpc.get_transport(self.config.transport_url)
        if self.service == COLLECTOR:
            self.node.keep(start_collector(self.transport, self.tracer.store, CONTROLLER))
        else:
            self.tracer.store = TraceForwarder(self.transport)
        self.tracer.stamp = {"pid": os.getpid()}
        config = self.config
        app = parts(self.service)["controller"](self.node)
        self.server = api_server(self.service, app, config).start()
        for ready in self.node.when_all_up:
            ready()
        self.say(f"{service_ready(self.service)}: {config.base_url(self.service)}, pid "
                 f"{os.getpid()}")
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.node.stop()
        self.close()


def main(service: str) -> int:
    """Serve until SIGTERM (the init stopping) or SIGINT; then stop cleanly."""
    from minicloud.daemon import tune_malloc

    tune_malloc()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    process = ServiceProcess(Config.load(STATE), service,
                             say=lambda line: print(line, flush=True)).start()
    done.wait()
    process.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
