"""The in-process cloud: every service of the controller in this one process.

Each service is a Falcon app served on its own port by its own waitress server, with its
own SQLite database in the data directory; they share the tracer (and, as later services
arrive, the message bus). `Cloud.start()` narrates what it starts, as a learner would want
to see it.
"""

from __future__ import annotations

import time
from typing import Callable

from minicloud.common.server import HttpServer
from minicloud.common.trace import Tracer, TraceStore
from minicloud.identity import api as identity_api
from minicloud.identity.bootstrap import bootstrap
from minicloud.identity.store import IdentityStore


def build_identity(cloud: "Cloud"):
    store = IdentityStore(cloud.config.path("identity.db"))
    bootstrap(cloud.config, store)
    return identity_api.create_app(cloud.config, store, cloud.tracer)


# (service, what OpenStack calls it, how to build its WSGI app), in start order.
SERVICES: list[tuple[str, str, Callable]] = [
    ("identity", "Keystone", build_identity),
]


class Cloud:
    def __init__(self, config, say: Callable[[str], None] = print):
        self.config = config
        self.say = say
        self.tracer = Tracer(TraceStore(config.path("trace.db")))
        self.apps: dict = {}
        self.servers: list[HttpServer] = []

    def start(self) -> None:
        t0 = time.monotonic()
        self.config.home.mkdir(parents=True, exist_ok=True)
        self.config.save()
        self.say(f"*** Data directory: {self.config.home}")
        self.say("*** Starting the controller node's services")
        for service, label, build in SERVICES:
            self.apps[service] = app = build(self)
            server = HttpServer(service, app, self.config.host, self.config.port(service),
                                self.config.waitress_threads).start()
            self.servers.append(server)
            self.say(f"    {service:<9} {label:<9} {self.config.base_url(service)}")
        self.say(f"*** Cloud ready in {time.monotonic() - t0:.2f} s")

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        if self.tracer.store is not None:
            self.tracer.store.flush()
