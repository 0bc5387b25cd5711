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

NETWORK_NODE = "network"


def data_ip(host: str, index: int) -> str:
    """The host's address on the data network (VXLAN tunnel endpoints)."""
    return f"10.0.2.{10 + index}"


def start_agents(config, transport, tracer=None) -> dict[str, Agent]:
    common = {"transport": transport, "tracer": tracer,
              "report_interval": config.agent_report_interval,
              "rpc_timeout": config.rpc_response_timeout, "workers": config.agent_workers}
    agents: dict[str, Agent] = {
        "network-l3": L3Agent(NETWORK_NODE, **common),
        "network-dhcp": DhcpAgent(NETWORK_NODE, **common),
        "network-bridge": BridgeAgent(NETWORK_NODE, local_ip=data_ip(NETWORK_NODE, 0),
                                      physical_interfaces={"public": "network-ext"}, **common),
    }
    for index, host in enumerate(config.compute_hosts, start=1):
        agents[f"{host}-bridge"] = BridgeAgent(host, local_ip=data_ip(host, index), **common)
    for agent in agents.values():
        agent.start()
    return agents


__all__ = ["Agent", "BridgeAgent", "DhcpAgent", "L3Agent", "start_agents"]
