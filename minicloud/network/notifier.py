"""neutron-server -> agents: the RPC messages that make the data plane follow the API.

    port_update / port_delete / network_delete   fanout  q-agent-notifier  (every bridge agent)
    security_groups_rule_updated                 fanout  q-agent-notifier  (security groups)
    security_groups_member_updated               fanout  q-agent-notifier
    add_fdb_entries / remove_fdb_entries         fanout  q-agent-notifier  (l2population)
    add_fdb_entries (the network's whole set)    cast    q-agent-notifier.<host>
    routers_updated / router_deleted             cast    l3_agent.<host>
    network_update / network_delete              cast    dhcp_agent.<host>

Security groups: a bridge agent's port_update also carries `sg_info`, in the shape of
Neutron's security_group_info_for_devices: `{"security_groups": {group id: [rules]},
"sg_member_ips": {remote group id: {"IPv4": [...], "IPv6": [...]}}}` for the port's
groups. When a group's rules change (a rule created or deleted), or its members (a port
joins or leaves it, or its addresses change), every bridge agent is told which groups,
with their new rules or members (Neutron sends the same two messages on a topic of their
own, q-agent-notifier-security_group-update, and agents fetch the rules back).

Each message carries what the agent needs to configure (as a real agent would fetch it
back over RPC), so an agent never reads network.db. Messages are sent after the API
transaction committed.

l2population (Neutron's l2pop mechanism driver): for VXLAN networks, once a port is
ACTIVE (its agent reported it wired) every bridge agent is told behind which VTEP (the
agent's `tunneling_ip`) its MACs live, so agents need neither multicast nor learning:

    {network id: {"segment_id": VNI, "network_type": "vxlan",
                  "ports": {vtep: [["00:00:00:00:00:00", "0.0.0.0"], [mac, ip], ...]}}}

The all-zero pair is the VTEP's flooding entry (broadcasts and unknown MACs go to every
VTEP with a port on the network): added with each port, removed with a host's last port
on the network. The agent that reported the port up also gets the network's whole set
(cast to its host), which is how a node's first port on a network learns the others.
What was announced is kept in memory (`_announced`, rebuilt from network.db when the
server starts): a deleted port's MAC is gone from the database by the time it is removed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading

from minicloud.common import rpc
from minicloud.network.store import NetworkStore, load
from minicloud.network.topics import BRIDGE_TOPIC, DHCP_TOPIC, L3_TOPIC, NETWORK_HOST

LOG = logging.getLogger(__name__)

BRIDGE_AGENT = "Linux bridge agent"
FLOODING_ENTRY = ["00:00:00:00:00:00", "0.0.0.0"]


def _cidr_of(store: NetworkStore, subnet_id: str) -> str:
    sub = store.get("subnets", subnet_id)
    return sub["cidr"] if sub else ""


def _prefixed(store: NetworkStore, allocation: dict) -> str:
    cidr = _cidr_of(store, allocation["subnet_id"])
    return f"{allocation['ip_address']}/{ipaddress.ip_network(cidr).prefixlen}" if cidr else ""


class Notifier:
    """`timeout`: how long a message may take to leave; the API answer must not hang on
    it (Config.rpc_quick_timeout)."""

    def __init__(self, store: NetworkStore, transport: rpc.Transport | None, tracer=None, *,
                 timeout: float):
        self.store = store
        self.client = (rpc.RPCClient(transport, BRIDGE_TOPIC, service="neutron-server",
                                     tracer=tracer, timeout=timeout) if transport else None)
        self._l2pop_lock = threading.Lock()
        self._announced: dict[str, dict] | None = None  # port id -> its l2pop entry

    def _send(self, how: str, topic: str, ctx, method: str, *, to: str = NETWORK_HOST,
              **kwargs) -> None:
        if self.client is None:
            return
        client = self.client.prepare(topic=topic, server=to if how == "cast" else None)
        try:
            getattr(client, how)(ctx, method, **kwargs)
        except rpc.RPCError:  # the bus is gone (shutdown): the API answer stands
            LOG.warning("could not send %s to %s", method, topic)

    # -- what agents are told ---------------------------------------------------------------
    def network_info(self, network_id: str) -> dict | None:
        net = self.store.get("networks", network_id)
        if net is None:
            return None
        return {"id": net["id"], "network_type": net["network_type"],
                "physical_network": net["physical_network"],
                "segmentation_id": net["segmentation_id"], "mtu": net["mtu"]}

    def port_info(self, port: dict) -> dict:
        return {"id": port["id"], "network_id": port["network_id"], "mac_address":
                port["mac_address"], "device_owner": port["device_owner"],
                "device_id": port["device_id"], "binding:host_id": port["binding_host_id"],
                "fixed_ips": [{**a, "cidr": _prefixed(self.store, a)}
                              for a in self.store.allocations(port["id"])],
                "security_groups": load(port["security_groups"], []),
                "port_security_enabled": bool(port["port_security_enabled"]),
                "allowed_address_pairs": load(port["allowed_address_pairs"], [])}

    def sg_info(self, group_ids) -> dict:
        """The rules of `group_ids` and the members of every remote group they name."""
        rules = {g: [_rule_info(r) for r in self.store.rules_of(g)]
                 for g in sorted(set(group_ids))}
        remote = {r["remote_group_id"] for rs in rules.values() for r in rs
                  if r["remote_group_id"]}
        return {"security_groups": rules, "sg_member_ips": self.member_ips(remote)}

    def member_ips(self, group_ids) -> dict:
        """Each group's members' addresses (fixed IPs and allowed address pairs), by family."""
        members = {g: {"IPv4": set(), "IPv6": set()} for g in group_ids}
        for port in self.store.ports() if members else []:
            groups = set(load(port["security_groups"], [])) & set(members)
            addresses = [a["ip_address"] for a in self.store.allocations(port["id"])] + [
                p["ip_address"] for p in load(port["allowed_address_pairs"], [])]
            for group in groups:
                for address in addresses:
                    family = ipaddress.ip_network(address, strict=False).version
                    members[group][f"IPv{family}"].add(address)
        return {g: {k: sorted(v) for k, v in by.items()} for g, by in members.items()}

    def router_info(self, router_id: str) -> dict | None:
        router = self.store.get("routers", router_id)
        if router is None:
            return None
        ports = self.store.router_ports(router_id)
        fips = self.store.associated_floatingips(router_id)
        gateway = None
        for port in ports:
            if port["device_owner"] == "network:router_gateway":
                gateway = self.port_info(port)
                subnet = self.store.get("subnets", gateway["fixed_ips"][0]["subnet_id"])
                gateway["gateway_ip"] = subnet["gateway_ip"] if subnet else None
        return {"id": router["id"], "enable_snat": bool(router["enable_snat"]),
                "gateway": gateway,
                "interfaces": [self.port_info(p) for p in ports
                               if p["device_owner"] == "network:router_interface"],
                "floating_ips": [{"floating_ip_address": f["floating_ip_address"],
                                  "fixed_ip_address": f["fixed_ip_address"]} for f in fips]}

    def dhcp_info(self, network_id: str) -> dict | None:
        info = self.network_info(network_id)
        if info is None:
            return None
        subnets = self.store.subnets_of(network_id)
        info["subnets"] = [{"id": s["id"], "cidr": s["cidr"], "gateway_ip": s["gateway_ip"],
                            "enable_dhcp": bool(s["enable_dhcp"]),
                            "dns_nameservers": load(s["dns_nameservers"], []),
                            "host_routes": load(s["host_routes"], [])} for s in subnets]
        info["ports"] = [self.port_info(p) for p in
                         self.store.ports_on_network(network_id)]
        return info

    # -- the messages -----------------------------------------------------------------------
    def port_changed(self, ctx, port_id: str) -> None:
        port = self.store.get("ports", port_id)
        if port is None:
            return
        with self._l2pop_lock:
            announced = self._l2pop().get(port_id)
        if announced and (port["status"] != "ACTIVE" or
                          port["binding_host_id"] != announced["host"]):
            # unbound or moved (before its new agent may report it up again)
            self.port_down(ctx, port_id)
        info = self.port_info(port)
        self._send("fanout", BRIDGE_TOPIC, ctx, "port_update", port=info,
                   network=self.network_info(port["network_id"]),
                   sg_info=self.sg_info(info["security_groups"]))
        self._send("cast", DHCP_TOPIC, ctx, "port_update", port=info)

    def port_deleted(self, ctx, port_id: str, network_id: str) -> None:
        self.port_down(ctx, port_id)
        self._send("fanout", BRIDGE_TOPIC, ctx, "port_delete", port_id=port_id)
        self._send("cast", DHCP_TOPIC, ctx, "port_delete", port_id=port_id,
                   network_id=network_id)

    def security_groups_rule_updated(self, ctx, group_ids) -> None:
        """A rule of these groups was created or deleted."""
        group_ids = sorted(set(group_ids))
        self._send("fanout", BRIDGE_TOPIC, ctx, "security_groups_rule_updated",
                   security_groups=group_ids, sg_info=self.sg_info(group_ids))

    def security_groups_member_updated(self, ctx, group_ids) -> None:
        """A port joined or left these groups, or its addresses changed."""
        group_ids = sorted(set(group_ids))
        if group_ids:
            self._send("fanout", BRIDGE_TOPIC, ctx, "security_groups_member_updated",
                       security_groups=group_ids,
                       sg_info={"sg_member_ips": self.member_ips(group_ids)})

    def dhcp_changed(self, ctx, network_id: str) -> None:
        info = self.dhcp_info(network_id)
        if info is not None:
            self._send("cast", DHCP_TOPIC, ctx, "network_update", network=info)

    def network_deleted(self, ctx, network_id: str) -> None:
        with self._l2pop_lock:  # the agents drop the bridge, its vxlan device and entries
            self._announced = {p: e for p, e in self._l2pop().items()
                               if e["network_id"] != network_id}
        self._send("fanout", BRIDGE_TOPIC, ctx, "network_delete", network_id=network_id)
        self._send("cast", DHCP_TOPIC, ctx, "network_delete", network_id=network_id)

    def router_changed(self, ctx, router_id: str | None) -> None:
        info = self.router_info(router_id) if router_id else None
        if info is not None:
            self._send("cast", L3_TOPIC, ctx, "routers_updated", routers=[info])

    def router_deleted(self, ctx, router_id: str) -> None:
        self._send("cast", L3_TOPIC, ctx, "router_deleted", router_id=router_id)

    # -- l2population -------------------------------------------------------------------------
    def port_up(self, ctx, port_id: str) -> None:
        """The port's agent wired it: everyone learns where its MACs are, and its host gets
        the network's whole set."""
        self.host_up(ctx, port_ids=[port_id])

    def host_up(self, ctx, host: str | None = None, port_ids: list[str] | None = None) -> None:
        """Announce the ACTIVE ports `port_ids`, or all those bound to `host` (its bridge
        agent (re)started: its VTEP may be new)."""
        rows = ([self.store.get("ports", p) for p in port_ids] if port_ids is not None
                else self.store.ports_bound_to(host))
        added, hosts, moved = {}, set(), []
        with self._l2pop_lock:
            announced = self._l2pop()
            for row in rows:
                entry = self._entry(row) if row else None
                if entry is None:
                    continue
                old = announced.get(row["id"])
                if old and old["vtep"] != entry["vtep"]:
                    moved.append(row["id"])  # its old VTEP lets go first
                    continue
                announced[row["id"]] = entry
                _merge(added, self._payload([entry], flood=True))
                hosts.add(entry["host"])
        for port_id in moved:
            self.port_down(ctx, port_id)
        if moved:
            self.host_up(ctx, port_ids=moved)
        if added:
            self._send("fanout", BRIDGE_TOPIC, ctx, "add_fdb_entries", fdb_entries=added)
        for where in hosts:
            self._send("cast", BRIDGE_TOPIC, ctx, "add_fdb_entries", to=where,
                       fdb_entries=self.fdb_entries_for_host(where))

    def port_down(self, ctx, port_id: str) -> None:
        """The port is gone from its VTEP (deleted, unbound, moved, its tap vanished)."""
        with self._l2pop_lock:
            entry = self._l2pop().pop(port_id, None)
            if entry is None:
                return
            last = not any(e["network_id"] == entry["network_id"] and e["vtep"] == entry["vtep"]
                           for e in self._announced.values())
            removed = self._payload([entry], flood=last)
        self._send("fanout", BRIDGE_TOPIC, ctx, "remove_fdb_entries", fdb_entries=removed)

    def fdb_entries_for_host(self, host: str) -> dict:
        """The whole set of every VXLAN network with a port bound to `host` (its agent's
        full sync)."""
        networks = {p["network_id"] for p in self.store.ports_bound_to(host)}
        with self._l2pop_lock:
            entries = [e for e in self._l2pop().values() if e["network_id"] in networks]
            return self._payload(entries, flood=True)

    def _l2pop(self) -> dict[str, dict]:
        """What was announced, by port id (from network.db the first time)."""
        if self._announced is None:
            self._announced = {}
            for net in self.store.networks():
                for row in self.store.ports_on_network(net["id"]):
                    entry = self._entry(row)
                    if entry is not None:
                        self._announced[row["id"]] = entry
        return self._announced

    def _entry(self, port: dict) -> dict | None:
        """The port's l2pop entry: it must be ACTIVE, on a VXLAN network, bound to a host
        whose bridge agent reported a tunneling IP."""
        net = self.store.get("networks", port["network_id"])
        vtep = self._vtep(port["binding_host_id"])
        if port["status"] != "ACTIVE" or not net or net["network_type"] != "vxlan" or not vtep:
            return None
        return {"network_id": net["id"], "segment_id": net["segmentation_id"],
                "host": port["binding_host_id"], "vtep": vtep,
                "pairs": [[port["mac_address"], a["ip_address"]]
                          for a in self.store.allocations(port["id"])]
                or [[port["mac_address"], ""]]}  # a port without an IP still has its MAC

    def _vtep(self, host: str) -> str | None:
        agent = self.store.agent_on(BRIDGE_AGENT, host) if host else None
        return json.loads(agent["configurations"] or "{}").get("tunneling_ip") if agent else None

    @staticmethod
    def _payload(entries: list[dict], *, flood: bool) -> dict:
        payload: dict = {}
        for e in entries:
            segment = payload.setdefault(e["network_id"], {
                "segment_id": e["segment_id"], "network_type": "vxlan", "ports": {}})
            pairs = segment["ports"].setdefault(e["vtep"], [FLOODING_ENTRY] if flood else [])
            pairs += [p for p in e["pairs"] if p not in pairs]
        return payload


def _rule_info(rule: dict) -> dict:
    return {k: rule[k] for k in ("id", "security_group_id", "direction", "ethertype",
                                 "protocol", "port_range_min", "port_range_max",
                                 "remote_ip_prefix", "remote_group_id")}


def _merge(into: dict, payload: dict) -> None:
    for network_id, segment in payload.items():
        have = into.setdefault(network_id, {**segment, "ports": {}})
        for vtep, pairs in segment["ports"].items():
            known = have["ports"].setdefault(vtep, [])
            known += [p for p in pairs if p not in known]
