"""An API worker: one more process serving a controller API on the controller's own port,
as uWSGI's `processes` serve Keystone and Swift's `workers` serve its proxy.

In the processes mode (processes.py) the launcher serves every API in one interpreter, so
one lock (the GIL) serializes them all; `Config.api_workers` (e.g. {"identity": 2}) has it
start that many children `python -m minicloud.api_worker SERVICE --name NAME --config
nodes/controller.json` besides its own server. Each builds the service's app with the
service's `api_worker(node)` (its `service.py`): the same app as the controller's, over
the same database and files, without the one-time work the controller did (Keystone's
bootstrap, Swift's ring build, its ring keeper and replicator). Every server of the port
sets SO_REUSEPORT (common/server.py), so the kernel hands each new connection to one of
them. A worker stops on SIGTERM, and by itself when its launcher is gone.

Only a service that keeps nothing in memory that another process could change behind its
back can have workers (Keystone: tokens and revocations live in identity.db; Swift's
proxy: the ring is re-read when ring.json changes, the container cache is off).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from typing import Callable

from minicloud.common.server import HttpServer, api_server
from minicloud.common.trace_forward import TraceForwarder
from minicloud.node import Node, Runtime
from minicloud.topology import CONTROLLER, Topology


def builder(service: str) -> Callable:
    """The service's `api_worker(node)`; ValueError for a service that has none."""
    build = getattr(importlib.import_module(f"minicloud.{service}.service"), "api_worker", None)
    if build is None:
        raise ValueError(f"the {service} API cannot run in worker processes (only a service "
                         f"whose service.py has api_worker can): fix Config.api_workers")
    return build


class ApiWorker(Runtime):
    def __init__(self, config, service: str, name: str, say=print):
        super().__init__(config, say)
        self.service, self.name = service, name
        self.build = builder(service)
        self.node = Node(Topology.from_config(config).node(CONTROLLER), self)
        self.server: HttpServer | None = None

    def start(self) -> "ApiWorker":
        from minicloud.common import rpc

        self.transport = rpc.get_transport(self.config.transport_url)
        self.tracer.store = TraceForwarder(self.transport)  # to the controller's trace.db
        self.tracer.stamp = {"pid": os.getpid()}
        app = self.build(self.node)
        config = self.config
        self.server = api_server(self.service, app, config, join=True).start()
        self.say(f"*** API worker {self.name} is up: {config.base_url(self.service)}, "
                 f"pid {os.getpid()}")
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.node.stop()
        self.close()


def run(config, service: str, name: str, say=print) -> int:
    """Serve until SIGTERM or SIGINT (or the launcher's end); then stop cleanly."""
    from minicloud.node_process import follow_launcher

    follow_launcher()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    worker = ApiWorker(config, service, name, say).start()
    done.wait()
    say(f"*** Stopping API worker {name}")
    worker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Started by the processes launcher only: not a command of `minicloud`."""
    from minicloud.config import Config

    parser = argparse.ArgumentParser(prog="python -m minicloud.api_worker")
    parser.add_argument("service", help="identity, object, ...")
    parser.add_argument("--name", required=True, help="e.g. identity-api-1")
    parser.add_argument("--config", required=True, help="nodes/controller.json")
    args = parser.parse_args(argv)
    try:
        return run(Config.from_file(args.config), args.service, args.name,
                   say=lambda line: print(line, flush=True))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
