"""The `minicloud` command: start, stop and inspect a cloud, and read its request traces.

    minicloud up [--foreground] [--mode in-process|processes|netns]
                                  start the cloud (in the background unless --foreground)
    minicloud down                stop it
    minicloud status              is it running, and does every endpoint answer
    minicloud env                 shell lines that point the openstack CLI at it
    minicloud trace list|show ID|last [--mermaid|--tree]
    minicloud nodes               the nodes: role, PID, addresses, services, up or stopped
    minicloud node stop|kill|start N   a node fails (cleanly, or as a crash), or comes back
    minicloud agents              what each Neutron agent has configured (the data plane)
    minicloud ring build|show     Swift's object ring
    minicloud swift replicate|nodes|stop-node|start-node|wipe-node N   Swift's storage nodes
    minicloud check               are the databases and files consistent (after a crash, say)
    minicloud db list|tables S|schema S T|query S SQL   the services' databases, read-only
    minicloud bus watch|queues    the RPC messages as they travel, the queues they wait in
    minicloud console NAME [-- CMD ...]   a shell or a command inside a server (netns driver)
    minicloud fault cut|restore NODE NETWORK | fault status   a node's link down or up (netns)
    minicloud capture NODE NETWORK [--count N] [--timeout S] [-w FILE]   tcpdump in a node
    minicloud image build [--rebuild]   the Docker mode's node image, from containers/

Commands with more to say live beside this file: agents.py (`agents`), nodes.py (`nodes`,
`node`), swift.py (`ring`, `swift`), faults.py (`fault`, `capture`), db.py (`db`), bus.py (`bus`),
image.py (`image`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from minicloud import broker, daemon
from minicloud.config import MODES, Config, default_home


def _config(args, **overrides) -> Config:
    return Config.load(args.home, **overrides)


def cmd_up(args) -> int:
    config = _config(args, port_offset=args.port_offset, transport_url=args.transport_url,
                     mode=args.mode)
    pid = daemon.running_pid(config)
    if pid is not None:
        print(f"minicloud is already running (pid {pid}, data in {config.home}); "
              "`minicloud down` stops it.")
        return 0
    if args.foreground:
        daemon.run_foreground(config, _launcher(config.mode),
                              say=lambda line: print(line, flush=True))
        return 0
    if config.mode != "in-process" and config.transport_url.startswith("memory"):
        try:
            config.transport_url = _cloud_broker(config)
        except broker.BrokerError as exc:
            print(f"The {config.mode} mode needs RabbitMQ: {exc}", file=sys.stderr)
            return 1
    t0 = time.monotonic()
    print(f"*** Starting minicloud in the background (log: {config.path(daemon.LOG_FILE)})")
    try:
        pid = daemon.start_background(config)
    except RuntimeError as exc:
        print(f"minicloud failed to start: {exc}", file=sys.stderr)
        return 1
    config = Config.load(config.home)
    # Only the learner's default cloud goes into ~/.config/openstack: a test's or a second
    # cloud (--home or MINICLOUD_HOME) must not replace its entries.
    user_config = config.home == Config(home=Path.home() / ".minicloud").home and (
        not args.no_user_config)
    from minicloud import clientconfig  # yaml: only the commands that write clouds.yaml

    written = clientconfig.write(config, user_config=user_config)
    print(f"*** minicloud is up (pid {pid}) after {time.monotonic() - t0:.2f} s")
    _print_usage(config, written, user_config)
    return 0


def _launcher(mode: str):
    """The class that starts the nodes of the plan in this mode."""
    if mode == "netns":
        from minicloud.netns.launcher import NetnsCloud

        return NetnsCloud
    if mode == "processes":
        from minicloud.processes import ProcessCloud

        return ProcessCloud
    from minicloud.cloud import Cloud

    return Cloud


def _cloud_broker(config: Config) -> str:
    """A vhost and a user of the cloud's own on the local broker (guest may only log in
    from loopback, which nodes elsewhere are not): `minicloud` for the learner's cloud,
    `minicloud-<hash of the data directory>` for any other."""
    default = config.home == Config(home=Path.home() / ".minicloud").home
    name = "minicloud" if default else \
        "minicloud-" + hashlib.sha256(str(config.home).encode()).hexdigest()[:8]
    print(f"*** RabbitMQ: vhost {name}, user {name} (rabbitmqctl)")
    return broker.for_cloud(name)


def _print_usage(config: Config, written, user_config: bool) -> None:
    print("\nEndpoints (public, region %s):" % config.region)
    for service in config.services:
        print(f"  {service:<10} {config.base_url(service)}")
    print("\nUsers (domain Default):")
    print(f"  demo  / {config.demo_password:<8} member of project demo   cloud: minicloud")
    print(f"  admin / {config.admin_password:<8} admin of project admin   cloud: minicloud-admin")
    print("\nWritten: " + ", ".join(str(p) for p in written))
    print("\nTry:")
    if not user_config:
        print(f"  export OS_CLIENT_CONFIG_FILE={config.path('clouds.yaml')}")
    print("  export OS_CLOUD=minicloud")
    print("  openstack token issue")
    print("  openstack catalog list")
    print("  minicloud trace last")


def cmd_down(args) -> int:
    config = _config(args)
    pid = daemon.stop(config)
    print(f"*** minicloud stopped (pid {pid})" if pid else "minicloud is not running.")
    if config.mode == "netns":  # what a launcher that was killed could not remove
        from minicloud.netns.fabric import Fabric
        from minicloud.topology import Topology

        fabric = Fabric(Topology.from_config(config), config.netns_prefix)
        if fabric.leftovers():
            print(f"*** removing what the cloud left: {', '.join(fabric.leftovers())}")
            fabric.teardown()
    return 0


def cmd_status(args) -> int:
    config = _config(args)
    pid = daemon.running_pid(config)
    if pid is None:
        print(f"minicloud is not running (data in {config.home}).")
        return 3
    print(f"minicloud is running (pid {pid}, data in {config.home})")
    for service in config.services:
        state = "answers" if daemon.endpoint_ready(config.base_url(service)) else "NOT ANSWERING"
        print(f"  {service:<10} {config.base_url(service):<28} {state}")
    return 0


def cmd_env(args) -> int:
    config = _config(args)
    print(f"export OS_CLIENT_CONFIG_FILE={config.path('clouds.yaml')}")
    print(f"export OS_CLOUD={'minicloud-admin' if args.admin else 'minicloud'}")
    return 0


def cmd_trace(args) -> int:
    from minicloud.common.trace import format_mermaid, format_sequence, format_tree, prune
    from minicloud.common.trace_store import TraceStore

    store = TraceStore(_config(args).path("trace.db"))
    if args.trace_command == "list":
        for root in store.roots(args.limit):
            stamp = time.strftime("%H:%M:%S", time.localtime(root.start))
            print(f"{stamp}  {root.trace_id}  {root.request_id or '-':<40}  {root.service:<9} "
                  f"{root.operation}  {root.duration_ms:.1f} ms  [{root.status}]")
        return 0
    if args.trace_command == "last":
        if args.any:
            roots = store.roots(1)
            spans = store.trace(roots[-1].trace_id) if roots else []
        else:  # what the last CLI command did (see TraceStore.last_command)
            spans = store.last_command()
    else:
        spans = store.find(args.id)
    if not spans:
        print("No such trace." if args.trace_command == "show" else "No traces yet.",
              file=sys.stderr)
        return 1
    render = format_mermaid if args.mermaid else format_tree if args.tree else format_sequence
    try:
        print(render(prune(spans, args.hide or [])))
    except BrokenPipeError:  # `minicloud trace last | head`
        sys.stderr.close()
    return 0


def cmd_agents(args) -> int:
    from minicloud.cli import agents
    from minicloud.common.errors import ApiError
    from minicloud.common.restclient import ServiceError

    config = _config(args)
    try:
        found = agents.fetch(config.path("clouds.yaml"))
    except (OSError, KeyError, ValueError, ServiceError, ApiError) as exc:
        print(f"Could not read the data plane (is the cloud up? `minicloud status`): {exc}",
              file=sys.stderr)
        return 1
    print(agents.format_agents(found))
    return 0


def cmd_ring(args) -> int:
    from minicloud.cli import swift

    return swift.cmd_ring(_config(args), args)


def cmd_swift(args) -> int:
    from minicloud.cli import swift

    return swift.cmd_swift(_config(args), args)


def cmd_nodes(args) -> int:
    from minicloud.cli import nodes

    return nodes.cmd_nodes(_config(args), args)


def cmd_node(args) -> int:
    from minicloud.cli import nodes

    return nodes.cmd_node(_config(args), args)


def cmd_console(args) -> int:
    from minicloud.cli import console

    return console.cmd_console(_config(args), args)


def cmd_fault(args) -> int:
    from minicloud.cli import faults

    return faults.cmd_fault(_config(args), args)


def cmd_capture(args) -> int:
    from minicloud.cli import faults

    return faults.cmd_capture(_config(args), args)


def cmd_bus(args) -> int:
    from minicloud.cli import bus

    return bus.cmd_bus(_config(args), args)


def cmd_db(args) -> int:
    from minicloud.cli import db

    return db.cmd_db(_config(args), args)


def cmd_check(args) -> int:
    from minicloud import check

    config = _config(args)
    running = daemon.running_pid(config) is not None
    return check.run(config, daemon.pid_file(config).stat().st_mtime if running else None)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="minicloud", description="A small OpenStack for learning.")
    p.add_argument("--home", help=f"data directory (default: $MINICLOUD_HOME or {default_home()})")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the cloud")
    up.add_argument("--foreground", action="store_true", help="run in this terminal")
    up.add_argument("--port-offset", type=int, help="add this to every service port")
    up.add_argument("--mode", choices=MODES, default="in-process",
                    help="in-process (default): every node in one process; processes: one "
                         "process per node, over RabbitMQ; netns (root): each node in a "
                         "network namespace of its own")
    up.add_argument("--transport-url", help="memory:// (default) or rabbit://user:pw@host:5672/; "
                    "the processes mode makes a vhost and user of its own unless given one")
    up.add_argument("--no-user-config", action="store_true",
                    help="do not add the clouds to ~/.config/openstack/clouds.yaml")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop the cloud").set_defaults(func=cmd_down)
    sub.add_parser("status", help="is the cloud running").set_defaults(func=cmd_status)
    env = sub.add_parser("env", help="print shell lines that select this cloud")
    env.add_argument("--admin", action="store_true", help="the admin cloud")
    env.set_defaults(func=cmd_env)
    tr = sub.add_parser("trace", help="request traces")
    trs = tr.add_subparsers(dest="trace_command", required=True)
    lst = trs.add_parser("list", help="the most recent requests")
    lst.add_argument("--limit", type=int, default=20)
    show = trs.add_parser("show", help="one trace, by trace id or request id")
    show.add_argument("id")
    last = trs.add_parser("last", help="what the last `openstack` command did: its requests "
                          "that changed something, else its largest request")
    last.add_argument("--any", action="store_true",
                      help="the most recent trace of any kind (often a GET or an agent report)")
    for sp in (show, last):
        sp.add_argument("--mermaid", action="store_true", help="a mermaid sequenceDiagram")
        sp.add_argument("--tree", action="store_true", help="the spans as an indented tree")
        sp.add_argument("--hide", action="append", metavar="SERVICE",
                        help="leave out services whose name contains this (repeatable), "
                             "e.g. --hide agent --hide keystone")
    tr.set_defaults(func=cmd_trace)
    sub.add_parser("agents", help="what each Neutron agent configured (bridges, routers, "
                   "DHCP)").set_defaults(func=cmd_agents)
    sub.add_parser("check", help="are the databases and files consistent (after a crash, "
                   "say)").set_defaults(func=cmd_check)
    from minicloud.cli.nodes import add_parsers as add_node_parsers
    from minicloud.cli.swift import add_parsers as add_swift_parsers

    add_node_parsers(sub, cmd_nodes, cmd_node)
    from minicloud.cli.console import add_parser as add_console_parser

    add_console_parser(sub, cmd_console)
    from minicloud.cli.faults import add_parsers as add_fault_parsers

    add_fault_parsers(sub, cmd_fault, cmd_capture)
    add_swift_parsers(sub, cmd_ring, cmd_swift)
    from minicloud.cli.bus import add_parser as add_bus_parser
    from minicloud.cli.db import add_parser as add_db_parser

    add_bus_parser(sub, cmd_bus)
    add_db_parser(sub, cmd_db)
    from minicloud.cli.image import add_parser as add_image_parser

    add_image_parser(sub)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `minicloud agents | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
