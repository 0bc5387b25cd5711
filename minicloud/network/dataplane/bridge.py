"""The Linux bridge agent (neutron-linuxbridge-agent), one per node.

For each network with a port bound to its host, it makes a bridge `brq<network id[:11]>`
holding the port's tap device and the network's uplink: a VXLAN interface `vxlan-<VNI>`
over the data network for tenant networks, the node's physical interface for a flat
network (the external network, on the network node). Once a tap is in its bridge the
port is wired: the agent casts `update_device_up` (port -> ACTIVE); a tap that vanishes
(its VM is gone) is unplugged and cast `update_device_down` (port -> DOWN). Empty
bridges are removed with their uplink.

l2population: neutron-server fans out `add_fdb_entries` / `remove_fdb_entries`
(notifier.py) saying behind which VTEP (a node's data address) each port MAC of a VXLAN
network lives, plus one all-zero MAC per VTEP (where to flood broadcasts). The agent keeps
those of its own networks, other nodes' only, in the bridge's `fdb` ({vtep: [[mac, ip]]}).

What the agent decides is the same in every mode; the `wiring` carries it out:
`SimulatedWiring` (Config.dataplane "simulated", the default) touches nothing, so `state`
is what it would configure; linux_bridge.py's `LinuxBridgeWiring` ("linux") makes it with
netlink. A port whose tap does not exist yet (the compute driver makes it after the port
is bound) waits: the agent looks for it when the kernel says a tap appeared (the
wiring's `watch`: netlink link notifications) and every `poll_interval` seconds besides (as
Neutron's agent polls its devices), and wires it when it appears.

Security groups: port_update carries the port's groups, their rules and the IPv4 members of
the remote groups they name (`sg_info`, the shape of Neutron's
security_group_info_for_devices); `security_groups_rule_updated` /
`security_groups_member_updated` (fanout) bring changes. After each change the agent
computes what every filtered port here needs (linux_firewall.plan: `state["firewall"]`)
and its `firewall` enforces it: `SimulatedFirewall` nothing, `LinuxFirewall` nftables.
"""

from __future__ import annotations

import logging
import threading

from minicloud.common import rpc
from minicloud.common.context import RequestContext
from minicloud.network.dataplane import linux_firewall
from minicloud.network.dataplane.base import Agent

LOG = logging.getLogger(__name__)


def bridge_name(network_id: str) -> str:
    return f"brq{network_id[:11]}"


def tap_name(port_id: str) -> str:
    return f"tap{port_id[:11]}"


class SimulatedWiring:
    """Every tap exists and nothing is touched: the agent's state is the whole story."""

    polls = False

    def has_tap(self, tap: str) -> bool:
        return True

    def plug(self, bridge: str, uplink: dict, mtu: int, tap: str) -> None:
        pass

    def unplug(self, bridge: str, tap: str) -> None:
        pass

    def remove(self, bridge: str, uplink: dict) -> None:
        pass

    def fdb(self, op: str, uplink: dict, mac: str, vtep: str) -> None:
        pass

    def prune(self, keep: set[str]) -> None:
        pass

    def sync_fdb(self, uplink: dict, wanted: set[tuple[str, str]]) -> None:
        pass

    def watch(self, wake, stopped) -> None:
        pass


