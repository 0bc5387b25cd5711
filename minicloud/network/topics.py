"""The RPC topics between neutron-server and its agents (Neutron's names), and the host
the L3 and DHCP agents run on. A module of its own so an agent loads nothing of the
server's to know them."""

from __future__ import annotations

from minicloud.topology import NETWORK_NODE

NETWORK_HOST = NETWORK_NODE  # where the L3 and DHCP agents run (topology.py)
BRIDGE_TOPIC, L3_TOPIC, DHCP_TOPIC, PLUGIN_TOPIC = ("q-agent-notifier", "l3_agent",
                                                    "dhcp_agent", "q-plugin")
# Heartbeats travel on their own topic, as in Neutron, and untraced: one every few seconds
# per agent would bury the learner's own requests in `minicloud trace list`.
REPORTS_TOPIC = "q-reports-plugin"
