"""Security groups on the compute node (Neutron's firewall driver): what bridge.py's
BridgeAgent decides for each port it filters, as nftables rules in the node's namespace.

Which family, measured on this kernel (6.18, bridge netfilter built in, no
nf_conntrack_bridge): a `table bridge` sees the bridge PORTS (`iifname "tap..."`) but
cannot track connections (`ct state` there: "Protocol error"); a `table inet` tracks
connections for bridged IPv4 through br_netfilter (`net.bridge.bridge-nf-call-iptables=1`,
per namespace) but sees only the bridge (`brq...`) as the device. So both, in one `nft -f`
transaction:

    table bridge sg     prerouting (-300)  iifname "tap<port>" jump spoof-<port>
                          spoof-<port>: only the port's MACs/IPs (+ allowed address
                          pairs) may leave it, ARP checked too, DHCP discover allowed;
                          `meta mark set <n>`: n is the port's number on this node
                        forward (-200)     oifname "tap<port>" meta mark set <n>
    table inet sg       zone (raw)         iifname "brq<net>" ct zone set <z>: one
                          conntrack zone per network, so tenants with overlapping CIDRs
                          never share a connection
                        prerouting (filter) meta mark <n> -> egress-<port>   (from the VM)
                        forward (filter)    meta mark <n> -> ingress-<port>  (to the VM)
                        egress-/ingress-<port>: established,related accepted, invalid
                          dropped, DHCP allowed, then one rule per security group rule,
                          then drop
                        set sg-<group id>: the IPv4 addresses of a remote group's members

(a bridge chain runs before br_netfilter hands the frame to the inet hooks, so the mark
says which port a packet came from or goes to.) Every change writes both tables again
(`table ...; delete table ...; table ... {...}` in one file: the kernel swaps them in one
transaction), so a deleted rule or member stops new connections from the next packet on
(one already established stays: Neutron also deletes its conntrack entries). With no
filtered port the tables are removed. Port numbers and zones stay the same while the
agent runs (a packet marked under the old rule set finds its chain in the new one).

LIMITATIONS: IPv4 only (IPv6 rules are not rendered; IPv6 from or to a filtered port is
dropped: the netns mode's namespaces have IPv6 off); an allowed address pair's MAC and IP
are allowed separately, not as a pair; stateless groups are treated as stateful.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

LOG = logging.getLogger(__name__)

TABLE = "sg"  # `nft list table inet sg`, `nft list table bridge sg` in the compute node
# IANA numbers of the protocols with ports (and ICMP); others from /etc/protocols
WITH_PORTS = {"tcp": 6, "udp": 17, "dccp": 33, "sctp": 132, "udplite": 136}
ICMP = 1
DHCP_CLIENT = "udp sport 68 udp dport 67"
DHCP_SERVER = "udp sport 67 udp dport 68"


def chain(kind: str, port_id: str) -> str:
    """`ingress-`, `egress-` or `spoof-` + the port id's first 11 characters (its tap's)."""
    return f"{kind}-{port_id[:11]}"


def set_name(group_id: str) -> str:
    return f"sg-{group_id}"


def filtered(port: dict) -> bool:
    """Neutron filters a VM's port with port security on (port_update says so); a router's
    or DHCP port never."""
    return bool(port.get("port_security_enabled")) and not (
        port.get("device_owner") or "").startswith("network:")


# -- what a port's rules are (the same in every mode) -----------------------------------
def plan(ports: list[dict], rules: dict[str, list], members: dict[str, dict]) -> dict:
    """What to enforce: `ports` are port_update's port dicts (with "tap" and "bridge"),
    `rules` a group's rules by group id, `members` a group's IPs ({"IPv4": [...]})."""
    used: set[str] = set()
    planned = {}
    for port in ports:
        groups = port.get("security_groups") or []
        mine = [r for g in groups for r in rules.get(g, [])]
        used |= {r["remote_group_id"] for r in mine if r.get("remote_group_id")}
        planned[port["id"]] = {
            "tap": port["tap"], "bridge": port["bridge"], "security_groups": groups,
            "macs": _macs(port), "ips": _ips(port),
            "ingress": _rules(mine, "ingress"), "egress": _rules(mine, "egress")}
    sets = {set_name(g): sorted(members.get(g, {}).get("IPv4", [])) for g in sorted(used)}
    return {"ports": planned, "sets": sets}


def _macs(port: dict) -> list[str]:
    pairs = port.get("allowed_address_pairs") or []
    return sorted({port["mac_address"], *(p["mac_address"] for p in pairs if p.get(
        "mac_address"))})


def _ips(port: dict) -> list[str]:
    found = [a["ip_address"] for a in port.get("fixed_ips", [])]
    found += [p["ip_address"] for p in port.get("allowed_address_pairs") or []]
    return sorted({ip for ip in found if ipaddress.ip_network(ip, strict=False).version == 4})


def _rules(rules: list[dict], direction: str) -> list[str]:
    lines = [_rule(r) for r in rules if r["direction"] == direction and r["ethertype"] == "IPv4"]
    return sorted(set(lines), key=lines.index)


def _rule(rule: dict) -> str:
    """One security group rule as one nft rule of the port's chain."""
    peer = "saddr" if rule["direction"] == "ingress" else "daddr"
    parts = ["meta nfproto ipv4"]
    if rule.get("remote_group_id"):
        parts.append(f"ip {peer} @{set_name(rule['remote_group_id'])}")
    elif rule.get("remote_ip_prefix") and not rule["remote_ip_prefix"].endswith("/0"):
        parts.append(f"ip {peer} {ipaddress.ip_network(rule['remote_ip_prefix'], strict=False)}")
    parts += _protocol(rule)
    return " ".join(parts + ["accept"])


