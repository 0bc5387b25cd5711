"""The L3 agent's real wiring (Config.dataplane = "linux"): each router that l3.py records
becomes a namespace with veths into the network bridges, routes and an nftables table.

    the agent's namespace (the network node)         qrouter-<router id>
    brq<tenant net[:11]>   -- tap<port[:11]> ======= qr-<port[:11]>  10.0.0.1/24
    brq<external net[:11]> -- tap<gw[:11]>   ======= qg-<gw[:11]>    203.0.113.10/24,
                                                                     + each floating IP /32
    default via the external subnet's gateway; net.ipv4.ip_forward=1 in the namespace

The NAT lives in one table, `ip router`, in the router's namespace:

    prerouting   ip daddr <floating ip> dnat to <fixed ip>                   per floating IP
    postrouting  oifname qg-.. ip saddr <fixed ip> snat to <floating ip>      per floating IP
                 oifname qg-.. ip saddr <subnet> snat to <gateway ip>        per interface
                                                                             (enable_snat)

Each update writes the whole table again from the router neutron-server sent, in one nft
transaction (the kernel swaps it atomically: no packet sees half a rule set), so removing an
interface, the gateway or a floating IP removes exactly its rules. Every rule carries a
comment saying what it is for. Interfaces that are no longer wanted are deleted (their
veth peer goes with them); addresses are set to exactly the wanted ones.

Not done (as in Neutron's legacy router but missing here): hairpin NAT (a VM reaching a
floating IP of its own subnet), router-to-router routes (`extra routes`), HA, DVR.
"""

from __future__ import annotations

import ipaddress
import logging

from pyroute2 import NetlinkError

from minicloud.netns.plumbing import Namespace, names, veth
from minicloud.network.dataplane.bridge import bridge_name, tap_name
from minicloud.network.dataplane.linux_dhcp import ipv4

LOG = logging.getLogger(__name__)

TABLE = "router"  # in each qrouter- namespace: `ip netns exec qrouter-X nft list table ip router`


class LinuxL3:
    """`node`: the namespace the bridges are in (None: the one this process runs in);
    `prefix` goes before every namespace name (tests use "mct-")."""

    def __init__(self, *, node: Namespace | None = None, prefix: str = ""):
        self.node = node or Namespace(None)
        self.prefix = prefix
        self._namespaces: dict[str, Namespace] = {}  # one netlink handle each

    def namespace_name(self, router_id: str) -> str:
        return f"{self.prefix}qrouter-{router_id}"

    # -- what the agent calls ---------------------------------------------------------------
    def router_updated(self, router: dict) -> None:
        """Make router `router` (notifier.router_info's shape) real."""
        ns = self._namespace(router["id"])
        # The rules first: a floating IP that goes stops being translated before its
        # address stops answering ARP (rules may name a qg- device that comes later).
        ns.run("nft", "-f", "-", input=ruleset(router))
        devices = _devices(router)
        for ifname in _router_links(ns):
            if ifname not in devices:
                LOG.info("router %s: unplugging %s", router["id"], ifname)
                ns.delete_link(ifname)
        for ifname, (port, addresses) in devices.items():
            self._plug(ns, ifname, port)
            ns.set_addresses(ifname, addresses)
        self._route(ns, router)

    def router_deleted(self, router_id: str) -> None:
        """The namespace goes, with its interfaces (their veth peers) and its table."""
        ns = self._namespaces.pop(router_id, None) or Namespace(self.namespace_name(router_id))
        ns.delete()

    def sync(self, router_ids) -> None:
        """After a full sync: routers here that neutron-server no longer lists go."""
        prefix, keep = self.namespace_name(""), set(router_ids)
        for name in names(prefix):
            if name[len(prefix):] not in keep:
                LOG.info("router %s is no longer wanted: removing it", name[len(prefix):])
                self.router_deleted(name[len(prefix):])

    def remove_all(self) -> None:
        self.sync([])

    # -- pieces -----------------------------------------------------------------------------
    def _namespace(self, router_id: str) -> Namespace:
        if router_id not in self._namespaces:
            ns = Namespace.create(self.namespace_name(router_id))
            ns.sysctl("net.ipv4.ip_forward", 1)  # per namespace: the host's stays as it is
            self._namespaces[router_id] = ns
        return self._namespaces[router_id]

    def _plug(self, ns: Namespace, ifname: str, port: dict) -> None:
        """`ifname` in the router, its peer `tap<port[:11]>` on the port network's bridge
        (made if missing: the bridge agent adds the uplink when it plugs the tap)."""
        bridge, outside = bridge_name(port["network_id"]), tap_name(port["id"])
        if self.node.index(bridge) is None:
            self.node.bridge(bridge)
        mtu = self._mtu(port, bridge)
        if ns.index(ifname) is None:
            veth(self.node, outside, ns, ifname, mtu=mtu, mac=port["mac_address"])
            self.node.enslave(outside, bridge)
        else:  # the MTU may have been a guess (the bridge's) the first time
            ns.up(ifname, mtu)
            if self.node.index(outside) is not None:
                self.node.up(outside, mtu)

    def _mtu(self, port: dict, bridge: str) -> int:
        """The network's MTU if neutron-server sent it, else the bridge's (which follows
        its smallest port: 1450 once a VXLAN uplink is in). A qr- device with a larger MTU
        than the network's would forward frames the tunnel drops without a word."""
        if port.get("mtu"):
            return port["mtu"]
        (link,) = self.node.ipr.get_links(self.node.require(bridge))
        return link.get_attr("IFLA_MTU")

    @staticmethod
    def _route(ns: Namespace, router: dict) -> None:
        gateway = router.get("gateway")
        if gateway and gateway.get("gateway_ip"):
            ns.default_route(gateway["gateway_ip"])
        else:
            try:
                ns.ipr.route("del", dst="0.0.0.0/0")
            except NetlinkError:  # there was none
                pass


