"""The topology (minicloud/topology.py): one address plan, no address twice, no overlap
with the tenant networks, and docs/architecture.md shows it as it is."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from minicloud.config import Config
from minicloud.network import bootstrap
from minicloud.topology import NETWORKS, ROLES, Topology

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


@pytest.fixture
def topology() -> Topology:
    return Topology.from_config(Config())


def test_the_nodes_and_their_roles(topology):
    assert [(n.name, n.role) for n in topology.nodes] == [
        ("controller", "controller"), ("network", "network"), ("compute1", "compute"),
        ("compute2", "compute"), ("storage1", "storage"), ("storage2", "storage"),
        ("storage3", "storage")]
    assert "cinder-volume" in topology.node("storage1").services
    assert "cinder-volume" not in topology.node("storage2").services
    more = Topology.from_config(Config(compute_hosts=["compute1", "compute2", "compute3"]))
    assert more.node("compute3").address("data") == "10.0.1.33"


def test_addresses_follow_the_install_guide(topology):
    assert topology.node("controller").addresses == {"management": "10.0.0.11",
                                                     "api": "198.51.100.11"}
    assert topology.node("network").address("external") == "203.0.113.21"
    assert topology.node("compute2").addresses == {"management": "10.0.0.32",
                                                   "data": "10.0.1.32"}
    with pytest.raises(KeyError):
        topology.node("storage1").address("data")  # a storage node has no data network


def test_no_address_is_used_twice_and_each_is_inside_its_network(topology):
    for network in NETWORKS.values():
        taken = [n.address(network.name) for n in topology.nodes
                 if network.name in n.networks]
        assert len(taken) == len(set(taken)), network.name
        assert all(ipaddress.ip_address(a) in ipaddress.ip_network(network.cidr)
                   for a in taken)


def test_tenant_networks_do_not_overlap_the_nodes_networks():
    source = Path(bootstrap.__file__).read_text()
    private = ipaddress.ip_network(re.search(r'"private-subnet".*?"cidr": "([^"]+)"',
                                             source, re.S).group(1))
    assert private == ipaddress.ip_network("172.16.1.0/24")
    for network in NETWORKS.values():
        assert not private.overlaps(ipaddress.ip_network(network.cidr)), network.name


def test_each_role_lists_its_networks_and_services():
    assert ROLES["compute"].networks == ("management", "data")
    assert "nova-compute" in ROLES["compute"].services
    assert "neutron-server" in ROLES["controller"].services


def test_the_architecture_page_shows_the_topology_as_it_is(topology):
    page = ARCHITECTURE.read_text()
    block = re.search(r"<!-- generated from minicloud/topology.py[^\n]*\n```mermaid\n(.*?)\n```",
                      page, re.S)
    assert block, "docs/architecture.md lost its generated topology diagram"
    assert block.group(1) == topology.mermaid(), (
        "docs/architecture.md is out of date: paste Topology.from_config(Config()).mermaid()")
    for node in topology.nodes:
        row = f"| `{node.name}` | {node.role} | " + ", ".join(
            f"{net} `{address}`" for net, address in node.addresses.items()) + " |"
        assert row in page, row
    for network in NETWORKS.values():
        assert f"| {network.name} | `{network.cidr}` |" in page


def test_the_fabric_refuses_a_host_route_into_the_plan_but_keeps_a_stranger_host_route(topology):
    """netns mode: the host's LAN inside a planned network is refused; a /32 to an address
    the plan gives no one (a package mirror at 203.0.113.80, say) is left to win."""
    from minicloud.netns.fabric import clash

    assert clash([("192.0.2.0/24", "eth0")], topology) is None
    assert clash([("203.0.113.80/32", "eth0")], topology) is None
    lan = clash([("203.0.113.0/25", "eth0")], topology)
    assert lan and "external network 203.0.113.0/24 overlaps 203.0.113.0/25" in lan
    taken = topology.node("network").address("external")  # the network node's own address
    assert "overlaps" in clash([(f"{taken}/32", "wg0")], topology)
    assert "overlaps" in clash([("10.0.0.1/32", "eth0")], topology)  # the host's own .1
