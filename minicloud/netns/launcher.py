"""The netns launcher (`minicloud up --mode netns`, as root): the processes mode, with each
node in a network namespace of its own on the plan's networks (fabric.py).

    1. the fabric: host bridges mc-mgmt, mc-data, mc-ext, mc-api; a namespace per node
       with its addresses from the plan (topology.py)
    2. a relay from the host's management address to the broker (relay.py), made while
       the launcher is still in the host's namespace
    3. the launcher enters mc-controller and starts the controller there: the APIs listen
       on every address of the namespace; the catalog's public endpoints are on the API
       network (the learner's CLI reaches them through mc-api), its internal ones on the
       management network (where the other nodes reach them)
    4. every other node: `nsenter --net=/run/netns/mc-NODE unshare --uts` (its own host
       name) `minicloud node run ...`, as in the processes mode

`minicloud down` stops the nodes, then removes every namespace and link the fabric made;
so does a start that fails half-way.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from pyroute2 import netns

from minicloud.netns.fabric import Fabric
from minicloud.netns.relay import start_relay
from minicloud.processes import ChildNode, ProcessCloud
from minicloud.topology import CONTROLLER, Topology


class NetnsChild(ChildNode):
    """A node's process, started inside the node's namespace with its own host name."""

    def __init__(self, spec, config, say, namespace: str):
        super().__init__(spec, config, say)
        self.namespace = namespace

    def _command(self, path) -> list[str]:
        # nsenter, not `ip netns exec`: that one also gives the process a mount namespace
        # of its own, and the namespaces the node makes (qdhcp-, qrouter-, qvm-: bind
        # mounts under /run/netns) would then exist for it alone
        return ["nsenter", f"--net=/run/netns/{self.namespace}", "unshare", "--uts", "sh",
                "-c", 'hostname "$0" && exec "$@"', self.name, *super()._command(path)]


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{host}:{parts.port or 5672}" if credentials else \
        f"{host}:{parts.port or 5672}"
    return urlunsplit(parts._replace(netloc=netloc))


class NetnsCloud(ProcessCloud):
    def __init__(self, config, say=print):
        if os.geteuid() != 0:
            raise ValueError("the netns mode makes namespaces and bridges: run it as root")
        self.fabric = Fabric(Topology.from_config(config), config.netns_prefix)
        controller = self.fabric.topology.node(CONTROLLER)
        self.broker_host = self.fabric.host_address("management")  # the relay's address
        broker = urlsplit(config.transport_url)
        host = broker.hostname or "127.0.0.1"
        # a URL saved by an earlier run names the relay; the broker is on the loopback
        self.broker = ("127.0.0.1" if host == self.broker_host else host, broker.port or 5672)
        config.host = controller.address("api")
        config.internal_host = controller.address("management")
        config.bind_host = "0.0.0.0"
        config.own_addresses = True
        config.dataplane = "linux"  # real bridges, VXLAN, dnsmasq and nftables
        config.compute_driver = "netns"  # a server is a namespace with a guest
        config.transport_url = _with_host(config.transport_url, self.broker_host)
        super().__init__(config, say)
        self.relay = None

    def start(self) -> None:
        self.say(f"*** Networks: {', '.join(self.fabric.bridge(n) for n in ('management', 'data', 'external', 'api'))}"
                 f" (host bridges); a namespace per node: {self.fabric.namespace('<node>')}")
        try:
            self.fabric.build()
            self.relay = start_relay((self.broker_host, self.broker[1]), self.broker)
            netns.setns(self.fabric.namespace(CONTROLLER), flags=0)
        except BaseException:
            self._teardown()
            raise
        super().start()  # stops what it started if it fails; stop() tears down

    def _start_node(self, spec) -> ChildNode:
        child = NetnsChild(spec, self.config, self.say, self.fabric.namespace(spec.name))
        child.spawn()
        return child

    def stop(self) -> None:
        super().stop()
        self._teardown()

    def _teardown(self) -> None:
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        self.fabric.teardown()
