"""`minicloud ring build|show` and `minicloud swift replicate|nodes|stop-node|start-node|
wipe-node|files`: the operator's side of Swift (swift-ring-builder, swift-init, the
replicator, and a look at the files on each node's disk).

`ring` works on `ring.json` in the data directory; `swift` asks the running cloud's proxy
(as admin) through its `/minicloud/` routes, so a learner can fail a storage node and
watch the cluster heal. `swift files` reads the storage nodes' directories itself
(read-only, like `minicloud check`): an object's files and their metadata on every device
the ring names, which on a real node `ls` and `getfattr` would show.
"""

from __future__ import annotations

import json
import os
import re
import sys

from minicloud.config import Config
from minicloud.object import ring as ringmod

# The HTTP client (requests, and falcon through common.errors) is imported by the commands
# that call the proxy: every `minicloud` command, `node run` included, parses its
# arguments with this module's add_parsers, and a node must not carry what it never uses.


def cmd_ring(config: Config, args) -> int:
    path = config.path(ringmod.RING_FILE)
    if args.ring_command == "build":
        old = ringmod.Ring.load(path) if path.exists() else None
        # the addresses the running nodes have (a node may have had to take another port)
        ports = {d.node: d.port for d in old.devices} if old else None
        devices = ringmod.devices_from_config(config, ports)
        ring = ringmod.build(devices, args.part_power or config.swift_part_power,
                             args.replicas or config.swift_replicas,
                             # keep the hash suffix: a new one would move every object
                             hash_suffix=old.hash_suffix if old else None)
        config.home.mkdir(parents=True, exist_ok=True)
        ring.save(path)
        print(f"Wrote {path}")
        print(ringmod.describe(ring))
        return 0
    if not path.exists():
        print(f"No ring in {config.home} yet: `minicloud ring build` (or `minicloud up`) "
              "makes one.", file=sys.stderr)
        return 1
    ring = ringmod.Ring.load(path)
    print(ringmod.describe(ring))
    if args.object:
        account, container, obj = args.object
        part, h, devices = ring.get_nodes(account, container, obj)
        print(f"\n/{account}/{container}/{obj}: hash {h}, partition {part}")
        for r, dev in enumerate(devices):
            print(f"  replica {r}: {dev.node} ({dev.ip}:{dev.port}/{dev.device}) "
                  f"objects/{part}/{h[-3:]}/{h}/")
    return 0


def _admin_call(config: Config, method: str, path: str) -> dict:
    from minicloud.common.keystone import ServiceAuth
    from minicloud.common.restclient import RestClient

    admin = ServiceAuth(config.auth_url, "admin", config.admin_password, project="admin")
    proxy = RestClient(admin, timeout=600, base_url=config.base_url("object"))
    return proxy.request(method, path)


def swift_env_lines(config: Config, admin: bool = False) -> list[str]:
    """What the `swift` CLI needs (it reads OS_* variables, never clouds.yaml)."""
    user, password = ("admin", config.admin_password) if admin else ("demo",
                                                                     config.demo_password)
    return [f"export OS_AUTH_URL={config.auth_url}", f"export OS_USERNAME={user}",
            f"export OS_PASSWORD={password}", f"export OS_PROJECT_NAME={user}",
            "export OS_USER_DOMAIN_NAME=Default", "export OS_PROJECT_DOMAIN_NAME=Default",
            "export OS_IDENTITY_API_VERSION=3"]


def object_files(config: Config, account: str, container: str, obj: str) -> list[str]:
    """Lines: where the ring puts the object, and on each of those devices its files (name,
    size) and the metadata of its current version (xattr, or the `.meta` file beside it)."""
    from minicloud.object.diskfile import read_current

    ring = ringmod.Ring.load(config.path(ringmod.RING_FILE))
    part, h, devices = ring.get_nodes(account, container, obj)
    lines = [f"/{account}/{container}/{obj}: partition {part}, hash {h}"]
    for dev in devices:
        directory = config.path("storage", dev.node, dev.device, "objects", str(part),
                                h[-3:], h)
        lines.append(f"{dev.node} ({dev.device}): {directory}/")
        names = sorted(os.listdir(directory)) if directory.is_dir() else []
        if not names:
            lines.append("  no files: this node holds no copy")
            continue
        lines += [f"  {name}  {(directory / name).stat().st_size} bytes" for name in names]
        meta = read_current(str(directory), xattrs=True) or {}
        if meta.get("deleted"):
            lines.append("  current: a tombstone (the object was deleted)")
        lines += [f"    {key}: {value}" for key, value in sorted(meta.items())
                  if key not in ("deleted", "path")]
    return lines


