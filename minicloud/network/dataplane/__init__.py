"""The data plane: Neutron's agents, as objects that record what they configure, and (with
Config.dataplane "linux") the bridge agent also makes it for real in the namespace it
runs in (bridge.py's wiring seam, linux_bridge.py).

They are real RPC peers of neutron-server (over `cloud.transport`): they receive
port/network/router updates, cast `report_state` heartbeats (topic `q-reports-plugin`)
and `update_device_up` (topic `q-plugin`) to neutron-server's rpc_callbacks.py, and
answer `get_dataplane` calls with what they configured.

    node      agents
    network   L3 agent (qrouter-<id> namespaces, SNAT/DNAT), DHCP agent (qdhcp-<net id>,
              host entries), Linux bridge agent (brq<net id[:11]>, vxlan-<VNI>, the
              external interface)
    computeN  Linux bridge agent

The bridge agents also enforce security groups on the ports they plug (nftables with
Config.dataplane "linux": linux_firewall.py) and get `security_groups_rule_updated` /
`security_groups_member_updated` (fanout q-agent-notifier), and l2population's
`add_fdb_entries` / `remove_fdb_entries` (fanout q-agent-notifier): where each port MAC
of a VXLAN network lives.

`agents_for(node, ...)` makes the agents of one node, by name (`network-l3`,
`compute2-bridge`, ...); network/service.py starts them on their nodes; `.stop()` stops
one (its heartbeats stop: it turns `XXX`), `.start()` brings it back (it syncs first).
"""

from __future__ import annotations

from minicloud.network.dataplane.base import Agent
from minicloud.network.dataplane.bridge import BridgeAgent, SimulatedWiring
from minicloud.network.dataplane.dhcp import DhcpAgent
from minicloud.network.dataplane.l3 import L3Agent


def agents_for(node, config, transport, tracer=None) -> dict[str, Agent]:
    """The agents a node runs (`node`: a topology.Node of the network or compute role), by
    name (`network-l3`, `compute2-bridge`), not started yet. VXLAN tunnels start at the
    node's address on the data network; the network node's external interface carries
    physnet `public`."""
    common = {"transport": transport, "tracer": tracer,
              "report_interval": config.agent_report_interval,
              "rpc_timeout": config.rpc_response_timeout, "workers": config.agent_workers}
    local_ip = node.address("data")
    wiring = bridge_wiring(config, local_ip)
    firewall = bridge_firewall(config, wiring)
    if node.role == "compute":
        return {f"{node.name}-bridge": BridgeAgent(node.name, local_ip=local_ip, wiring=wiring,
                                                   firewall=firewall, **common)}
    return {f"{node.name}-l3": L3Agent(node.name, wiring=l3_wiring(config), **common),
            f"{node.name}-dhcp": DhcpAgent(node.name, wiring=dhcp_wiring(config, node.name),
                                           **common),
            f"{node.name}-bridge": BridgeAgent(node.name, local_ip=local_ip, physical_interfaces={
                "public": external_interface(node, wiring)}, wiring=wiring, firewall=firewall,
                **common)}


def external_interface(node, wiring) -> str:
    """Where physnet `public` leaves the network node: the plan's name for it when
    simulated (`network-ext`); with real wiring, the interface holding the node's external
    address (`ext` in a netns node, an ethN in a container)."""
    name = f"{node.name}-ext"
    if isinstance(wiring, SimulatedWiring):
        return name
    return wiring.interface_of(node.address("external")) or name


def bridge_wiring(config, local_ip: str):
    """What carries out the bridge agent's decisions: nothing (simulated) or netlink in
    the namespace this process runs in (linux)."""
    if config.dataplane == "simulated":
        return SimulatedWiring()
    if config.dataplane == "linux":  # pyroute2 and root needed only here
        from minicloud.netns.plumbing import Namespace
        from minicloud.network.dataplane.linux_bridge import LinuxBridgeWiring
        return LinuxBridgeWiring(Namespace(None), local_ip)
    raise ValueError(f"dataplane must be simulated or linux, not {config.dataplane!r}")


def bridge_firewall(config, wiring):
    """Security groups as nftables in the bridges' namespace (linux), or only recorded."""
    from minicloud.network.dataplane import linux_firewall
    if config.dataplane != "linux":
        return linux_firewall.SimulatedFirewall()
    return linux_firewall.LinuxFirewall(wiring.ns)


def dhcp_wiring(config, host: str):
    """dnsmasq in qdhcp- namespaces (linux), or nothing (simulated)."""
    if config.dataplane != "linux":
        return None
    from minicloud.network.dataplane import linux_dhcp
    return linux_dhcp.for_node(config, host, prefix=config.namespace_prefix)


def l3_wiring(config):
    """qrouter- namespaces with nftables (linux), or nothing (simulated)."""
    if config.dataplane != "linux":
        return None
    from minicloud.network.dataplane.linux_l3 import LinuxL3
    return LinuxL3(prefix=config.namespace_prefix)


__all__ = ["Agent", "BridgeAgent", "DhcpAgent", "L3Agent", "SimulatedWiring", "agents_for",
           "bridge_firewall", "bridge_wiring", "external_interface"]
