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

`start_agents()` starts them all and returns them by name (`network-l3`,
`compute2-bridge`, ...); `.stop()` stops one (its heartbeats stop: it turns `XXX`).
"""

from __future__ import annotations

from minicloud.network.dataplane.base import Agent
from minicloud.network.dataplane.bridge import BridgeAgent
from minicloud.network.dataplane.dhcp import DhcpAgent
from minicloud.network.dataplane.l3 import L3Agent
from minicloud.topology import Topology

NETWORK_NODE = "network"


def start_agents(config, transport, tracer=None) -> dict[str, Agent]:
    """The agents of the network node and of every compute node; VXLAN tunnels start at
    each node's data-network address (topology.py)."""
    topology = Topology.from_config(config)
    data_ip = {node.name: node.address("data") for node in topology.nodes
               if "data" in node.networks}
    common = {"transport": transport, "tracer": tracer,
              "report_interval": config.agent_report_interval,
              "rpc_timeout": config.rpc_response_timeout, "workers": config.agent_workers}
    agents: dict[str, Agent] = {
        "network-l3": L3Agent(NETWORK_NODE, **common),
        "network-dhcp": DhcpAgent(NETWORK_NODE, **common),
        "network-bridge": BridgeAgent(NETWORK_NODE, local_ip=data_ip[NETWORK_NODE],
                                      physical_interfaces={"public": "network-ext"}, **common),
    }
    for node in topology.with_role("compute"):
        agents[f"{node.name}-bridge"] = BridgeAgent(node.name, local_ip=data_ip[node.name],
                                                    **common)
    for agent in agents.values():
        agent.start()
    return agents


__all__ = ["Agent", "BridgeAgent", "DhcpAgent", "L3Agent", "start_agents"]
