"""The `minicloud` command: start, stop and inspect a cloud, and read its request traces.

    minicloud up [--foreground] [--mode in-process|processes|netns]
                                  start the cloud (in the background unless --foreground)
    minicloud down                stop it
    minicloud reset               stop it and remove its state: the next `up` is a new cloud
    minicloud status              is it running, and does every endpoint answer
    minicloud env                 shell lines that point the openstack CLI at it
    minicloud trace list|show ID|last [KIND] [--match TEXT] [--all|--mermaid|--tree]
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
    minicloud agent stop|start AGENT[@HOST]   a Neutron agent fails (l3, dhcp, linuxbridge@H)
    minicloud broker stop|start|status   the cloud loses RabbitMQ, or gets it back
    minicloud capture NODE NETWORK [--count N] [--timeout S] [-w FILE]   tcpdump in a node
    minicloud image build [--rebuild]   the Docker mode's node image, from containers/

Commands with more to say live beside this file: agents.py (`agents`), nodes.py (`nodes`,
`node`), swift.py (`ring`, `swift`), faults.py (`fault`, `capture`), outages.py (`agent`,
`broker`), db.py (`db`), bus.py (`bus`),
image.py (`image`), trace.py (`trace`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from minicloud import broker, daemon
from minicloud.config import MODES, Config, default_home
from minicloud.dockermode import NODE_ENV


def _config(args, **overrides) -> Config:
    return Config.load(args.home, **overrides)


# Seconds `minicloud up` waits for every API: the Docker mode starts RabbitMQ first.
START_TIMEOUT = {"docker": 200}  # more than the launcher waits for its nodes


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
    if config.mode == "docker":  # the broker is the controller container's (launcher.py)
        from minicloud.dockermode.launcher import prepare

        if not prepare(config):
            return 1
    elif config.mode != "in-process" and config.transport_url.startswith("memory"):
        try:
            config.transport_url = _cloud_broker(config)
        except broker.BrokerError as exc:
            print(f"The {config.mode} mode needs RabbitMQ: {exc}", file=sys.stderr)
            return 1
    t0 = time.monotonic()
    print(f"*** Starting minicloud in the background (log: {config.path(daemon.LOG_FILE)})")
    try:
        pid = daemon.start_background(config, timeout=START_TIMEOUT.get(config.mode, 60))
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
    if mode == "docker":
        from minicloud.dockermode.launcher import DockerCloud

        return DockerCloud
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
        if service != "dashboard":
            print(f"  {service:<10} {config.base_url(service)}")
    print(f"\nDashboard (Horizon): {config.base_url('dashboard')}  (log in as demo or admin)")
    print("\nUsers (domain Default):")
    print(f"  demo  / {config.demo_password:<8} member of project demo   cloud: minicloud")
    print(f"  admin / {config.admin_password:<8} admin of project admin   cloud: minicloud-admin")
    print("\nWritten: " + ", ".join(str(p) for p in written))
    print("\nTry (in any data directory; `minicloud env` prints the first two lines):")
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
    if config.mode == "docker":  # containers and networks of a launcher that was killed
        from minicloud.dockermode.launcher import DockerCloud, DockerError

        try:
            DockerCloud(config).remove_leftovers()
        except DockerError as exc:
            print(f"minicloud down: {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_reset(args) -> int:
    """`minicloud down`, then the cloud's state is gone: its data directory and, in the
    Docker mode, its nodes' volumes. The next `minicloud up` starts a new cloud."""
    config = _config(args)
    home = config.home.resolve()
    if not (home / "minicloud.json").exists() or home in (Path.home().resolve(), Path("/")):
        print(f"minicloud reset: {home} is not a minicloud data directory; nothing removed",
              file=sys.stderr)
        return 1
    status = cmd_down(args)
    if status:
        return status
    if config.mode == "docker":
        from minicloud.dockermode.launcher import DockerCloud

        removed = DockerCloud(config).remove_volumes()
        print(f"*** removed the volumes {', '.join(removed) or '(none)'}")
    shutil.rmtree(home)
    print(f"*** removed {home}: the next `minicloud up` starts a new cloud")
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
    from minicloud.cli import trace

    return trace.cmd_trace(_config(args), args)


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


def cmd_agent(args) -> int:
    from minicloud.cli import outages

    return outages.cmd_agent(_config(args), args)


def cmd_broker(args) -> int:
    from minicloud.cli import outages

    return outages.cmd_broker(_config(args), args)


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
    sub.add_parser("reset", help="stop the cloud and remove its state (data directory; "
                   "Docker mode: the volumes)").set_defaults(func=cmd_reset)
    sub.add_parser("status", help="is the cloud running").set_defaults(func=cmd_status)
    env = sub.add_parser("env", help="print shell lines that select this cloud")
    env.add_argument("--admin", action="store_true", help="the admin cloud")
    env.set_defaults(func=cmd_env)
    from minicloud.cli.trace import add_parser as add_trace_parser

    add_trace_parser(sub, cmd_trace)
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
    from minicloud.cli.outages import add_parsers as add_outage_parsers

    add_outage_parsers(sub, cmd_agent, cmd_broker)
    add_swift_parsers(sub, cmd_ring, cmd_swift)
    from minicloud.cli.bus import add_parser as add_bus_parser
    from minicloud.cli.db import add_parser as add_db_parser

    add_bus_parser(sub, cmd_bus)
    add_db_parser(sub, cmd_db)
    from minicloud.cli.image import add_parser as add_image_parser

    add_image_parser(sub)
    return p


# Commands that read the controller's files (trace.db, the databases) or ask its broker:
# in the Docker mode they run inside the controller's container (`docker exec`).
IN_CONTROLLER = ("cmd_trace", "cmd_db", "cmd_bus", "cmd_check", "cmd_ring", "cmd_broker")


def _in_controller(config: Config, argv: list[str]) -> int:
    rest, skip = [], False
    for arg in argv:  # the container has its own data directory (MINICLOUD_HOME)
        if skip or arg.startswith("--home="):
            skip = False
        elif arg == "--home":
            skip = True
        else:
            rest.append(arg)
    tty = ["-it"] if sys.stdin.isatty() and sys.stdout.isatty() else ["-i"]
    return subprocess.call(["docker", "exec", *tty, f"{config.netns_prefix}-controller",
                            "minicloud", *rest])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    if getattr(args.func, "__name__", "") in IN_CONTROLLER:
        config = _config(args)
        if config.mode == "docker" and not os.environ.get(NODE_ENV):
            return _in_controller(config, argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `minicloud agents | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
