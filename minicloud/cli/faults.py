"""`minicloud fault cut|restore|status` and `minicloud capture`: faults and packets on the
real links of the netns mode (netns/fabric.py has the names).

    minicloud fault cut compute2 data       `ip link set data down` inside mc-compute2: its
                                            VXLAN tunnels go silent, nothing else changes
    minicloud fault restore compute2 data   the link up again
    minicloud fault status                  which of the plan's links are cut now
    minicloud capture compute2 data [--count N] [--timeout S] [-w FILE] [--filter EXPR]
                                            tcpdump on that interface, inside the node's
                                            namespace; VXLAN (UDP 4789) is decoded with its
                                            VNI and the tenant frame inside

A network is named as the plan names it (management, data, external, api) or as the
interface inside the node is (mgmt, data, ext, api). These commands read the saved
configuration (mode, netns_prefix) of the data directory. The in-process and processes
modes have a simulated data plane (the agents get the same RPC messages and wire nothing):
there these commands say so and exit 2, as they do for a node or network not in the plan.
In the Docker mode the same commands run inside the node's container (`docker exec`), whose
network namespace is the node's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from minicloud.topology import SHORT, Topology

LONG = {short: network for network, short in SHORT.items()}
RUN_ONE = "`make lab-up MODE=netns` as root runs a real one"


class FaultError(Exception):
    """The command cannot act, and why; `code` is its exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


REAL = ("netns", "docker")  # the modes whose nodes have interfaces of their own


def simulated(config, nothing: str) -> str | None:
    """Why there is nothing real to act on in this mode, or None in the netns and Docker
    modes."""
    if config.mode in REAL:
        return None
    return (f"the data plane is simulated in the {config.mode} mode: {nothing}; {RUN_ONE}")


def interface(config, node_name: str, network: str) -> tuple[str, str]:
    """The namespace (or container) of `node_name` and its interface on `network`."""
    topology = Topology.from_config(config)
    try:
        node = topology.node(node_name)
    except KeyError:
        names = ", ".join(n.name for n in topology.nodes)
        raise FaultError(f"no node {node_name} in this cloud (its nodes: {names})") from None
    network = LONG.get(network, network)
    if network not in node.networks:
        on = ", ".join(f"{n} ({SHORT[n]})" for n in node.networks)
        raise FaultError(f"{node_name} is not on the {network} network; it is on: {on}")
    return f"{config.netns_prefix}-{node_name}", SHORT[network]


def entered(config, node_name: str, network: str, nothing: str) -> tuple[list[str], str]:
    """The command prefix that runs a program in the node (`ip netns exec NS`, or `docker
    exec CONTAINER`) and its interface on `network`, after checking the mode, root and that
    the node's namespace exists."""
    reason = simulated(config, nothing)
    if reason:
        raise FaultError(reason)
    namespace, ifname = interface(config, node_name, network)
    if config.mode == "docker":
        return ["docker", "exec", namespace], ifname
    if os.geteuid() != 0:
        raise FaultError("entering a node's namespace needs root (sudo)", code=1)
    if not os.path.exists(f"/run/netns/{namespace}"):
        raise FaultError(f"no namespace {namespace}: is the cloud up? (`minicloud status`)",
                         code=1)
    return ["ip", "netns", "exec", namespace], ifname


