"""`minicloud agent stop|start AGENT[@HOST]`: one Neutron agent fails, or comes back, while
its node runs on.

A stopped agent takes no more RPC messages and sends no more heartbeats, as a crashed
neutron-l3-agent would: `openstack network agent list` shows it dead (`XXX`, Alive False)
once its last `report_state` is older than `agent_down_time`. What neutron-server sends it
meanwhile (a router's `routers_updated`, a network's `network_update`) waits in its queue
(`l3_agent.network`, `dhcp_agent.network`: `minicloud bus queues`); started again, the agent
takes what waited, runs its full sync and reports alive at once.

    AGENT        what runs it        on
    l3           neutron-l3-agent    the network node
    dhcp         neutron-dhcp-agent  the network node
    linuxbridge  neutron-linuxbridge-agent   the network node and every compute node

`resolve` reads a name against the plan (topology.py); `act` stops or starts an agent of
this process (the launcher's in the in-process mode, a node process's in the processes
mode: cloud.py and node_process.py pass the request on).
"""

from __future__ import annotations

from minicloud.topology import NETWORK_NODE

# The CLI's names, as Neutron's binaries have them (neutron-l3-agent, ...), and the suffix
# of the agent's name in the runtime (`network-l3`, `compute2-bridge`).
KINDS = {"l3": "l3", "dhcp": "dhcp", "linuxbridge": "bridge"}
ACTIONS = ("stop", "start")


class AgentError(Exception):
    """The request names no agent of this cloud, or cannot be done; said to the user."""


def parse(text: str) -> tuple[str, str | None]:
    """`l3` -> ("l3", None); `linuxbridge@compute2` -> ("linuxbridge", "compute2")."""
    kind, _, host = text.partition("@")
    if kind not in KINDS:
        raise AgentError(f"no agent {kind!r}: the agents are {', '.join(KINDS)} "
                         f"(as AGENT or AGENT@HOST, e.g. l3, dhcp@{NETWORK_NODE}, "
                         f"linuxbridge@compute2)")
    return kind, host or None


def resolve(topology, kind: str, host: str | None) -> str:
    """The host the agent runs on: the one given, or the one node that runs it."""
    runs = [n.name for n in topology.nodes if n.role in
            (("network", "compute") if kind == "linuxbridge" else ("network",))]
    if host is None:
        if len(runs) != 1:
            raise AgentError(f"{kind} runs on {', '.join(runs)}: name one, e.g. "
                             f"{kind}@{runs[-1]}")
        return runs[0]
    if host not in runs:
        raise AgentError(f"no {kind} agent on {host!r}: it runs on {', '.join(runs)}")
    return host


def target(topology, request: dict) -> tuple[str, str]:
    """(kind, host) of the agent a `minicloud agent` request names; AgentError if none."""
    kind, host = parse(str(request.get("agent") or ""))
    return kind, resolve(topology, kind, host or request.get("host"))


def route(topology, nodes: dict, request: dict, ask) -> dict:
    """A launcher's answer to a `minicloud agent` request: `ask(node, request)` with the
    agent and host resolved, once the node that runs the agent is known to be up."""
    try:
        kind, host = target(topology, request)
    except AgentError as exc:
        return {"error": str(exc)}
    node = nodes[host]
    if not node.running:
        return {"error": f"node {host} is stopped, and its agents with it: "
                         f"`minicloud node start {host}`"}
    return ask(node, {**request, "agent": kind, "host": host})


def act(agents: dict, host: str, kind: str, action: str) -> dict:
    """Stop or start the agent `kind` of `host` among this process's `agents`
    (`runtime.agents`); what it is now."""
    if action not in ACTIONS:
        raise AgentError(f"an agent can {' or '.join(ACTIONS)}, not {action!r}")
    agent = agents.get(f"{host}-{KINDS[kind]}")
    if agent is None:
        raise AgentError(f"this process runs no {kind} agent of {host}")
    was = agent.running
    if action == "stop" and was:
        agent.stop()
    elif action == "start" and not was:
        agent.start()
    return {"name": agent.name, "host": host, "agent": kind, "agent_type": agent.agent_type,
            "running": agent.running, "changed": was != agent.running}


def answer(agents: dict, request: dict) -> dict:
    """The control socket's answer to `{"op": "agent", "action", "agent", "host"}` for the
    agents of this process (the host already resolved)."""
    try:
        return {"agent": act(agents, request.get("host"), request.get("agent"),
                             request.get("action"))}
    except AgentError as exc:
        return {"error": str(exc)}
    except KeyError:
        return {"error": f"no agent {request.get('agent')!r}"}
