"""The DHCP agent's real wiring (Config.dataplane = "linux"): what dhcp.py records, made
with a namespace, a veth pair and a dnsmasq per network.

    the agent's namespace (the network node)      qdhcp-<network id>
    brq<net id[:11]> -- tap<port[:11]> ========== ns-<port[:11]>  10.0.0.2/24  dnsmasq

`<port>` is the network's DHCP port (device_owner network:dhcp); the bridge is made if the
Linux bridge agent has not made it yet (it adds the uplink). dnsmasq hands out static
leases only: a `--dhcp-range=...,static,...` per subnet and a hosts file of Neutron's
ports, so an unknown MAC gets nothing. Its files, under `<state dir>/<network id>/`:

    host        fa:16:3e:..,host-10-0-0-5.openstacklocal,10.0.0.5   who gets which address
    addn_hosts  10.0.0.5 host-10-0-0-5.openstacklocal host-10-0-0-5   the ports' DNS names
    opts        tag:subnet0,option:router,10.0.0.1 / option:mtu,1450   per-subnet options
    pid, leases, dnsmasq.log

A port that comes or goes rewrites `host`/`addn_hosts` and sends dnsmasq SIGHUP (it reads
them again and keeps its PID); a change of its command line (subnets, the device)
restarts it. dnsmasq is not the agent's child for good: it runs in its own session and
outlives an agent that stops (as Neutron's do: leases go on while the agent is down); the
next sync adopts it through its pid file. `remove_all()` is for taking the node down.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from minicloud.netns.plumbing import Namespace, PlumbingError, names, veth
from minicloud.network.dataplane.bridge import bridge_name

LOG = logging.getLogger(__name__)

DOMAIN = "openstacklocal"  # Neutron's default dns_domain: host-10-0-0-5.openstacklocal
LEASE_TIME = "86400s"
START_TIMEOUT = 5.0  # seconds dnsmasq may take to write its pid file


def for_node(config, host: str, prefix: str = "") -> "LinuxDhcp":
    """The wiring of `host`'s DHCP agent in the linux mode: its files under
    <home>/network/<host>/dhcp/<network id>/, its bridges in the agent's own namespace."""
    return LinuxDhcp(config.path("network", host, "dhcp"), prefix=prefix)