def _protocol(rule: dict) -> list[str]:
    protocol = rule.get("protocol")
    if protocol is None:
        return []
    number = _number(protocol)
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if number == ICMP:
        icmp = [f"icmp type {low}"] if low is not None else ["meta l4proto icmp"]
        return icmp + ([f"icmp code {high}"] if high is not None else [])
    names = {n: name for name, n in WITH_PORTS.items()}  # nft knows these by name
    parts = [f"meta l4proto {names.get(number, number)}"]
    if low is not None and number in WITH_PORTS.values():
        parts.append(f"th dport {low}" if low == high else f"th dport {low}-{high}")
    return parts


def _number(protocol: str) -> int:
    """A rule's protocol (a name or a number, as the API stored it) as its number."""
    text = str(protocol).lower()
    if text.isdigit():
        return int(text)
    if text == "icmp":
        return ICMP
    return WITH_PORTS.get(text) or socket.getprotobyname(text)


# -- the rule set -----------------------------------------------------------------------
def ruleset(planned: dict, numbers: dict[str, int], zones: dict[str, int]) -> str:
    """The whole nft file for `planned` (plan()'s), ports numbered by `numbers`, bridges
    zoned by `zones`; with no port, a file that removes both tables."""
    text = [f"table bridge {TABLE} {{}}", f"delete table bridge {TABLE}",
            f"table inet {TABLE} {{}}", f"delete table inet {TABLE}"]
    if planned["ports"]:
        text += _bridge_table(planned["ports"], numbers)
        text += _inet_table(planned, numbers, zones)
    return "\n".join(text) + "\n"


def _bridge_table(ports: dict, numbers: dict[str, int]) -> list[str]:
    pre = ["    type filter hook prerouting priority -300; policy accept;", "    meta mark set 0"]
    fwd = ["    type filter hook forward priority -200; policy accept;", "    meta mark set 0"]
    spoofs = []
    for port_id, port in ports.items():
        pre.append(f'    iifname "{port["tap"]}" jump {chain("spoof", port_id)}')
        fwd.append(f'    oifname "{port["tap"]}" meta mark set {numbers[port_id]}')
        spoofs += _block(chain("spoof", port_id), _spoof(port, numbers[port_id]))
    return ([f"table bridge {TABLE} {{"] + _chain_text("prerouting", pre)
            + _chain_text("forward", fwd) + spoofs + ["}"])


