"""The physical layer of the netns mode: the plan's nodes as network namespaces, joined by
the plan's four networks as Linux bridges on the host (topology.py has both).

    host bridges      mc-mgmt  mc-data  mc-ext  mc-api
    node namespaces   mc-controller  mc-network  mc-compute1  ...  mc-storage3
    inside a node     one interface per network it is on, named after it (mgmt, data,
                      ext, api), with the node's address from the plan
    on the host       a veth end per node and network, in its bridge: mc<host number><net>
                      (mc31data is compute1's end on the data network)

The host itself has address .1 on the management network (where the nodes find RabbitMQ),
on the external network (the "internet" that routers reach and floating IPs are reached
from) and on the API network (where the learner's CLI reaches the controller). It has none
on the data network: only the nodes' VXLAN tunnels travel there.

`Fabric.build()` makes it all (and first removes what a crashed run left),
`Fabric.teardown()` removes it all, `Fabric.leftovers()` lists what is still there.
"""

from __future__ import annotations

import ipaddress
import socket

from minicloud.netns.plumbing import Namespace, PlumbingError, names, veth
from minicloud.topology import NETWORKS, SHORT, Node, Topology

HOST_NUMBER = 1
EPHEMERAL_PORTS = "61000 64999"
HOST_NETWORKS = ("management", "external", "api")


class Fabric:
    def __init__(self, topology: Topology, prefix: str = "mc"):
        self.topology, self.prefix = topology, prefix
        self.host = Namespace(None)
        self.namespaces: dict[str, Namespace] = {}

    # -- names ------------------------------------------------------------------------------
    def bridge(self, network: str) -> str:
        return f"{self.prefix}-{SHORT[network]}"

    def namespace(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def host_end(self, node: Node, network: str) -> str:
        return f"{self.prefix}{node.number}{SHORT[network]}"

    @staticmethod
    def inside(network: str) -> str:
        """A node's interface on `network`."""
        return SHORT[network]

    @staticmethod
    def host_address(network: str) -> str:
        return NETWORKS[network].address(HOST_NUMBER)

    # -- life -------------------------------------------------------------------------------
    def build(self) -> None:
        self.teardown()  # what a crashed run left
        self.check_clashes()
        for network in NETWORKS:
            self.host.bridge(self.bridge(network))
            if network in HOST_NETWORKS:
                self.host.address(self.bridge(network), self._cidr(network, HOST_NUMBER))
        for node in self.topology.nodes:
            self.add_node(node)

    def check_clashes(self) -> None:
        """The host must not already reach one of the plan's networks it joins some other
        way (its own LAN, a VPN, Docker): taking .1 there would cut it off."""
        ours = {self.bridge(network) for network in NETWORKS}
        routes = []
        for route in self.host.ipr.get_routes(family=socket.AF_INET, table=254):
            if not route["dst_len"]:
                continue  # the default route
            device = self.host.ipr.get_links(route.get_attr("RTA_OIF"))[0]
            if device.get_attr("IFLA_IFNAME") not in ours:
                routes.append((f"{route.get_attr('RTA_DST')}/{route['dst_len']}",
                               device.get_attr("IFLA_IFNAME")))
        problem = clash(routes, self.topology)
        if problem:
            raise PlumbingError(problem)

    def add_node(self, node: Node) -> Namespace:
        ns = self.namespaces[node.name] = Namespace.create(self.namespace(node.name))
        # A node's outgoing connections take local ports above every service port (5000-9876
        # plus a port offset of up to 50000): the kernel's default range (32768-60999) could
        # hand one of them out just before an API binds it ("Address already in use").
        ns.sysctl("net.ipv4.ip_local_port_range", EPHEMERAL_PORTS)
        for network in node.networks:
            end = self.host_end(node, network)
            veth(self.host, end, ns, self.inside(network))
            self.host.enslave(end, self.bridge(network))
            ns.address(self.inside(network), self._cidr(network, node.number))
        return ns

    def teardown(self) -> None:
        for ns in self.namespaces.values():
            ns.delete()
        self.namespaces.clear()
        for name in self._node_namespaces():  # an earlier run's
            Namespace(name).delete()
        for link in self._host_links():
            self.host.delete_link(link)
        self.host.close()

    def leftovers(self) -> list[str]:
        """Namespaces and host links of this fabric that exist now."""
        return self._node_namespaces() + self._host_links()

    def _node_namespaces(self) -> list[str]:
        """The nodes' namespaces, and those their agents and drivers made (qdhcp-,
        qrouter-, qvm-: Config.namespace_prefix), which a node that was killed leaves."""
        ours = {self.namespace(node.name) for node in self.topology.nodes}
        return [name for name in names(f"{self.prefix}-")
                if name in ours or name.startswith(f"{self.prefix}-q")]

    def _host_links(self) -> list[str]:
        ours = {self.bridge(network) for network in NETWORKS}
        ends = {self.host_end(node, network) for node in self.topology.nodes
                for network in node.networks}
        present = {link.get_attr("IFLA_IFNAME") for link in self.host.ipr.get_links()}
        return sorted(present & (ours | ends))

    @staticmethod
    def _cidr(network: str, number: int) -> str:
        net = ipaddress.ip_network(NETWORKS[network].cidr)
        return f"{net[number]}/{net.prefixlen}"


def clash(routes: list[tuple[str, str]], topology: Topology) -> str | None:
    """What is wrong with joining the host to the plan's networks, given the host's other
    routes (destination, interface), or None.

    A route into one of those networks clashes, except a host route (/32) to an address the
    plan gives no one: it stays more specific than the fabric's /24, so the host keeps
    reaching that one address the way it did. (Where a machine's package mirror or proxy
    lives inside 203.0.113.0/24, `ip route add <its address>/32 via <gateway>` before lab-up
    keeps it reachable; docs/architecture.md says so.)"""
    for network in HOST_NETWORKS:
        plan = ipaddress.ip_network(NETWORKS[network].cidr)
        taken = {NETWORKS[network].address(HOST_NUMBER)} | {
            node.address(network) for node in topology.nodes if network in node.networks}
        for destination, ifname in routes:
            dst = ipaddress.ip_network(destination, strict=False)
            if not plan.overlaps(dst):
                continue
            if dst.prefixlen == 32 and str(dst.network_address) not in taken:
                continue
            return (f"the {network} network {plan} overlaps {dst} on the host's {ifname}: "
                    f"change its range in minicloud/topology.py")
    return None
