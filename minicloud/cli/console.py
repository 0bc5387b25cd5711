"""`minicloud console NAME [-- COMMAND ...]`: a shell, or one command, inside a server.

This works for servers of the `netns` compute driver on this machine (the netns mode):
it asks Nova, as admin (the data directory's clouds.yaml), for the server's id and host,
reads what that host's driver keeps of it (`<home>/compute/<host>/instances/<id>/`), and
enters the instance: with `nsenter` into the namespaces of its guest process (network,
hostname, mounts: the prompt shows its hostname, /mnt its volumes), or, when the server is
shut off and has no guest, with `ip netns exec` into its network namespace alone. The
exit status is the command's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

# yaml and the HTTP client are imported where they are used: every `minicloud` command
# (`node run` included) builds its parser with add_parser below.


class ConsoleError(Exception):
    """The server cannot be entered from here, and why."""


def find_server(clouds_yaml: Path, name: str, cloud: str = "minicloud-admin") -> dict:
    """The server called `name` (or with that id), in any project."""
    import yaml

    from minicloud.common.clients import ComputeClient
    from minicloud.common.keystone import ServiceAuth

    auth = yaml.safe_load(Path(clouds_yaml).read_text())["clouds"][cloud]["auth"]
    login = ServiceAuth(auth["auth_url"], auth["username"], auth["password"],
                        project=auth["project_name"])
    servers = ComputeClient(login).request("GET", "/servers/detail",
                                           params={"all_tenants": "1"})["servers"]
    found = [s for s in servers if name in (s["id"], s["name"])]
    if not found:
        raise ConsoleError(f"No server with a name or ID of '{name}' exists.")
    if len(found) > 1:
        raise ConsoleError(f"More than one server is called '{name}': use its ID.")
    return found[0]


def entry_command(state_path: Path, server_id: str, command: list[str]) -> list[str]:
    """The command line that runs `command` (none: a shell) inside the instance."""
    from minicloud.compute import netns_driver  # pyroute2: only when it is needed

    record = netns_driver.load_record(state_path, server_id)
    if record is None:
        raise ConsoleError(f"server {server_id} has no netns instance in {state_path} "
                           "(is the cloud's compute driver `netns`, on this machine?)")
    command = command or ["/bin/bash", "--norc", "-i"]
    directory = netns_driver.instance_dir(state_path, server_id)
    if netns_driver.guest_alive(record.get("pid"), directory):
        return ["nsenter", "-t", str(record["pid"]), "--net", "--uts", "--mount", "--",
                *command]
    return ["ip", "netns", "exec", record["netns"], *command]


def run(state_path: Path, server_id: str, command: list[str], name: str = "") -> int:
    """Run it here, with the terminal; its exit status. `name`: the server's, for the
    shell's prompt."""
    from minicloud.compute.netns_driver import hostname

    argv = entry_command(state_path, server_id, command)
    env = {**os.environ, "PS1": f"root@{hostname(name or server_id[:8])}:\\w# "}
    return subprocess.call(argv, env=env)


def run_in_container(config, host: str, server: dict, command: list[str]) -> int:
    """The Docker mode: the same entry, run by `docker exec` in the compute node's
    container (with a terminal when this one has one), where the driver keeps the
    instance. The docker CLI carries the terminal; the launcher itself uses the SDK."""
    from minicloud.dockermode.launcher import STATE

    container = f"{config.netns_prefix}-{host}"
    tty = ["-it"] if sys.stdin.isatty() else ["-i"]
    return subprocess.call(["docker", "exec", *tty, container, "python3", "-m",
                            "minicloud.cli.console", f"{STATE}/compute/{host}", server["id"],
                            server["name"], "--", *command])


def cmd_console(config, args) -> int:
    from minicloud.common.clients import ServiceError
    from minicloud.common.errors import ApiError

    command = list(args.cmd or [])
    if command and command[0] == "--":
        command = command[1:]
    try:
        server = find_server(config.path("clouds.yaml"), args.server)
        host = server.get("OS-EXT-SRV-ATTR:host")
        if not host:
            raise ConsoleError(f"server {args.server} is not on a host "
                               f"(status {server.get('status')})")
        if config.mode == "docker":  # the instance is inside the host's container
            return run_in_container(config, host, server, command)
        return run(config.path("compute", host), server["id"], command, server["name"])
    except ConsoleError as exc:
        print(f"minicloud console: {exc}", file=sys.stderr)
        return 1
    except (OSError, KeyError, ValueError, ServiceError, ApiError) as exc:
        print(f"minicloud console: could not reach the cloud (is it up? `minicloud status`): "
              f"{exc}", file=sys.stderr)
        return 1


def add_parser(sub, func) -> None:
    console = sub.add_parser("console", help="a shell (or `-- COMMAND ...`) inside a server "
                             "(netns compute driver)")
    console.add_argument("server", help="the server's name or ID")
    console.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                         help="run this instead of a shell; exit with its status")
    console.set_defaults(func=func)


if __name__ == "__main__":  # inside a container: STATE_PATH SERVER_ID NAME -- COMMAND ...
    state, server_id, server_name, _dashes, *rest = sys.argv[1:]
    try:
        sys.exit(run(Path(state), server_id, rest, server_name))
    except ConsoleError as exc:
        print(f"minicloud console: {exc}", file=sys.stderr)
        sys.exit(1)