def cmd_swift(config: Config, args) -> int:
    if args.swift_command == "env":
        print("\n".join(swift_env_lines(config, args.admin)))
        return 0
    if args.swift_command == "files":
        if config.mode == "docker":
            print("In the Docker mode each storage node's files are in its own container: "
                  "`docker exec mc-storage1 find /var/lib/minicloud/storage -name '*.data'` "
                  "(and storage2, storage3)", file=sys.stderr)
            return 2
        if not config.path(ringmod.RING_FILE).exists():
            print(f"No ring in {config.home} yet: `minicloud up` makes one.", file=sys.stderr)
            return 1
        print("\n".join(object_files(config, args.account, args.container, args.object)))
        return 0
    import requests

    from minicloud.common import errors
    from minicloud.common.restclient import ServiceError

    try:
        if args.swift_command == "replicate":
            stats = _admin_call(config, "POST", "/minicloud/replicate")
            print(f"Replication pass: {stats['partitions']} partitions compared, "
                  f"{stats['objects_copied']} objects and {stats['tombstones_copied']} "
                  f"tombstones copied in {stats['seconds']} s")
            if stats["devices_unreachable"]:
                print("Unreachable: " + ", ".join(stats["devices_unreachable"]))
            return 0
        if args.swift_command == "nodes":
            nodes = _admin_call(config, "GET", "/minicloud/storage")["nodes"]
        else:
            action = args.swift_command.split("-")[0]
            nodes = [_admin_call(config, "POST", f"/minicloud/storage/{args.node}/{action}")]
    except ServiceError as exc:  # the proxy answered: an unknown node (404), a dead one (503)
        print(f"The object service refused it ({exc.status}): {_text(str(exc))}",
              file=sys.stderr)
        return 1
    except (requests.RequestException, errors.ApiError, ValueError) as exc:
        print(f"Could not reach the object service (is the cloud up? `minicloud status`): "
              f"{exc}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(nodes))
        return 0
    for n in nodes:
        print(_node_line(n))
    return 0


def _text(message: str) -> str:
    """Swift's error bodies are a line of HTML: the words only."""
    return " ".join(re.sub(r"<[^>]+>", " ", message).split())


def _node_line(node: dict) -> str:
    """`storage2   STOPPED       15 objects`; a node that did not answer: UNREACHABLE."""
    if not node.get("reachable", True):
        return f"{node['name']:<10} UNREACHABLE {'?':>3} objects"
    state = "running" if node["running"] else "STOPPED"
    return f"{node['name']:<10} {state:<8} {node['objects']:>6} objects"


def add_parsers(sub, run_ring, run_swift) -> None:
    ring = sub.add_parser("ring", help="the object ring: build it, show it, place an object")
    rs = ring.add_subparsers(dest="ring_command", required=True)
    build = rs.add_parser("build", help="(re)build ring.json from the storage nodes")
    build.add_argument("--part-power", type=int, help="2**N partitions (default 8)")
    build.add_argument("--replicas", type=int, help="copies of each object (default 3)")
    show = rs.add_parser("show", help="partitions per device; --object A C O: where it lives")
    show.add_argument("--object", nargs=3, metavar=("ACCOUNT", "CONTAINER", "OBJECT"))
    ring.set_defaults(func=run_ring)
    swift = sub.add_parser("swift", help="Swift's storage nodes and replicator")
    ss = swift.add_subparsers(dest="swift_command", required=True)
    env = ss.add_parser("env", help="shell lines for the swift CLI: "
                        "eval \"$(minicloud swift env)\"")
    env.add_argument("--admin", action="store_true", help="as admin (default: demo)")
    ss.add_parser("replicate", help="run one replication pass now")
    nodes = ss.add_parser("nodes", help="each storage node: running or not, objects held")
    nodes.add_argument("--json", action="store_true")
    files = ss.add_parser("files", help="an object's files and metadata on each node's disk")
    files.add_argument("account", help="AUTH_<project id>")
    files.add_argument("container")
    files.add_argument("object")
    for action, text in (("stop", "stop a storage node (as if it failed)"),
                         ("start", "start a stopped storage node again"),
                         ("wipe", "erase a storage node's disk (a replaced drive)")):
        p = ss.add_parser(f"{action}-node", help=text)
        p.add_argument("node", help="storage1, storage2, ...")
    swift.set_defaults(func=run_swift)