def _spoof(port: dict, number: int) -> list[str]:
    """Anti-spoofing, as Neutron's: a port sends from its own MACs and IPs only."""
    macs, ips = ", ".join(port["macs"]), ", ".join(port["ips"])
    lines = [f"ether saddr != {{ {macs} }} drop",
             f"ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 {DHCP_CLIENT} "
             f"meta mark set {number} accept"]  # DHCP: no address yet
    if ips:
        lines += [f"ether type arp arp saddr ip != {{ 0.0.0.0, {ips} }} drop",
                  "ether type arp accept", "ether type != ip drop",
                  f"ip saddr != {{ {ips} }} drop"]
    else:
        lines += ["ether type arp accept", "drop"]
    return lines + [f"meta mark set {number}"]


def _inet_table(planned: dict, numbers: dict[str, int], zones: dict[str, int]) -> list[str]:
    text = [f"table inet {TABLE} {{"]
    for name, ips in planned["sets"].items():
        elements = f" elements = {{ {', '.join(ips)} }};" if ips else ""
        text.append(f"  set {name} {{ type ipv4_addr; flags interval; auto-merge;{elements} }}")
    bridges = sorted({p["bridge"] for p in planned["ports"].values()})
    text += _chain_text("zone", ["    type filter hook prerouting priority raw; policy accept;"]
                        + [f'    iifname "{b}" ct zone set {zones[b]}' for b in bridges])
    for hook, kind in (("prerouting", "egress"), ("forward", "ingress")):
        jumps = ", ".join(f"{numbers[p]} : jump {chain(kind, p)}" for p in planned["ports"])
        text += _chain_text(hook, [f"    type filter hook {hook} priority filter; "
                                   "policy accept;", f"    meta mark vmap {{ {jumps} }}"])
    for port_id, port in planned["ports"].items():
        text += _block(chain("egress", port_id), [
            f"{DHCP_CLIENT} accept", f"{DHCP_SERVER} drop",  # no DHCP server in a VM
            *_stateful(), *port["egress"], "drop"])
        text += _block(chain("ingress", port_id), [
            *_stateful(), f"{DHCP_SERVER} accept", *port["ingress"], "drop"])
    return text + ["}"]


def _stateful() -> list[str]:
    return ["ct state established,related accept", "ct state invalid drop"]


def _block(name: str, rules: list[str]) -> list[str]:
    return _chain_text(name, [f"    {r}" for r in rules])


def _chain_text(name: str, body: list[str]) -> list[str]:
    return [f"  chain {name} {{", *body, "  }"]


class SimulatedFirewall:
    """Touches nothing: the agent's state["firewall"] (plan()'s) is the whole story."""

    def apply(self, planned: dict) -> None:
        pass


class LinuxFirewall:
    """The two `sg` tables in `ns` (the compute node's namespace: `Namespace(None)` is the
    one the agent runs in)."""

    def __init__(self, ns):
        self.ns = ns
        self.numbers: dict[str, int] = {}  # port id -> its mark
        self.zones: dict[str, int] = {}  # bridge -> its conntrack zone
        self._applied: str | None = None

    def apply(self, planned: dict) -> None:
        self._renumber(self.numbers, planned["ports"])
        self._renumber(self.zones, {p["bridge"] for p in planned["ports"].values()})
        text = ruleset(planned, self.numbers, self.zones)
        if text == self._applied:
            return
        if planned["ports"]:
            # br_netfilter hands bridged IPv4 to the inet hooks (the default, made sure)
            self.ns.sysctl("net.bridge.bridge-nf-call-iptables", 1)
        self.ns.run("nft", "-f", "-", input=text)
        self._applied = text

    @staticmethod
    def _renumber(numbers: dict, wanted) -> None:
        """Keep the numbers of what stays, free those of what went, number what came."""
        for key in [k for k in numbers if k not in wanted]:
            del numbers[key]
        for key in wanted:
            if key not in numbers:
                taken = set(numbers.values())
                numbers[key] = next(n for n in range(1, len(taken) + 2) if n not in taken)

    def tables(self) -> str:
        """`nft list table inet sg` (empty when there is none): for tests and learners."""
        return self.ns.run("nft", "list", "table", "inet", TABLE, check=False).stdout
