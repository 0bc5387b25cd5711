"""The cloud's shape, written once: its nodes, the role each plays, what each role runs,
and the four networks that join them, with every node's address on each.

    role         runs                                                   networks
    controller   keystone glance nova-api nova-conductor nova-scheduler management api
                 neutron-server cinder-api cinder-scheduler swift-proxy
    network      neutron-l3-agent neutron-dhcp-agent                    management data
                 neutron-linuxbridge-agent                              external
    compute      nova-compute neutron-linuxbridge-agent                 management data
    storage      swift-object-server (and cinder-volume on the first)   management

The address plan follows the OpenStack install guide, so what a learner sees here is what
they will read there: management 10.0.0.0/24, data (VXLAN tunnels) 10.0.1.0/24, external
(provider) 203.0.113.0/24, API 198.51.100.0/24; a node has the same host number on every
network it is on (controller .11, network .21, computeN .3N, storageN .4N). Tenant
networks use other ranges (the bootstrapped `private` is the guide's 172.16.1.0/24).

These are the addresses the nodes have where they have their own network stack (the
network-namespace and Docker modes). In the in-process mode every service listens on
`Config.host` (127.0.0.1), and the simulated data plane shows the plan's addresses as the
ones it would configure. Every mode reads this module; nothing else writes an address.
"""

from __future__ import annotations

import dataclasses
import ipaddress


@dataclasses.dataclass(frozen=True)
class Network:
    name: str
    short: str  # the interface's name inside a node (netns and Docker modes), and in tables
    cidr: str
    purpose: str

    def address(self, host_number: int) -> str:
        return str(ipaddress.ip_network(self.cidr)[host_number])


NETWORKS = {n.name: n for n in (
    Network("management", "mgmt", "10.0.0.0/24",
            "control traffic: REST between services, RPC through RabbitMQ"),
    Network("data", "data", "10.0.1.0/24",
            "tenant traffic, in VXLAN tunnels between the network and compute nodes"),
    Network("external", "ext", "203.0.113.0/24",
            "the provider network: router gateways and floating IPs (gateway .1)"),
    Network("api", "api", "198.51.100.0/24",
            "where the learner's CLI and browser reach the controller"),
)}
SHORT = {n.name: n.short for n in NETWORKS.values()}
EXTERNAL_GATEWAY = NETWORKS["external"].address(1)


@dataclasses.dataclass(frozen=True)
class Role:
    name: str
    networks: tuple[str, ...]
    services: tuple[str, ...]


ROLES = {r.name: r for r in (
    Role("controller", ("management", "api"),
         ("keystone", "glance", "nova-api", "nova-conductor", "nova-scheduler",
          "neutron-server", "cinder-api", "cinder-scheduler", "swift-proxy")),
    Role("network", ("management", "data", "external"),
         ("neutron-l3-agent", "neutron-dhcp-agent", "neutron-linuxbridge-agent")),
    Role("compute", ("management", "data"), ("nova-compute", "neutron-linuxbridge-agent")),
    Role("storage", ("management",), ("swift-object-server",)),
)}


# Host numbers by role: controller .11, network .21, compute .31-.39, storage .41-.49.
FIRST_NUMBER = {"controller": 11, "network": 21, "compute": 31, "storage": 41}
# The names of the plan's one controller and one network node: the hosts that services
# address by name (cinder-api's report topic, the L3 and DHCP agents' topics).
CONTROLLER, NETWORK_NODE = "controller", "network"


@dataclasses.dataclass(frozen=True)
class Node:
    name: str
    role: str
    number: int  # the host number, the same on every network the node is on
    extra_services: tuple[str, ...] = ()

    @property
    def networks(self) -> tuple[str, ...]:
        return ROLES[self.role].networks

    @property
    def services(self) -> tuple[str, ...]:
        return ROLES[self.role].services + self.extra_services

    def address(self, network: str) -> str:
        """The node's address on `network` (KeyError if the node is not on it)."""
        if network not in self.networks:
            raise KeyError(f"{self.name} is not on the {network} network")
        return NETWORKS[network].address(self.number)

    @property
    def addresses(self) -> dict[str, str]:
        return {network: self.address(network) for network in self.networks}


@dataclasses.dataclass(frozen=True)
class Topology:
    nodes: tuple[Node, ...]

    @classmethod
    def from_config(cls, config) -> "Topology":
        """controller, network, the compute hosts and storage nodes the config names;
        the Cinder backend runs on the storage node `config.volume_backend_host`."""
        nodes = [Node(CONTROLLER, "controller", FIRST_NUMBER["controller"]),
                 Node(NETWORK_NODE, "network", FIRST_NUMBER["network"])]
        nodes += [Node(name, "compute", FIRST_NUMBER["compute"] + i)
                  for i, name in enumerate(config.compute_hosts)]
        nodes += [Node(name, "storage", FIRST_NUMBER["storage"] + i,
                       ("cinder-volume",) if name == config.volume_backend_host else ())
                  for i, name in enumerate(config.storage_node_names)]
        return cls(tuple(nodes))

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name} in this cloud")

    def place(self, name: str, role: str) -> Node:
        """The node `name` of the plan, or a new one of `role` with the next free host
        number of that role (a third compute node started by hand is .33)."""
        for node in self.nodes:
            if node.name == name:
                if node.role != role:
                    raise ValueError(f"{name} is a {node.role} node, not a {role} node")
                return node
        first = FIRST_NUMBER[role]
        taken = {n.number for n in self.nodes}
        number = next(n for n in range(first, first + 10) if n not in taken)
        return Node(name, role, number)

    def with_role(self, role: str) -> list[Node]:
        return [node for node in self.nodes if node.role == role]

    def mermaid(self) -> str:
        """The nodes, the networks each is on and its address there, as a mermaid graph
        (docs/architecture.md holds this text; a test checks it is current)."""
        lines = ["graph LR"]
        for net in NETWORKS.values():
            lines.append(f"    {net.name}[/\"{net.name} {net.cidr}\"/]")
        for node in self.nodes:
            rows = [" ".join(node.services[i:i + 3]) for i in range(0, len(node.services), 3)]
            label = "<br/>".join([f"<b>{node.name}</b>", *rows])
            lines.append(f"    {node.name}[\"{label}\"]")
            for network in node.networks:
                lines.append(f"    {node.name} ---|.{node.number}| {network}")
        return "\n".join(lines)