class LinuxDhcp:
    """`state_dir`: where each network's dnsmasq files go; `node`: the namespace the bridges
    are in (None: the one this process runs in); `prefix` goes before every namespace name
    (tests use "mct-": their namespaces are recognisable)."""

    driver = "dnsmasq"

    def __init__(self, state_dir: str | Path, *, node: Namespace | None = None,
                 prefix: str = ""):
        self.state_dir = Path(state_dir)
        self.node = node or Namespace(None)
        self.prefix = prefix
        self._namespaces: dict[str, Namespace] = {}  # one netlink handle each
        self._children: dict[str, subprocess.Popen] = {}  # to reap the dnsmasqs we started
        self._mtu: dict[str, int | None] = {}

    def namespace_name(self, network_id: str) -> str:
        return f"{self.prefix}qdhcp-{network_id}"

    # -- what the agent calls ---------------------------------------------------------------
    def apply(self, network_id: str, record: dict | None, mtu: int | None = None) -> None:
        """Make network `network_id` serve what `record` (the agent's qdhcp- entry) says;
        None (no DHCP subnet left) or no DHCP port: nothing. `mtu`: the network's, given
        with a network_update and kept for the port updates that follow."""
        if mtu is not None:
            self._mtu[network_id] = mtu
        if record is None or record["device"] is None:
            self.remove(network_id)
            return
        ns = self._namespace(network_id)
        inside = self._plug(network_id, ns, record)
        before = self._host_entries(network_id)
        changed = self._write_files(network_id, record)
        self._serve(network_id, ns, self._arguments(network_id, record, inside), changed)
        self._release(ns, inside, before - self._host_entries(network_id))

    def _host_entries(self, network_id: str) -> set[str]:
        try:
            return set((self.state_dir / network_id / "host").read_text().split())
        except OSError:
            return set()

    def _release(self, ns: Namespace, inside: str, gone: set[str]) -> None:
        """A deleted port's lease is given back at once (dhcp_release, as Neutron does):
        otherwise dnsmasq keeps the address for the old MAC and refuses it to the next
        port that gets it."""
        for entry in gone:
            mac, _, ip = entry.split(",")
            done = ns.run("dhcp_release", inside, ip, mac, check=False)
            if done.returncode != 0:
                LOG.warning("dhcp_release %s %s: %s", ip, mac, done.stderr.strip())

    def remove(self, network_id: str) -> None:
        """dnsmasq killed, the namespace (with the veth) and the files gone."""
        self._stop_dnsmasq(network_id)
        ns = self._namespaces.pop(network_id, None) or Namespace(self.namespace_name(network_id))
        ns.delete()
        shutil.rmtree(self.state_dir / network_id, ignore_errors=True)
        self._mtu.pop(network_id, None)

    def sync(self, network_ids) -> None:
        """After a full sync: networks served here that neutron-server no longer lists
        (deleted while the agent was away) are removed."""
        keep = set(network_ids)
        for network_id in self._served() - keep:
            LOG.info("DHCP for network %s is no longer wanted: removing it", network_id)
            self.remove(network_id)

    def remove_all(self) -> None:
        for network_id in self._served():
            self.remove(network_id)

    def pid(self, network_id: str) -> int | None:
        """The running dnsmasq of the network, if any."""
        path = self.state_dir / network_id / "pid"
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _served(self) -> set[str]:
        prefix = self.namespace_name("")
        served = {name[len(prefix):] for name in names(prefix)}
        if self.state_dir.is_dir():
            served |= {path.name for path in self.state_dir.iterdir() if path.is_dir()}
        return served

    # -- the namespace and its device -------------------------------------------------------
    def _namespace(self, network_id: str) -> Namespace:
        if network_id not in self._namespaces:
            self._namespaces[network_id] = Namespace.create(self.namespace_name(network_id))
        return self._namespaces[network_id]

    def _plug(self, network_id: str, ns: Namespace, record: dict) -> str:
        """The DHCP port's veth: `tap...` on the network's bridge, `ns-...` in the
        namespace with the port's MAC and addresses. Returns the inside name."""
        device = record["device"]
        outside, inside = device["name"], "ns-" + device["name"][3:]
        mtu = self._mtu.get(network_id)
        if ns.index(inside) is None:
            bridge = bridge_name(network_id)
            if self.node.index(bridge) is None:  # the bridge agent adds the uplink later
                self.node.bridge(bridge)
            veth(self.node, outside, ns, inside, mtu=mtu, mac=_dhcp_mac(record))
            self.node.enslave(outside, bridge)
        elif mtu:
            ns.up(inside, mtu)
            self.node.up(outside, mtu)
        ns.set_addresses(inside, ipv4(device["addresses"]))
        return inside

    # -- dnsmasq's files and process --------------------------------------------------------
    def _write_files(self, network_id: str, record: dict) -> bool:
        """Write host, addn_hosts and opts; whether any of them changed."""
        directory = self.state_dir / network_id
        directory.mkdir(parents=True, exist_ok=True)
        entries = sorted(e for port in record["hosts"].values() for e in port
                         if ipaddress.ip_address(e.rsplit(",", 1)[1]).version == 4)
        files = {"host": entries, "addn_hosts": [_dns_line(e) for e in entries],
                 "opts": _options(record, self._mtu.get(network_id))}
        changed = False
        for name, lines in files.items():
            text = "".join(f"{line}\n" for line in lines)
            path = directory / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                changed = True
        return changed

    def _arguments(self, network_id: str, record: dict, inside: str) -> list[str]:
        directory = self.state_dir / network_id
        ranges = [f"--dhcp-range=set:subnet{i},{net.network_address},static,{net.netmask},"
                  f"{LEASE_TIME}" for i, net in _subnets(record)]
        return ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts",
                "--no-resolv", f"--interface={inside}", "--except-interface=lo",
                "--bind-interfaces", *ranges, f"--domain={DOMAIN}",
                f"--pid-file={directory / 'pid'}", f"--dhcp-hostsfile={directory / 'host'}",
                f"--addn-hosts={directory / 'addn_hosts'}",
                f"--dhcp-optsfile={directory / 'opts'}",
                f"--dhcp-leasefile={directory / 'leases'}", "--dhcp-authoritative",
                # root: it reads the files again on SIGHUP, after dropping privileges
                "--user=root", "--group=root",
                f"--log-facility={directory / 'dnsmasq.log'}", "--log-dhcp"]

    def _serve(self, network_id: str, ns: Namespace, args: list[str], changed: bool) -> None:
        pid = self.pid(network_id)
        if pid is not None and _cmdline(pid) == args:
            if changed:
                LOG.info("dnsmasq %d for %s: files changed, SIGHUP", pid, network_id)
                os.kill(pid, signal.SIGHUP)
            return
        self._stop_dnsmasq(network_id)
        self._start_dnsmasq(network_id, ns, args)

    def _start_dnsmasq(self, network_id: str, ns: Namespace, args: list[str]) -> None:
        pid_file = self.state_dir / network_id / "pid"
        pid_file.unlink(missing_ok=True)
        # Its own session: an agent stopped with Ctrl-C or SIGTERM leaves it serving.
        child = ns.popen(*args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, start_new_session=True)
        self._children[network_id] = child
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:  # the pid file: its signal handlers are set
            if self.pid(network_id) == child.pid:
                return
            if child.poll() is not None:
                raise PlumbingError(f"dnsmasq for {network_id} exited: "
                                    f"{child.stderr.read().decode().strip()}")
            time.sleep(0.02)
        raise PlumbingError(f"dnsmasq for {network_id} wrote no pid file")

    def _stop_dnsmasq(self, network_id: str) -> None:
        child = self._children.pop(network_id, None)
        pid = self.pid(network_id)
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(timeout=5)
        elif pid is not None and "dnsmasq" in _cmdline(pid)[:1]:  # adopted: not our child
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid)
        if child is not None and child.stderr:
            child.stderr.close()


