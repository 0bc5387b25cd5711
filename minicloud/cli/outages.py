"""`minicloud agent stop|start AGENT[@HOST]` and `minicloud broker stop|start|status`: a
part of the running cloud fails, and comes back. (`minicloud node stop|start` takes a
whole node down: nodes.py.)

    minicloud agent stop l3                  neutron-l3-agent stops taking RPC messages and
    minicloud agent stop linuxbridge@compute2   sending heartbeats (network/agent_control.py);
    minicloud agent start l3                 started, it takes what waited in its queue

An agent is named as in AGENT (l3, dhcp, linuxbridge) or AGENT@HOST; l3 and dhcp run on
the network node only, linuxbridge on the network node and every compute node, so it
needs its @HOST. The running cloud does it, through its control socket (control.py): in
the in-process mode in the launcher's process, in the processes mode in the node's.

    minicloud broker stop                    the cloud loses RabbitMQ, RabbitMQ runs on
    minicloud broker start                   the cloud has it again
    minicloud broker status                  its rights on its vhost, its open connections

The broker is shared: other clouds, other tests and other users may have vhosts on it.
So `broker stop` never stops RabbitMQ (`rabbitmqctl stop_app` would take them all down):
it takes the cloud's user its rights on the cloud's vhost (`rabbitmqctl
clear_permissions`) and closes the vhost's connections (`close_all_connections --vhost`).
To the cloud that is the broker gone: every connection drops, every reconnect is refused,
RPC fails after its timeout. The queues and the messages in them stay; `broker start`
gives the rights back (`set_permissions`) and every node is back within about 5 s. It
acts only on a vhost and user of the cloud's own (the ones `minicloud up --mode
processes` makes); a cloud on the shared `/` vhost as guest is refused, and the memory
bus of the in-process mode has no broker at all (both: exit status 2).
"""

from __future__ import annotations

import sys
from urllib.parse import unquote, urlsplit

from minicloud import broker
from minicloud.control import NotRunning, ask
from minicloud.network import agent_control
from minicloud.network.topics import BRIDGE_TOPIC, DHCP_TOPIC, L3_TOPIC
from minicloud.topology import Topology

QUEUES = {"l3": L3_TOPIC, "dhcp": DHCP_TOPIC, "linuxbridge": BRIDGE_TOPIC}


