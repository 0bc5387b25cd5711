"""Two compute nodes whose data interfaces meet on a switch, with real bridge agents and a
real neutron-server (tests/network/server.py) on a memory bus: what test_l2.py and
test_security_groups.py build. Everything is named after `prefix`; the teardown checks
that nothing is left."""

from __future__ import annotations

import contextlib
import subprocess

from minicloud.config import Config
from minicloud.netns.plumbing import Namespace, names
from tests.fakes import Caller
from tests.network.server import neutron_server


@contextlib.contextmanager
def two_compute_nodes(home, prefix: str, switch: str, vteps: dict, make_node):
    """`make_node(host, hub, transport)`: a test's node (with `.ns` and `.agent`), one per
    host of `vteps`. Yields (an admin Caller, the nodes by host, every namespace made)."""
    config = Config(home=home, agent_report_interval=0.2, dataplane="linux")
    with neutron_server(config) as (neutron, client):
        hub = Namespace.create(f"{prefix}-hub")
        made: list[Namespace] = [hub]
        nodes: list = []
        try:
            hub.bridge(switch)
            for host in vteps:
                node = make_node(host, hub, neutron.transport)
                nodes.append(node)
                made.append(node.ns)
            for node in nodes:
                node.agent.start()
            yield Caller(client, "admin"), {n.host: n for n in nodes}, made
        finally:
            for node in nodes:
                node.agent.stop()
            for ns in reversed(made):
                ns.delete()
    assert names(prefix) == []
    host_links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                                text=True).stdout
    assert prefix not in host_links and switch not in host_links
