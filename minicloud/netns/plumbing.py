"""Network namespaces and links, the pieces every part of the real data plane is made of.

A `Namespace` is a named network namespace (`ip netns list` shows it; `/run/netns/NAME`)
with one netlink handle kept open (opening one forks a helper, ~13 ms). New namespaces get
their loopback up and IPv6 off: link-local chatter would otherwise flood every VXLAN
tunnel. `veth()` joins two namespaces (or one and the host), `bridge()` makes a Linux
bridge, `address()` and `up()` do what `ip addr add` and `ip link set up` do.

Interface names are at most 15 characters (IFNAMSIZ - 1): callers shorten ids the way
Neutron does (`tap` + 11 characters of the port id).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
from pathlib import Path

from pyroute2 import IPRoute, NetlinkError, netns

NETNS_DIR = Path("/run/netns")
IFNAMSIZ = 15


class PlumbingError(Exception):
    """The kernel refused (no root? a name taken?), with what was asked."""


def exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def names(prefix: str = "") -> list[str]:
    """Namespaces whose name starts with `prefix`."""
    return sorted(n for n in netns.listnetns() if n.startswith(prefix))


def check_name(ifname: str) -> str:
    if not 0 < len(ifname) <= IFNAMSIZ:
        raise PlumbingError(f"interface name {ifname!r} is longer than {IFNAMSIZ} characters")
    return ifname


class Namespace:
    """A named network namespace; `None` as the name is the host's own."""

    def __init__(self, name: str | None):
        self.name = name
        self._ipr: IPRoute | None = None

    @classmethod
    def create(cls, name: str) -> "Namespace":
        """The namespace `name`, made if missing, with lo up and IPv6 off."""
        if not exists(name):
            netns.create(name)
        ns = cls(name)
        ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
        ns.sysctl("net.ipv6.conf.default.disable_ipv6", 1)
        ns.up("lo")
        return ns

    @property
    def ipr(self) -> IPRoute:
        """The open netlink handle on this namespace."""
        if self._ipr is None:
            self._ipr = IPRoute(netns=self.name) if self.name else IPRoute()
        return self._ipr

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None

    def delete(self) -> None:
        """Remove the namespace. Its links are deleted first: the kernel frees a dead
        namespace's links (and their veth peers elsewhere) later, in the background, and
        a teardown must leave nothing when it returns."""
        if not (self.name and exists(self.name)):
            return
        for pid in self.pids():  # a dnsmasq, a guest: nothing outlives its namespace
            if pid == os.getpid():  # the launcher, removing the namespace it runs in
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            for link in self.ipr.get_links():
                if link.get_attr("IFLA_IFNAME") != "lo":
                    try:
                        self.ipr.link("del", index=link["index"])
                    except NetlinkError:  # gone already, with its peer
                        pass
        except OSError:  # someone removed the namespace meanwhile
            pass
        self.close()
        try:
            netns.remove(self.name)
        except OSError:
            pass

    def pids(self) -> list[int]:
        """The processes running in this namespace."""
        found = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                               text=True, timeout=30)
        return [int(pid) for pid in found.stdout.split()]

    # -- commands inside ---------------------------------------------------------------------
    def command(self, *args: str) -> list[str]:
        """`args` as run inside this namespace (`ip netns exec NAME ...`)."""
        return ["ip", "netns", "exec", self.name, *args] if self.name else list(args)

    def run(self, *args: str, check: bool = True, timeout: float = 30,
            **kwargs) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(*args), capture_output=True, text=True,
                              timeout=timeout, **kwargs)
        if check and done.returncode != 0:
            raise PlumbingError(f"{' '.join(args)} in {self.name or 'the host'}: "
                                f"{(done.stderr or done.stdout).strip()}")
        return done

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), **kwargs)

    def sysctl(self, key: str, value) -> None:
        """Per-namespace settings (/proc/sys/net is per namespace)."""
        self.run("sysctl", "-qw", f"{key}={value}")

    # -- links ------------------------------------------------------------------------------
    def index(self, ifname: str) -> int | None:
        found = self.ipr.link_lookup(ifname=ifname)
        return found[0] if found else None

    def require(self, ifname: str) -> int:
        index = self.index(ifname)
        if index is None:
            raise PlumbingError(f"no interface {ifname} in {self.name or 'the host'}")
        return index

    def up(self, ifname: str, mtu: int | None = None) -> None:
        extra = {"mtu": mtu} if mtu else {}
        self.ipr.link("set", index=self.require(ifname), state="up", **extra)

    def down(self, ifname: str) -> None:
        self.ipr.link("set", index=self.require(ifname), state="down")

    def delete_link(self, ifname: str) -> None:
        index = self.index(ifname)
        if index is not None:
            self.ipr.link("del", index=index)

    def address(self, ifname: str, cidr: str) -> None:
        """Add `cidr` (e.g. 10.0.0.31/24) to `ifname`, unless it is there already."""
        iface = ipaddress.ip_interface(cidr)
        index = self.require(ifname)
        have = {a.get_attr("IFA_ADDRESS") for a in self.ipr.get_addr(index=index)}
        if str(iface.ip) not in have:
            self.ipr.addr("add", index=index, address=str(iface.ip),
                          prefixlen=iface.network.prefixlen)

    def addresses(self, ifname: str) -> list[str]:
        index = self.require(ifname)
        return [f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in self.ipr.get_addr(index=index)]

    def set_addresses(self, ifname: str, wanted: list[str]) -> None:
        """Exactly the CIDRs `wanted` on `ifname`: missing ones added, others removed."""
        index = self.require(ifname)
        for cidr in set(self.addresses(ifname)) - set(wanted):
            iface = ipaddress.ip_interface(cidr)
            self.ipr.addr("del", index=index, address=str(iface.ip),
                          prefixlen=iface.network.prefixlen)
        for cidr in wanted:
            self.address(ifname, cidr)

    def default_route(self, gateway: str) -> None:
        self.ipr.route("replace", dst="0.0.0.0/0", gateway=gateway)

    def bridge(self, name: str, mtu: int | None = None) -> int:
        """A Linux bridge `name` (made if missing), up; its index."""
        check_name(name)
        if self.index(name) is None:
            self.ipr.link("add", ifname=name, kind="bridge")
        self.up(name, mtu)
        return self.require(name)

    def enslave(self, ifname: str, bridge: str) -> None:
        self.ipr.link("set", index=self.require(ifname), master=self.require(bridge))

    def __repr__(self) -> str:
        return f"Namespace({self.name!r})"


def veth(outside: Namespace, outside_name: str, inside: Namespace, inside_name: str, *,
         mtu: int | None = None, mac: str | None = None) -> None:
    """A veth pair: `outside_name` in `outside`, `inside_name` in `inside`, both up.
    `mac` is given to the inside end (a VM's eth0 gets its Neutron port's MAC)."""
    check_name(outside_name), check_name(inside_name)
    if outside.index(outside_name) is not None:
        outside.delete_link(outside_name)  # left by a crash: its peer goes with it
    peer: dict = {"ifname": inside_name}
    if inside.name != outside.name:
        peer["net_ns_fd"] = inside.name if inside.name else _host_netns_fd()
    outside.ipr.link("add", ifname=outside_name, kind="veth", peer=peer)
    if mac:
        inside.ipr.link("set", index=inside.require(inside_name), address=mac)
    outside.up(outside_name, mtu)
    inside.up(inside_name, mtu)


def _host_netns_fd() -> int:
    return os.open("/proc/1/ns/net", os.O_RDONLY)