# -- what a router is made of: pure functions of the router neutron-server sent ---------
def _devices(router: dict) -> dict[str, tuple[dict, list[str]]]:
    """Interface name -> (its port, the addresses it should have)."""
    wanted = {f"qr-{port['id'][:11]}": (port, ipv4([ip["cidr"] for ip in port["fixed_ips"]]))
              for port in router["interfaces"]}
    gateway = router.get("gateway")
    if gateway:
        wanted[_qg(gateway)] = (gateway, ipv4([ip["cidr"] for ip in gateway["fixed_ips"]]) + [
            f"{fip['floating_ip_address']}/32" for fip in router["floating_ips"]])
    return wanted


def _qg(gateway: dict) -> str:
    return f"qg-{gateway['id'][:11]}"


def _router_links(ns: Namespace) -> list[str]:
    links = [link.get_attr("IFLA_IFNAME") for link in ns.ipr.get_links()]
    return [name for name in links if name.startswith(("qr-", "qg-"))]


def ruleset(router: dict) -> str:
    """The nft script that replaces the router's table in one transaction."""
    prerouting, postrouting = [], []
    gateway = router.get("gateway")
    if gateway:
        qg = _qg(gateway)
        gw_ip = ipv4([ip["cidr"] for ip in gateway["fixed_ips"]])[0].split("/")[0]
        for fip in router["floating_ips"]:
            floating, fixed = fip["floating_ip_address"], fip["fixed_ip_address"]
            note = f'comment "floating IP {floating}"'
            prerouting.append(f"ip daddr {floating} dnat to {fixed} {note}")
            postrouting.append(f'oifname "{qg}" ip saddr {fixed} snat to {floating} {note}')
        if router["enable_snat"]:
            for subnet in _subnets(router):
                postrouting.append(f'oifname "{qg}" ip saddr {subnet} snat to {gw_ip} '
                                   f'comment "SNAT {subnet}"')
    return "\n".join([
        f"table ip {TABLE} {{}}",  # so that the delete below always has a table to delete
        f"delete table ip {TABLE}",
        f"table ip {TABLE} {{",
        *_chain("prerouting", "prerouting", "dstnat", prerouting),
        *_chain("postrouting", "postrouting", "srcnat", postrouting),
        "}", ""])


def _chain(name: str, hook: str, priority: str, rules: list[str]) -> list[str]:
    return [f"\tchain {name} {{", f"\t\ttype nat hook {hook} priority {priority}; policy accept;",
            *(f"\t\t{rule}" for rule in rules), "\t}"]


def _subnets(router: dict) -> list[str]:
    """The router's internal subnets, once each."""
    found = [str(ipaddress.ip_interface(cidr).network) for port in router["interfaces"]
             for cidr in ipv4([ip["cidr"] for ip in port["fixed_ips"]])]
    return list(dict.fromkeys(found))
