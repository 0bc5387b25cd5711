"""l2population with the simulated data plane: neutron-server tells every bridge agent
where each ACTIVE port's MAC lives (add_fdb_entries / remove_fdb_entries, fanout on
q-agent-notifier), and an agent's full sync gets the entries of its networks.

VTEPs are the nodes' data addresses (topology.py): network 10.0.1.21, compute1 .31,
compute2 .32."""

from __future__ import annotations

import threading

import pytest

from minicloud.common import rpc
from minicloud.network import rpc_callbacks
from minicloud.network.dataplane import BridgeAgent, SimulatedWiring
from minicloud.network.notifier import FLOODING_ENTRY

from tests.fakes import wait_for

NETWORK, COMPUTE1, COMPUTE2 = "10.0.1.21", "10.0.1.31", "10.0.1.32"
FLOOD = list(FLOODING_ENTRY)


class Spy:
    """A bridge agent's ears without the agent: every l2pop message, in order."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    def add_fdb_entries(self, ctx, fdb_entries):
        with self.lock:
            self.messages.append(("add", fdb_entries))

    def remove_fdb_entries(self, ctx, fdb_entries):
        with self.lock:
            self.messages.append(("remove", fdb_entries))

    def port_update(self, ctx, **kwargs):
        pass

    port_delete = network_delete = port_update

    def seen(self, kind: str) -> list[dict]:
        with self.lock:
            return [payload for k, payload in self.messages if k == kind]


@pytest.fixture
def spy(env):
    ears = Spy()
    server = rpc.RPCServer(env.neutron.transport, "q-agent-notifier", "spy", [ears]).start()
    yield ears
    server.stop()


def _network(demo, cidr="10.8.0.0/24") -> dict:
    net = demo.create("networks", "network", name="l2")
    demo.create("subnets", "subnet", network_id=net["id"], cidr=cidr)  # DHCP port: network
    return net


def _bind(admin, net, host) -> dict:
    return admin.create("ports", "port", network_id=net["id"], device_id=f"vm-{host}",
                        device_owner="compute:nova", **{"binding:host_id": host})


def _pair(port) -> list:
    return [port["mac_address"], port["fixed_ips"][0]["ip_address"]]


def _fdb(env, agent: str, net: dict) -> dict | None:
    bridge = env.agents[agent].get_dataplane(None)["bridges"].get(f"brq{net['id'][:11]}")
    return bridge["fdb"] if bridge else None


def _active(admin, port) -> bool:
    return admin.get(f"/v2.0/ports/{port['id']}").json["port"]["status"] == "ACTIVE"


def _dhcp_port(admin, net) -> dict:
    ports = admin.get("/v2.0/ports", params={"network_id": net["id"],
                                             "device_owner": "network:dhcp"}).json["ports"]
    return ports[0]


def test_an_active_port_is_announced_to_every_agent_in_neutrons_shape(env, admin, demo, spy):
    net = _network(demo)
    port = _bind(admin, net, "compute1")
    assert wait_for(lambda: _active(admin, port))
    vni = admin.get(f"/v2.0/networks/{net['id']}").json["network"]["provider:segmentation_id"]
    announced = wait_for(lambda: [p for p in spy.seen("add")
                                  if COMPUTE1 in p.get(net["id"], {}).get("ports", {})])
    assert announced[0] == {net["id"]: {"segment_id": vni, "network_type": "vxlan",
                                        "ports": {COMPUTE1: [FLOOD, _pair(port)]}}}
    # compute1 learned the DHCP port behind the network node; the network node learned it
    dhcp = _dhcp_port(admin, net)
    assert wait_for(lambda: _fdb(env, "compute1-bridge", net) == {
        NETWORK: sorted([FLOOD, _pair(dhcp)])})
    assert wait_for(lambda: _fdb(env, "network-bridge", net) == {
        COMPUTE1: sorted([FLOOD, _pair(port)])})
    assert _fdb(env, "compute2-bridge", net) is None  # no port there: no bridge, no entries


def test_the_last_port_of_a_host_takes_its_flooding_entry_with_it(env, admin, demo):
    net = _network(demo)
    _bind(admin, net, "compute1")
    first, second = _bind(admin, net, "compute2"), _bind(admin, net, "compute2")
    assert wait_for(lambda: _fdb(env, "compute1-bridge", net).get(COMPUTE2) == sorted(
        [FLOOD, _pair(first), _pair(second)]))
    admin.delete(f"/v2.0/ports/{first['id']}")
    assert wait_for(lambda: _fdb(env, "compute1-bridge", net).get(COMPUTE2) == sorted(
        [FLOOD, _pair(second)]))
    admin.delete(f"/v2.0/ports/{second['id']}")
    assert wait_for(lambda: COMPUTE2 not in _fdb(env, "compute1-bridge", net))
    assert NETWORK in _fdb(env, "compute1-bridge", net)  # the DHCP port stays


def test_unbinding_a_port_removes_its_entries_and_turns_it_down(env, admin, demo, spy):
    net = _network(demo)
    _bind(admin, net, "compute1")
    moving = _bind(admin, net, "compute2")
    assert wait_for(lambda: COMPUTE2 in (_fdb(env, "compute1-bridge", net) or {}))
    answer = admin.put(f"/v2.0/ports/{moving['id']}", json={"port": {"binding:host_id": ""}})
    assert answer.status_code == 200 and answer.json["port"]["status"] == "DOWN"
    assert wait_for(lambda: COMPUTE2 not in _fdb(env, "compute1-bridge", net))
    removed = wait_for(lambda: spy.seen("remove"))
    assert removed[-1][net["id"]]["ports"] == {COMPUTE2: [FLOOD, _pair(moving)]}
    # bound again elsewhere: announced from its new VTEP once that agent wired it
    admin.put(f"/v2.0/ports/{moving['id']}", json={"port": {"binding:host_id": "network"}})
    assert wait_for(lambda: _pair(moving) in _fdb(env, "compute1-bridge", net).get(NETWORK, []))


def test_flat_networks_have_no_fdb_entries(env, admin, spy):
    public = admin.get("/v2.0/networks", params={"name": "public"}).json["networks"][0]
    port = _bind(admin, public, "compute1")
    assert wait_for(lambda: _active(admin, port))
    bridge = env.agents["compute1-bridge"].get_dataplane(None)["bridges"][
        f"brq{public['id'][:11]}"]
    assert bridge["uplink"]["type"] == "physical" and "fdb" not in bridge
    assert not [p for p in spy.seen("add") if public["id"] in p]


def test_a_restarted_agent_gets_its_entries_by_its_full_sync(env, admin, demo):
    net = _network(demo)
    _bind(admin, net, "compute1")
    port = _bind(admin, net, "compute2")
    before = wait_for(lambda: (_fdb(env, "compute1-bridge", net) or {}).get(COMPUTE2)
                      and _fdb(env, "compute1-bridge", net))
    agent = env.agents["compute1-bridge"]
    agent.stop()
    with agent.lock:  # what a reboot leaves
        agent.state["bridges"].clear()
        agent.state["ports"].clear()
    agent.start()  # the sync is done when start returns
    assert _fdb(env, "compute1-bridge", net) == before
    assert _pair(port) in before[COMPUTE2]


def test_the_full_sync_answer_holds_only_the_hosts_networks(env, admin, demo):
    mine, other = _network(demo), _network(demo, cidr="10.9.0.0/24")
    _bind(admin, mine, "compute1")
    theirs = _bind(admin, other, "compute2")
    assert wait_for(lambda: _active(admin, theirs))
    entries = env.neutron.notify.fdb_entries_for_host("compute1")
    assert mine["id"] in entries and other["id"] not in entries
    assert set(entries[mine["id"]]["ports"]) == {COMPUTE1, NETWORK}


class Taps(SimulatedWiring):
    """Simulated wiring whose taps come and go, like a VM's."""

    polls = True

    def __init__(self):
        self.present: set[str] = set()

    def has_tap(self, tap: str) -> bool:
        return tap in self.present