# -- fault ------------------------------------------------------------------------------------
def link_state(inside: list[str], ifname: str) -> str:
    """`UP`, `DOWN` (cut) or `LOWERLAYERDOWN` (its peer is), as `ip -br link` says."""
    done = subprocess.run([*inside, "ip", "-br", "link", "show", "dev", ifname],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise FaultError(f"no interface {ifname} in {inside[-1]}: {done.stderr.strip()}",
                         code=1)
    return done.stdout.split()[1]


def set_link(inside: list[str], ifname: str, up: bool) -> None:
    done = subprocess.run([*inside, "ip", "link", "set", "dev", ifname,
                           "up" if up else "down"], capture_output=True, text=True,
                          timeout=30)
    if done.returncode != 0:
        raise FaultError(f"ip link set {ifname} in {inside[-1]}: {done.stderr.strip()}",
                         code=1)


def cut(config, node_name: str, network: str) -> str:
    inside, ifname = entered(config, node_name, network, "no link to cut")
    if link_state(inside, ifname) == "DOWN":
        return f"{node_name}'s {ifname} link is already cut."
    set_link(inside, ifname, up=False)
    return (f"*** {node_name}'s {ifname} link is down (`ip link set {ifname} down` in "
            f"{inside[-1]}): what {node_name} sends or receives on the {LONG[ifname]} network "
            f"is lost. `minicloud fault restore {node_name} {ifname}` brings it back.")


def restore(config, node_name: str, network: str) -> str:
    inside, ifname = entered(config, node_name, network, "no link to restore")
    set_link(inside, ifname, up=True)
    return f"*** {node_name}'s {ifname} link is up again (in {inside[-1]})."


def status(config) -> list[str]:
    """A line per link of the plan that is not up."""
    reason = simulated(config, "no link is ever cut")
    if reason:
        raise FaultError(reason)
    lines = []
    for node in Topology.from_config(config).nodes:
        for network in node.networks:
            inside, ifname = entered(config, node.name, network, "")
            state = link_state(inside, ifname)
            if state != "UP":
                lines.append(f"{node.name:<11} {ifname:<5} {state}")
    return lines


def cmd_fault(config, args) -> int:
    try:
        if args.action == "status":
            cut_links = status(config)
            print("\n".join(["NODE        LINK  STATE", *cut_links]) if cut_links else
                  "No link is cut.")
            return 0
        act = cut if args.action == "cut" else restore
        print(act(config, args.node, args.network))
        return 0
    except FaultError as exc:
        print(f"minicloud fault: {exc}", file=sys.stderr)
        return exc.code


# -- capture ----------------------------------------------------------------------------------
def tcpdump_command(inside: list[str], ifname: str, count: int | None, write: bool,
                    expression: list[str]) -> list[str]:
    """tcpdump inside the node: packets as they come (--immediate-mode, -U, -l), numeric;
    tcpdump decodes UDP port 4789 as VXLAN by itself ("VXLAN, flags [I] (0x08), vni 1").
    `write`: the pcap goes to its standard output (`-w -`), which the caller sends to the
    file: here, not inside the node, whose files the learner does not see."""
    argv = [*inside, "tcpdump", "-ni", ifname, "--immediate-mode", "-U", "-l"]
    if count:
        argv += ["-c", str(count)]
    if write:
        argv += ["-w", "-"]
    return argv + expression


def capture(config, args) -> int:
    inside, ifname = entered(config, args.node, args.network, "nothing to capture")
    expression = args.filter.split() if args.filter else []
    until = f"{args.count} packets or " if args.count else ""
    until += f"{args.timeout:g} s" if args.timeout else "Ctrl-C"
    print(f"*** tcpdump on {args.node}'s {ifname} interface (in {inside[-1]}) until {until}"
          + (f", into {args.write}" if args.write else ""), file=sys.stderr, flush=True)
    timeout = args.timeout
    if config.mode == "docker" and timeout:  # `docker exec` passes no signal on: the time
        # limit goes inside the container
        inside = [*inside, "timeout", "--preserve-status", "-s", "INT", f"{timeout:g}"]
        timeout += 5
    out = open(args.write, "wb") if args.write else None
    try:
        return _run_tcpdump(tcpdump_command(inside, ifname, args.count, bool(out), expression),
                            timeout, out)
    finally:
        if out is not None:
            out.close()


def _run_tcpdump(argv: list[str], timeout: float, out) -> int:
    tcpdump = subprocess.Popen(argv, stdout=out)
    try:
        return tcpdump.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        tcpdump.send_signal(signal.SIGINT)  # it prints its summary and closes the file
    except KeyboardInterrupt:
        pass  # the terminal sent tcpdump the same Ctrl-C
    try:
        tcpdump.wait(timeout=5)
    except subprocess.TimeoutExpired:
        tcpdump.kill()
        tcpdump.wait()
    return 0


def cmd_capture(config, args) -> int:
    try:
        return capture(config, args)
    except FaultError as exc:
        print(f"minicloud capture: {exc}", file=sys.stderr)
        return exc.code


def add_parsers(sub, run_fault, run_capture) -> None:
    fault = sub.add_parser("fault", help="cut a node's link on one network, or restore it "
                                         "(netns mode)")
    actions = fault.add_subparsers(dest="action", required=True)
    for action, text in (("cut", "take the node's interface on that network down"),
                         ("restore", "bring it up again")):
        one = actions.add_parser(action, help=text)
        one.add_argument("node", help="network, compute1, storage2, ...")
        one.add_argument("network", help="management|mgmt, data, external|ext, api")
    actions.add_parser("status", help="the links that are cut now")
    fault.set_defaults(func=run_fault)
    cap = sub.add_parser("capture", help="tcpdump on a node's interface (netns mode); "
                                         "VXLAN shown with its VNI")
    cap.add_argument("node", help="network, compute1, ...")
    cap.add_argument("network", help="management|mgmt, data, external|ext, api")
    cap.add_argument("--count", "-c", type=int, help="stop after N packets")
    cap.add_argument("--timeout", type=float, default=10.0,
                     help="stop after S seconds (default 10; 0: until Ctrl-C)")
    cap.add_argument("-w", "--write", metavar="FILE",
                     help="write the packets to FILE (pcap, for Wireshark) instead of "
                          "printing them")
    cap.add_argument("--filter", metavar="EXPRESSION",
                     help="a tcpdump filter, e.g. --filter 'udp port 4789'")
    cap.set_defaults(func=run_capture)
