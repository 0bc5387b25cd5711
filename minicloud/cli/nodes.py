"""`minicloud nodes` and `minicloud node stop|kill|start NAME`: the cloud's nodes, the role
of each, its process, its addresses on the networks of the plan (topology.py), what it
runs and whether it runs; `node run` runs one more node in a process of its own
(node_process.py); stopping or killing a node is a node failing (its services go down in
`openstack compute service list` and `network agent list` once their down time has
passed), starting it again brings it back with what it had.

In the in-process mode all nodes share one process, so they share one PID; in the
processes mode (processes.py) each node but the controller is a process of its own. Both
listen on 127.0.0.1: the plan's addresses are the ones each node has in the modes that
give it a network of its own."""

from __future__ import annotations

import json
import sys

from minicloud.control import NotRunning, ask
from minicloud.topology import SHORT

NOT_RUNNING = "The cloud is not running: `minicloud up` starts it."




def _table(nodes: list[dict]) -> str:
    header = f"{'NODE':<11} {'ROLE':<11} {'PID':>7}  {'STATE':<8} ADDRESSES / SERVICES"
    lines = [header]
    for n in nodes:
        addresses = "  ".join(f"{SHORT.get(net, net)} {ip}" for net, ip in n["addresses"].items())
        lines.append(f"{n['name']:<11} {n['role']:<11} {n['pid'] or '-':>7}  "
                     f"{'up' if n['running'] else 'STOPPED':<8} {addresses}")
        lines.append(f"{'':<40} {' '.join(n['services'])}")
        if n.get("container"):  # the Docker mode: the node's container (its init's PID)
            lines.append(f"{'':<40} container {n['container']} ({n['container_id']})")
        if n.get("workers"):  # the processes mode's API workers (api_worker.py)
            lines.append(f"{'':<40} API workers, pids: " + " ".join(map(str, n["workers"])))
    return "\n".join(lines)


def cmd_nodes(config, args) -> int:
    try:
        nodes = ask(config.home, {"op": "nodes"})["nodes"]
    except NotRunning:
        print(NOT_RUNNING, file=sys.stderr)
        return 1
    print(json.dumps(nodes, indent=2) if args.format == "json" else _table(nodes))
    return 0


def cmd_node(config, args) -> int:
    if args.action == "run":
        return _run(config, args)
    if args.action == "config":
        path = config.save_for_node(args.name)
        print(f"Wrote {path} (mode 0600: it holds the services' password)")
        print(f"Start the node with: minicloud node run --role ROLE --name {args.name} "
              f"--config {path}")
        return 0
    try:
        answer = ask(config.home, {"op": args.action, "node": args.name})
    except NotRunning:
        print(NOT_RUNNING, file=sys.stderr)
        return 1
    if "error" in answer:
        print(answer["error"], file=sys.stderr)
        return 2
    node = answer["node"]
    print(f"{node['name']}: {'up' if node['running'] else 'stopped'}")
    return 0


def _run(config, args) -> int:
    from minicloud import node_process
    from minicloud.config import Config

    if args.config:
        config = Config.from_file(args.config)
    try:
        return node_process.run(config, args.role, args.name)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2


def add_parsers(sub, run_nodes, run_node) -> None:
    nodes = sub.add_parser("nodes", help="the cloud's nodes: role, PID, addresses, services, "
                                         "up or stopped")
    nodes.add_argument("-f", "--format", choices=("table", "json"), default="table")
    nodes.set_defaults(func=run_nodes)
    node = sub.add_parser("node", help="stop a node (as if it failed), start it again, or "
                                       "run a node in this process")
    actions = node.add_subparsers(dest="action", required=True)
    for action, text in (("stop", "stop a node's services cleanly (SIGTERM in the "
                                   "processes mode)"),
                         ("kill", "kill a node as a crash does (SIGKILL in the processes "
                                  "mode; in one process the same as stop)"),
                         ("start", "start a stopped node again")):
        one = actions.add_parser(action, help=text)
        one.add_argument("name", help="network, compute1, storage2, ...")
    conf = actions.add_parser("config", help="write the configuration file a node started "
                                             "elsewhere needs (nodes/NAME.json)")
    conf.add_argument("name", help="e.g. compute3")
    run = actions.add_parser("run", help="run one node in this process until Ctrl-C "
                                         "(what a container runs); needs RabbitMQ")
    run.add_argument("--role", required=True, choices=("network", "compute", "storage"))
    run.add_argument("--name", required=True, help="e.g. compute3")
    run.add_argument("--config", help="the node's configuration file (default: the data "
                                      "directory's minicloud.json)")
    node.set_defaults(func=run_node)