@pytest.fixture
def compute3(env):
    """A third compute node's agent whose taps the test makes and removes; polled by hand."""
    taps = Taps()
    agent = BridgeAgent("compute3", local_ip="10.0.1.33", wiring=taps,
                        transport=env.neutron.transport, report_interval=0.1, rpc_timeout=5,
                        workers=1, poll_interval=3600).start()
    yield agent, taps
    agent.stop()


def test_a_port_is_active_only_once_its_tap_is_plugged_and_down_when_it_vanishes(
        env, admin, demo, compute3):
    agent, taps = compute3
    net = _network(demo)
    _bind(admin, net, "compute1")
    port = _bind(admin, net, "compute3")
    tap = f"tap{port['id'][:11]}"
    assert wait_for(lambda: port["id"] in agent._bound)  # told, but no tap yet
    agent.poll_once()
    assert not _active(admin, port) and agent.get_dataplane(None)["bridges"] == {}
    taps.present.add(tap)  # the compute driver made the VM
    agent.poll_once()
    assert wait_for(lambda: _active(admin, port))
    assert agent.get_dataplane(None)["bridges"][f"brq{net['id'][:11]}"]["taps"] == [tap]
    assert wait_for(lambda: _pair(port) in _fdb(env, "compute1-bridge", net).get(
        "10.0.1.33", []))
    taps.present.discard(tap)  # the VM is gone, its port stays
    agent.poll_once()
    assert wait_for(lambda: not _active(admin, port))
    assert wait_for(lambda: "10.0.1.33" not in _fdb(env, "compute1-bridge", net))
    assert agent.get_dataplane(None)["bridges"] == {}


def test_a_port_up_before_its_agents_first_report_is_announced_with_that_report(
        env, admin, demo, spy):
    """An agent syncs (and reports its ports up) before its first heartbeat: its VTEP is
    not known yet, so its ports are announced once the heartbeat brings it."""
    net = _network(demo)
    assert wait_for(lambda: _active(admin, _dhcp_port(admin, net)))
    port = _bind(admin, net, "compute9")
    plugin = rpc_callbacks.PluginCallbacks(env.neutron)
    plugin.update_device_up(None, port_id=port["id"], host="compute9")
    assert _active(admin, port)
    known = env.neutron.notify.fdb_entries_for_host("compute9")[net["id"]]["ports"]
    assert set(known) == {NETWORK}  # the DHCP port's; compute9's VTEP is unknown
    plugin.report_state(None, agent_state={
        "agent_type": "Linux bridge agent", "binary": "neutron-linuxbridge-agent",
        "host": "compute9", "topic": "q-agent-notifier", "start_flag": True,
        "configurations": {"tunneling_ip": "10.0.1.39"}})
    assert wait_for(lambda: [p for p in spy.seen("add") if p.get(net["id"], {}).get(
        "ports", {}).get("10.0.1.39") == [FLOOD, _pair(port)]])
