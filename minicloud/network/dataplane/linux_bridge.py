"""The real wiring of the Linux bridge agent (Config.dataplane = "linux"): what
bridge.py's BridgeAgent decides, done with netlink in one network namespace, the one the
agent's process runs in (`Namespace(None)`: a node's namespace in the netns mode, its
container in the Docker mode), so the same code serves both.

    brq<net id[:11]>    a Linux bridge per network with a port on this node, MTU = the network's
    vxlan-<VNI>         its uplink on a VXLAN network: local = the node's data address, over
                        the interface holding that address, UDP 4789, no multicast, no
                        learning: l2population's FDB entries say where every MAC is
    <physical iface>    its uplink on a flat network (physnet `public` on the network
                        node's external interface); the interface's addresses move to the
                        bridge while it is enslaved, as Neutron's agent does
    tap<port id[:11]>   the port's device, made by whoever owns the port (the compute
                        driver's VM veth, the DHCP or L3 agent); this module only plugs it

FDB entries on a vxlan device (`bridge fdb show dev vxlan-1001`): one all-zero MAC entry
per remote VTEP (`append`: broadcast and unknown unicast go to every VTEP of the network)
and one per remote port MAC (`replace`: a learned or moved MAC is overwritten).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct
import threading

from pyroute2 import NetlinkError
from pyroute2.netlink.rtnl import ndmsg

from minicloud.netns.plumbing import Namespace, PlumbingError

LOG = logging.getLogger(__name__)

VXLAN_PORT = 4789  # IANA's; the kernel's default (8472) is the pre-standard one
FLOOD_MAC = "00:00:00:00:00:00"
EEXIST, ENOENT = 17, 2
RTMGRP_LINK, RTM_NEWLINK, RTM_DELLINK, IFLA_IFNAME = 1, 16, 17, 3
FDB_STATE = ndmsg.states["noarp"] | ndmsg.states["permanent"]
FDB_FLAGS = ndmsg.flags["self"]  # the entry belongs to the vxlan device, not its bridge


class LinuxBridgeWiring:
    """Bridges, VXLAN devices, taps and FDB entries in `ns` (`Namespace(None)`: the
    agent's own). `local_ip`: the node's address on the data network."""

    polls = True  # taps appear and vanish on their own: the agent looks for them

    def __init__(self, ns: Namespace, local_ip: str):
        self.ns, self.local_ip = ns, local_ip

    def watch(self, wake, stopped: threading.Event) -> None:
        """Call `wake()` whenever a tap appears or goes, until `stopped` (the kernel says
        so on netlink at once: the agent plugs a new server's tap without waiting for its
        next poll). Only in the agent's own namespace; elsewhere the poll alone serves."""
        if self.ns.name is None:
            threading.Thread(target=watch_taps, args=(wake, stopped), daemon=True,
                             name="watch-taps").start()

    # -- taps ---------------------------------------------------------------------------------
    def has_tap(self, tap: str) -> bool:
        return self.ns.index(tap) is not None

    def plug(self, bridge: str, uplink: dict, mtu: int, tap: str) -> None:
        """`tap` into `bridge` (made with its uplink if missing), at the network's MTU. Its
        up or down is its owner's: the compute driver downs a stopped server's tap."""
        index = self._bridge(bridge, uplink, mtu)
        self.ns.ipr.link("set", index=self.ns.require(tap), master=index, mtu=mtu)

    def unplug(self, bridge: str, tap: str) -> None:
        index = self.ns.index(tap)
        if index is not None and self._master(index) == self.ns.index(bridge):
            self.ns.ipr.link("set", index=index, master=0)

    def remove(self, bridge: str, uplink: dict) -> None:
        """The bridge and its uplink: a vxlan device goes (its FDB entries with it), a
        physical interface is released and gets its addresses back."""
        if uplink["type"] == "vxlan":
            self.ns.delete_link(uplink["name"])
        elif self.ns.index(uplink["name"]) is not None:
            self._release(uplink["name"], bridge)
        self.ns.delete_link(bridge)

    # -- FDB ----------------------------------------------------------------------------------
    def fdb(self, op: str, uplink: dict, mac: str, vtep: str) -> None:
        """`op` "add" or "remove" the entry `mac` -> `vtep` on the uplink's vxlan device."""
        index = self.ns.index(uplink["name"])
        if index is None:
            return
        how = {"remove": "del", "add": "append" if mac == FLOOD_MAC else "replace"}[op]
        try:
            self.ns.ipr.fdb(how, ifindex=index, lladdr=mac, dst=vtep, state=FDB_STATE,
                            flags=FDB_FLAGS)
        except NetlinkError as exc:  # there already (append) or gone already (del)
            if exc.code not in (EEXIST, ENOENT):
                raise

    def fdb_entries(self, uplink: dict) -> list[tuple[str, str]]:
        """(mac, vtep) of the entries with a destination on the uplink (for tests and
        `bridge fdb show`)."""
        index = self.ns.index(uplink["name"])
        if index is None:
            return []
        return [(e.get_attr("NDA_LLADDR"), e.get_attr("NDA_DST"))
                for e in self.ns.ipr.fdb("dump", ifindex=index) if e.get_attr("NDA_DST")]

    # -- after a full sync: what a run that missed messages left -----------------------------
    def prune(self, keep: set[str]) -> None:
        """Remove the brq bridges not named in `keep` with their vxlan devices, releasing a
        physical interface: networks deleted while the agent was down."""
        for link in self.ns.ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            if name.startswith("brq") and name not in keep:
                for port in self._ports(link["index"]):
                    if port.startswith("vxlan-"):
                        self.ns.delete_link(port)
                    elif not port.startswith("tap"):
                        self._release(port, name)
                self.ns.delete_link(name)

    def sync_fdb(self, uplink: dict, wanted: set[tuple[str, str]]) -> None:
        """Remove the uplink's entries not in `wanted` ((mac, vtep)): ports deleted while
        the agent was down."""
        for mac, vtep in self.fdb_entries(uplink):
            if (mac, vtep) not in wanted:
                self.fdb("remove", uplink, mac, vtep)

    # -- inside -------------------------------------------------------------------------------
    def _ports(self, bridge_index: int) -> list[str]:
        return [p.get_attr("IFLA_IFNAME") for p in self.ns.ipr.get_links()
                if p.get_attr("IFLA_MASTER") == bridge_index]

    def _bridge(self, bridge: str, uplink: dict, mtu: int) -> int:
        existed = self.ns.index(bridge) is not None
        index = self.ns.bridge(bridge, mtu if not existed else None)
        if uplink["type"] == "vxlan":
            self._vxlan(uplink, mtu, index)
        else:
            self._adopt(uplink["name"], bridge, index)
        return index

    def _vxlan(self, uplink: dict, mtu: int, bridge_index: int) -> None:
        name = uplink["name"]
        if self.ns.index(name) is None:
            self.ns.ipr.link("add", ifname=name, kind="vxlan", vxlan_id=uplink["vni"],
                             vxlan_local=self.local_ip, vxlan_link=self._data_index(),
                             vxlan_port=VXLAN_PORT, vxlan_learning=0)
        self.ns.ipr.link("set", index=self.ns.require(name), master=bridge_index, mtu=mtu,
                         state="up")

    def _data_index(self) -> int:
        """The interface holding the node's data address: the tunnels' underlay."""
        found = self.ns.ipr.get_addr(address=self.local_ip)
        if not found:
            raise PlumbingError(f"no interface has the data address {self.local_ip} in "
                                f"{self.ns.name or 'this namespace'}")
        return found[0]["index"]

    def interface_of(self, address: str) -> str | None:
        """The physical interface holding `address` (the node's external one: named `ext`
        in a netns node, `eth2` or so in a container), also once it is in a brq bridge that
        holds the address for it."""
        found = self.ns.ipr.get_addr(address=address)
        if not found:
            return None
        (link,) = self.ns.ipr.get_links(found[0]["index"])
        name = link.get_attr("IFLA_IFNAME")
        if not name.startswith("brq"):
            return name
        return next((p for p in self._ports(link["index"])
                     if not p.startswith(("tap", "vxlan-"))), None)

    def _adopt(self, ifname: str, bridge: str, bridge_index: int) -> None:
        """The physical interface into the bridge, its addresses moved onto the bridge."""
        index = self.ns.require(ifname)
        if self._master(index) == bridge_index:
            return
        for cidr in self._ipv4(index):
            self.ns.ipr.addr("del", index=index, **_addr(cidr))
            self.ns.address(bridge, cidr)
        self.ns.ipr.link("set", index=index, master=bridge_index, state="up")

    def _release(self, ifname: str, bridge: str) -> None:
        index = self.ns.require(ifname)
        self.ns.ipr.link("set", index=index, master=0)
        bridge_index = self.ns.index(bridge)
        for cidr in self._ipv4(bridge_index) if bridge_index else []:
            self.ns.address(ifname, cidr)

    def _ipv4(self, index: int) -> list[str]:
        return [f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in self.ns.ipr.get_addr(index=index, family=2)]

    def _master(self, index: int) -> int | None:
        (link,) = self.ns.ipr.get_links(index)
        return link.get_attr("IFLA_MASTER")


def watch_taps(wake, stopped: threading.Event) -> None:
    """Listen to the link notifications (RTMGRP_LINK) of this process's namespace and call
    `wake()` for each one about a device named tap*, until `stopped`."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, RTMGRP_LINK))
        sock.settimeout(0.5)
        while not stopped.is_set():
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:  # ENOBUFS: notifications were lost; look at everything
                wake()
                continue
            if any(name.startswith("tap") for name in link_names(data)):
                wake()


def link_names(data: bytes):
    """The device names in a batch of RTM_NEWLINK / RTM_DELLINK netlink messages."""
    at = 0
    while at + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, at)
        if length < 16:
            return
        if kind in (RTM_NEWLINK, RTM_DELLINK):
            attr, end = at + 32, at + length  # nlmsghdr (16) + ifinfomsg (16)
            while attr + 4 <= end:
                size, code = struct.unpack_from("=HH", data, attr)
                if size < 4:
                    break
                if code == IFLA_IFNAME:
                    yield data[attr + 4:attr + size].split(b"\0")[0].decode(errors="replace")
                attr += (size + 3) & ~3
        at += (length + 3) & ~3


def _addr(cidr: str) -> dict:
    iface = ipaddress.ip_interface(cidr)
    return {"address": str(iface.ip), "prefixlen": iface.network.prefixlen}
