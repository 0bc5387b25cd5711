"""The simulated data plane: Neutron's agents, as objects that record what they would
configure instead of touching the host's networking.

They are real RPC peers of neutron-server (over `cloud.transport`): they receive
port/network/router updates, cast `report_state` heartbeats (topic `q-reports-plugin`)
and `update_device_up` (topic `q-plugin`) to neutron-server's rpc_callbacks.py, and
answer `get_dataplane` calls with what they configured.

    node      agents
    network   L3 agent (qrouter-<id> namespaces, SNAT/DNAT), DHCP agent (qdhcp-<net id>,
              host entries), Linux bridge agent (brq<net id[:11]>, vxlan-<VNI>, the
              external interface)
    computeN  Linux bridge agent

`agents_for(node, ...)` makes the agents of one node, by name (`network-l3`,
`compute2-bridge`, ...); network/service.py starts them on their nodes; `.stop()` stops
one (its heartbeats stop: it turns `XXX`), `.start()` brings it back (it syncs first).
"""

from __future__ import annotations

from minicloud.network.dataplane.base import Agent
from minicloud.network.dataplane.bridge import BridgeAgent
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
    if node.role == "compute":
        return {f"{node.name}-bridge": BridgeAgent(node.name, local_ip=local_ip, **common)}
    return {f"{node.name}-l3": L3Agent(node.name, **common),
            f"{node.name}-dhcp": DhcpAgent(node.name, **common),
            f"{node.name}-bridge": BridgeAgent(node.name, local_ip=local_ip, physical_interfaces={
                "public": f"{node.name}-ext"}, **common)}


__all__ = ["Agent", "BridgeAgent", "DhcpAgent", "L3Agent", "agents_for"]