class OutageError(Exception):
    """Said to the user as it is; `code` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# -- agent ------------------------------------------------------------------------------------
def agent(config, action: str, name: str) -> str:
    try:
        kind, host = agent_control.parse(name)
        host = agent_control.resolve(Topology.from_config(config), kind, host)
    except agent_control.AgentError as exc:
        raise OutageError(str(exc), code=2) from None
    try:
        answer = ask(config.home, {"op": "agent", "action": action, "agent": kind,
                                   "host": host})
    except NotRunning:
        raise OutageError("the cloud is not running: `minicloud up` starts it") from None
    if "error" in answer:
        raise OutageError(answer["error"])
    found = answer["agent"]
    who = f"{found['name'].split('@')[0]} on {host}"
    if not found["changed"]:
        return f"{who} is already {'running' if found['running'] else 'stopped'}."
    queue = f"{QUEUES[kind]}.{host}"
    if action == "stop":
        return (f"*** {who} stopped: it takes no RPC messages and sends no heartbeats. "
                f"`openstack network agent list` (admin) shows it dead (XXX) once its last "
                f"report is older than agent_down_time ({config.agent_down_time:g} s). What "
                f"neutron-server casts to it waits in queue {queue} (`minicloud bus queues`)"
                + ("; its fanouts (port updates) are not kept for it, its full sync on start "
                   "makes up for them" if kind == "linuxbridge" else "")
                + f". `minicloud agent start {name}` brings it back.")
    return (f"*** {who} started: it took what waited in {queue}, asked neutron-server for "
            f"everything it should have (its full sync) and reported alive.")


# -- broker -----------------------------------------------------------------------------------
def own_vhost(config) -> tuple[str, str, str]:
    """(vhost, user, host:port) of the cloud's own broker access; OutageError (2) if the
    cloud has none to take away without touching others."""
    url = config.transport_url
    if url.startswith("memory"):
        raise OutageError(
            f"this cloud runs on the in-memory message bus ({config.mode} mode), which has "
            "no broker: `minicloud broker` applies to the RabbitMQ transport only "
            "(`minicloud up --mode processes`)", code=2)
    where = urlsplit(url)
    vhost, user = unquote(where.path[1:]) or "/", unquote(where.username or "guest")
    if config.mode != "docker" and (vhost == "/" or user != vhost):  # (the Docker mode's
        # broker is the cloud's alone, in its controller container)
        raise OutageError(
            f"this cloud reaches RabbitMQ as user {user} on vhost {vhost}, which it may "
            "share with others: `minicloud broker` acts only on a vhost and user of the "
            "cloud's own, as `minicloud up --mode processes` makes them", code=2)
    return vhost, user, f"{where.hostname}:{where.port or 5672}"


def broker_stop(config) -> str:
    vhost, user, where = own_vhost(config)
    if not broker.permitted(vhost, user):
        return f"RabbitMQ already refuses user {user} on vhost {vhost}."
    closed = broker.block(vhost, user)
    return (f"*** RabbitMQ ({where}) refuses this cloud now: user {user} has no rights on "
            f"vhost {vhost} and its {closed} connections were closed (rabbitmqctl "
            f"clear_permissions, close_all_connections). RabbitMQ itself runs on for its "
            f"other vhosts. Every node tries again every few seconds; an RPC call fails "
            f"after its timeout ({config.rpc_response_timeout:g} s), a cast when it cannot "
            f"be handed over; heartbeats stop, so services and agents turn down. The queues "
            f"and the messages waiting in them stay. `minicloud broker start` ends it.")


def broker_start(config) -> str:
    vhost, user, where = own_vhost(config)
    if broker.permitted(vhost, user):
        return f"RabbitMQ already lets user {user} in on vhost {vhost}."
    broker.unblock(vhost, user)
    return (f"*** RabbitMQ ({where}) lets this cloud in again: user {user} has every right "
            f"on vhost {vhost} (rabbitmqctl set_permissions). Each connection comes back at "
            f"its next try (within about 5 s), declares its queues again and takes what "
            f"waited in them. `minicloud broker status` counts them.")


def broker_status(config) -> str:
    vhost, user, where = own_vhost(config)
    state = "open" if broker.permitted(vhost, user) else "STOPPED (no rights)"
    lines = [f"RabbitMQ {where}  vhost {vhost}  user {user}  {state}"]
    found = broker.connections(vhost)
    lines.append(f"{len(found)} connections" + (":" if found else ""))
    lines += [f"  {c['name'] or '(unnamed)'}" for c in sorted(found, key=lambda c: c["name"])]
    return "\n".join(lines)


def cmd_agent(config, args) -> int:
    try:
        print(agent(config, args.action, args.agent))
        return 0
    except OutageError as exc:
        print(f"minicloud agent: {exc}", file=sys.stderr)
        return exc.code


def cmd_broker(config, args) -> int:
    act = {"stop": broker_stop, "start": broker_start, "status": broker_status}[args.action]
    try:
        print(act(config))
        return 0
    except OutageError as exc:
        print(f"minicloud broker: {exc}", file=sys.stderr)
        return exc.code
    except broker.BrokerError as exc:
        print(f"minicloud broker: {exc}", file=sys.stderr)
        return 1


def add_parsers(sub, run_agent, run_broker) -> None:
    agent_parser = sub.add_parser(
        "agent", help="stop or start one Neutron agent (l3, dhcp, linuxbridge@HOST)",
        description="A stopped agent takes no RPC messages and sends no heartbeats: "
                    "`openstack network agent list` shows it XXX after agent_down_time, and "
                    "what neutron-server casts to it waits in its queue until it starts "
                    "again.")
    actions = agent_parser.add_subparsers(dest="action", required=True)
    for action, text in (("stop", "the agent stops (its node runs on)"),
                         ("start", "the agent starts again and applies what waited")):
        one = actions.add_parser(action, help=text)
        one.add_argument("agent", metavar="AGENT[@HOST]",
                         help="l3, dhcp (on the network node), linuxbridge@HOST (network, "
                              "compute1, ...)")
    agent_parser.set_defaults(func=run_agent)
    broker_parser = sub.add_parser(
        "broker", help="the cloud loses RabbitMQ, or gets it back (RabbitMQ transport)",
        description="Shared with others, the broker is never stopped: `stop` takes the "
                    "cloud's own user its rights on the cloud's own vhost (rabbitmqctl "
                    "clear_permissions) and closes the vhost's connections, so to the cloud "
                    "the broker is gone while its other users go on; queues and their "
                    "messages stay. `start` gives the rights back (set_permissions) and the "
                    "nodes reconnect within about 5 s. The in-memory bus of the in-process "
                    "mode has no broker: exit status 2.")
    actions = broker_parser.add_subparsers(dest="action", required=True)
    for action, text in (("stop", "RabbitMQ refuses the cloud (its vhost's rights cleared, "
                                  "its connections closed)"),
                         ("start", "RabbitMQ lets the cloud in again"),
                         ("status", "the cloud's rights on its vhost, and its connections")):
        actions.add_parser(action, help=text)
    broker_parser.set_defaults(func=run_broker)