class BridgeAgent(Agent):
    agent_type, binary, topic = "Linux bridge agent", "neutron-linuxbridge-agent", "q-agent-notifier"
    availability_zone = None

    def __init__(self, host: str, *, local_ip: str, physical_interfaces: dict | None = None,
                 wiring=None, firewall=None, poll_interval: float = 0.5, **kwargs):
        super().__init__(host, **kwargs)
        self.local_ip = local_ip
        self.physical_interfaces = physical_interfaces or {}
        self.wiring = wiring or SimulatedWiring()
        self.firewall = firewall or linux_firewall.SimulatedFirewall()
        self.poll_interval = poll_interval
        # ports: port id -> bridge name; firewall: linux_firewall.plan()'s
        self.state = {"bridges": {}, "ports": {}, "firewall": {"ports": {}, "sets": {}}}
        self._sg_rules: dict[str, list] = {}  # group id -> its rules (its ports' groups)
        self._sg_members: dict[str, dict] = {}  # group id -> {"IPv4": [...]} (remote groups)
        self._bound: dict[str, tuple[dict, dict]] = {}  # port id -> (port, network), here
        self._poller: threading.Thread | None = None
        self._look = threading.Event()  # a tap came or went: poll now

    def configurations(self) -> dict:
        return {"interface_mappings": self.physical_interfaces, "tunnel_types": ["vxlan"],
                "tunneling_ip": self.local_ip, "l2_population": True,
                "devices": len(self.state["ports"])}

    def start(self) -> "BridgeAgent":
        super().start()
        if self.wiring.polls:
            self._poller = threading.Thread(target=self._poll, name=f"poll-{self.name}",
                                            daemon=True)
            self._poller.start()
            self.wiring.watch(self._look.set, self._stopped)
        return self

    def stop(self) -> None:
        super().stop()
        self._look.set()  # the poller sees it is stopped
        if self._poller is not None:
            self._poller.join(timeout=5)
            self._poller = None

    def _uplink(self, network: dict) -> dict:
        if network["network_type"] == "vxlan":
            vni = network["segmentation_id"]
            return {"name": f"vxlan-{vni}", "type": "vxlan", "vni": vni,
                    "local_ip": self.local_ip, "dstport": 4789}
        physnet = network.get("physical_network")
        return {"name": self.physical_interfaces.get(physnet, f"<no interface for {physnet}>"),
                "type": "physical", "physical_network": physnet}

    def full_sync(self, ctx) -> None:
        devices = self.plugin.call(ctx, "get_devices_details_list", host=self.host)
        entries = self.plugin.call(ctx, "get_fdb_entries", host=self.host)
        with self.lock:
            self.state["bridges"].clear()
            self.state["ports"].clear()
            self._bound.clear()
            self._sg_rules.clear()
            self._sg_members.clear()
        for device in devices:
            self.port_update(ctx, device["port"], device["network"], device.get("sg_info"))
        self.add_fdb_entries(ctx, entries)
        with self.lock:
            self._reconcile()
            self._filter()

    # -- RPC from neutron-server (fanout q-agent-notifier) -----------------------------------
    def port_update(self, ctx, port: dict, network: dict | None,
                    sg_info: dict | None = None) -> None:
        bound_here = port.get("binding:host_id") == self.host
        with self.lock:
            if not bound_here or network is None:
                self._bound.pop(port["id"], None)
                if port["id"] in self.state["ports"]:
                    self._unplug(port["id"])
                self._filter()
                return
            self._bound[port["id"]] = (port, network)
            self._learn(sg_info or {}, set((sg_info or {}).get("security_groups", {})))
            self._filter()  # before the tap is plugged: no unfiltered moment
            wired = self._wire(port, network)
        if wired:
            self.device_up(ctx, port["id"])

    def port_delete(self, ctx, port_id: str) -> None:
        with self.lock:
            self._bound.pop(port_id, None)
            if port_id in self.state["ports"]:
                self._unplug(port_id)
            self._filter()

    def network_delete(self, ctx, network_id: str) -> None:
        with self.lock:
            name = bridge_name(network_id)
            bridge = self.state["bridges"].pop(name, None)
            if bridge is not None:
                for tap in bridge["taps"]:
                    self.wiring.unplug(name, tap)
                self.wiring.remove(name, bridge["uplink"])
            self.state["ports"] = {p: b for p, b in self.state["ports"].items() if b != name}
            self._bound = {p: pn for p, pn in self._bound.items() if pn[1]["id"] != network_id}
            self._filter()

    def security_groups_rule_updated(self, ctx, security_groups: list[str],
                                     sg_info: dict) -> None:
        """Rules of `security_groups` changed: those of groups used here are replaced."""
        with self.lock:
            self._learn(sg_info, {g for g in security_groups if g in self._sg_rules})
            self._filter()

    def security_groups_member_updated(self, ctx, security_groups: list[str],
                                       sg_info: dict) -> None:
        """Members of `security_groups` changed: the sets of remote groups used here."""
        with self.lock:
            members = sg_info.get("sg_member_ips", {})
            self._sg_members.update({g: members.get(g, {}) for g in security_groups
                                     if g in self._sg_members})
            self._filter()

    def add_fdb_entries(self, ctx, fdb_entries: dict) -> None:
        """l2population: `{network id: {"segment_id", "network_type", "ports": {vtep:
        [[mac, ip], ...]}}}`; entries of networks without a bridge here are not ours."""
        with self.lock:
            for bridge, vtep, pair in self._entries(fdb_entries):
                self.wiring.fdb("add", bridge["uplink"], pair[0], vtep)
                known = bridge["fdb"].setdefault(vtep, [])
                if pair not in known:
                    known.append(pair)
                    known.sort()

    def remove_fdb_entries(self, ctx, fdb_entries: dict) -> None:
        with self.lock:
            for bridge, vtep, pair in self._entries(fdb_entries):
                known = bridge["fdb"].get(vtep, [])
                if pair in known:
                    known.remove(pair)
                if not any(mac == pair[0] for mac, _ in known):  # no other IP of that MAC
                    self.wiring.fdb("remove", bridge["uplink"], pair[0], vtep)
                if not known:
                    bridge["fdb"].pop(vtep, None)

    # -- inside (called with self.lock held) --------------------------------------------------
    def _learn(self, sg_info: dict, groups: set[str]) -> None:
        """Keep the rules of `groups` and every remote group's members from `sg_info`."""
        rules = sg_info.get("security_groups", {})
        self._sg_rules.update({g: rules.get(g, []) for g in groups})
        self._sg_members.update(sg_info.get("sg_member_ips", {}))

    def _filter(self) -> None:
        """What the security groups of the ports bound here say, enforced (a port whose
        tap is not there yet gets its chains first)."""
        ports = [{**port, "tap": tap_name(port_id), "bridge": bridge_name(network["id"])}
                 for port_id, (port, network) in self._bound.items()
                 if linux_firewall.filtered(port)]
        planned = linux_firewall.plan(ports, self._sg_rules, self._sg_members)
        try:
            self.firewall.apply(planned)
        except Exception:  # the next change tries again; the agent goes on
            LOG.exception("%s: could not apply the security groups", self.name)
            return
        self.state["firewall"] = planned

    def _reconcile(self) -> None:
        """After a full sync, undo what the node still has from before and the state does
        not (a real node keeps its devices while the agent is down, and misses messages)."""
        bridges = self.state["bridges"]
        # a network whose tap is still awaited keeps its bridge: the DHCP or L3 agent may
        # have made it already, with that tap in it
        awaited = {bridge_name(network["id"]) for _, network in self._bound.values()}
        self.wiring.prune(set(bridges) | awaited)
        for bridge in bridges.values():
            if "fdb" in bridge:
                self.wiring.sync_fdb(bridge["uplink"], {
                    (mac, vtep) for vtep, pairs in bridge["fdb"].items() for mac, _ in pairs})

    def _entries(self, fdb_entries: dict):
        """(bridge, vtep, [mac, ip]) of each entry for a VXLAN bridge of this node, other
        nodes' VTEPs only."""
        for network_id, segment in (fdb_entries or {}).items():
            bridge = self.state["bridges"].get(bridge_name(network_id))
            if bridge is None or "fdb" not in bridge:
                continue
            for vtep, pairs in segment["ports"].items():
                if vtep != self.local_ip:
                    for mac, ip in pairs:
                        yield bridge, vtep, [mac, ip]

    def _wire(self, port: dict, network: dict) -> bool:
        """The port's tap into its network's bridge; False if the tap is not there yet (or
        the kernel refused: the port stays DOWN and the poll tries again)."""
        tap, name = tap_name(port["id"]), bridge_name(network["id"])
        if not self.wiring.has_tap(tap):
            return False
        bridge = self.state["bridges"].get(name) or self._new_bridge(network)
        try:
            self.wiring.plug(name, bridge["uplink"], bridge["mtu"], tap)
        except Exception:  # one port's failure must not stop the agent
            LOG.exception("%s: could not plug %s into %s", self.name, tap, name)
            return False
        self.state["bridges"][name] = bridge
        if tap not in bridge["taps"]:
            bridge["taps"].append(tap)
        self.state["ports"][port["id"]] = name
        return True

    def _new_bridge(self, network: dict) -> dict:
        bridge = {"network_id": network["id"], "mtu": network["mtu"],
                  "uplink": self._uplink(network), "taps": []}
        if network["network_type"] == "vxlan":
            bridge["fdb"] = {}
        return bridge

    def _unplug(self, port_id: str) -> None:
        name = self.state["ports"].pop(port_id)
        bridge = self.state["bridges"].get(name)
        if bridge is None:
            return
        tap = tap_name(port_id)
        if tap in bridge["taps"]:
            bridge["taps"].remove(tap)
            self.wiring.unplug(name, tap)
        if not bridge["taps"]:
            self.wiring.remove(name, bridge["uplink"])
            del self.state["bridges"][name]

    # -- taps that come and go (real wiring only) ---------------------------------------------
    def _poll(self) -> None:
        while not self._stopped.is_set():
            self._look.wait(self.poll_interval)
            self._look.clear()
            if self._stopped.is_set():
                return
            try:
                self.poll_once()
            except Exception:  # the next round tries again
                LOG.exception("%s: polling the taps failed", self.name)

    def poll_once(self) -> None:
        """Wire the bound ports whose tap appeared; unplug those whose tap vanished."""
        up, down = [], []
        with self.lock:
            for port_id, (port, network) in list(self._bound.items()):
                present = self.wiring.has_tap(tap_name(port_id))
                if port_id in self.state["ports"] and not present:
                    self._unplug(port_id)
                    down.append(port_id)
                elif port_id not in self.state["ports"] and present:
                    if self._wire(port, network):
                        up.append(port_id)
        ctx = RequestContext(user_name=self.binary)
        for port_id in up:
            self.device_up(ctx, port_id)
        for port_id in down:
            self.device_down(ctx, port_id)

    def device_down(self, ctx, port_id: str) -> None:
        try:
            self.plugin.cast(ctx, "update_device_down", port_id=port_id, host=self.host)
        except rpc.RPCError as exc:
            LOG.warning("%s: update_device_down failed: %s", self.name, exc)