# -- pure helpers ---------------------------------------------------------------------------
def ipv4(cidrs: list[str]) -> list[str]:
    """IPv4 only: the namespaces have IPv6 off (IPv6 subnets are not served, see below)."""
    return [cidr for cidr in cidrs if ipaddress.ip_interface(cidr).version == 4]


def _subnets(record: dict) -> list[tuple[int, ipaddress.IPv4Network]]:
    """(tag number, network) of the IPv4 subnets; DHCPv6 would need another range syntax
    and router advertisements, and is left out."""
    found = [(i, ipaddress.ip_network(cidr)) for i, cidr in enumerate(record["subnets"])]
    return [(i, net) for i, net in found if net.version == 4]


def _options(record: dict, mtu: int | None) -> list[str]:
    """opts lines: each subnet's options (dhcp.py's dhcp_options) under its tag, and the
    network's MTU (option 26: VXLAN leaves 1450 of 1500)."""
    lines = []
    for i, net in _subnets(record):
        options = record["options"].get(record["subnets"][i], [])
        lines += [f"tag:subnet{i},{option}" for option in options]
        if mtu:
            lines.append(f"tag:subnet{i},option:mtu,{mtu}")
    return lines


def _dns_line(entry: str) -> str:
    """`mac,host-10-0-0-5.openstacklocal,10.0.0.5` -> an addn_hosts line."""
    _mac, fqdn, ip = entry.split(",")
    return f"{ip}\t{fqdn} {fqdn.split('.')[0]}"


def _dhcp_mac(record: dict) -> str | None:
    """The DHCP port's MAC, from its host entry (the record names the device by
    `tap<port id[:11]>` and keys host entries by port id)."""
    short = record["device"]["name"][3:]
    for port_id, entries in record["hosts"].items():
        if port_id[:11] == short and entries:
            return entries[0].split(",")[0]
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode() for part in raw.split(b"\0") if part]


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
