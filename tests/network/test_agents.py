"""Agents: heartbeats over RPC (alive, then dead once stopped), admin-only listing, and the
data plane each agent reports over RPC."""

import time

from tests.fakes import wait_for


def _agents(admin) -> dict:
    return {(a["host"], a["agent_type"]): a for a in admin.get("/v2.0/agents").json["agents"]}


def test_network_node_and_compute_nodes_report(admin):
    agents = _agents(admin)
    assert set(agents) == {("network", "L3 agent"), ("network", "DHCP agent"),
                           ("network", "Linux bridge agent"),
                           ("compute1", "Linux bridge agent"),
                           ("compute2", "Linux bridge agent")}
    assert all(a["alive"] for a in agents.values())
    assert agents[("network", "L3 agent")]["binary"] == "neutron-l3-agent"


def test_members_cannot_list_agents(demo):
    assert demo.get("/v2.0/agents").status_code == 403


def test_a_stopped_agent_turns_dead_after_agent_down_time(env, admin):
    env.agents["compute2-bridge"].stop()  # its heartbeats stop (report every 0.1 s, down 0.6 s)
    dead = wait_for(lambda: not _agents(admin)[("compute2", "Linux bridge agent")]["alive"],
                    timeout=3)
    assert dead
    agents = _agents(admin)
    assert agents[("compute1", "Linux bridge agent")]["alive"]
    env.agents["compute2-bridge"].start()
    assert wait_for(lambda: _agents(admin)[("compute2", "Linux bridge agent")]["alive"])


def test_dataplane_shows_what_the_agents_configured(env, admin):
    planes = {(a["host"], a["agent_type"]): a
              for a in admin.get("/v2.0/minicloud/dataplane").json["agents"]}
    private = admin.get("/v2.0/networks", params={"name": "private"}).json["networks"][0]
    bridge = planes[("network", "Linux bridge agent")]["dataplane"]["bridges"]
    brq = bridge[f"brq{private['id'][:11]}"]
    assert brq["uplink"]["name"] == f"vxlan-{private['provider:segmentation_id']}"
    dhcp = planes[("network", "DHCP agent")]["dataplane"]["namespaces"]
    hosts = [entry for entries in dhcp[f"qdhcp-{private['id']}"]["hosts"].values()
             for entry in entries]
    assert any(h.endswith(",host-172-16-1-2.openstacklocal,172.16.1.2") for h in hosts)
    l3 = planes[("network", "L3 agent")]["dataplane"]["namespaces"]
    (router,) = l3.values()
    assert [d["name"][:3] for d in router["devices"]] == ["qg-", "qr-"]
    assert admin.get("/v2.0/minicloud/dataplane").status_code == 200


def test_dataplane_route_is_admin_only(demo):
    assert demo.get("/v2.0/minicloud/dataplane").status_code == 403


def test_a_port_bound_to_a_compute_node_builds_its_bridge(env, admin, demo):
    net = demo.create("networks", "network", name="n")
    demo.create("subnets", "subnet", network_id=net["id"], cidr="10.8.0.0/24")
    port = admin.create("ports", "port", network_id=net["id"], device_id="vm",
                        device_owner="compute:nova", **{"binding:host_id": "compute1"})
    vni = admin.get(f"/v2.0/networks/{net['id']}").json["network"]["provider:segmentation_id"]
    plane = wait_for(lambda: env.agents["compute1-bridge"].get_dataplane(None)["bridges"].get(
        f"brq{net['id'][:11]}"))
    assert plane["uplink"]["vni"] == vni and plane["taps"] == [f"tap{port['id'][:11]}"]
    assert env.agents["compute2-bridge"].get_dataplane(None)["bridges"] == {}
    admin.delete(f"/v2.0/ports/{port['id']}")
    assert wait_for(lambda: not env.agents["compute1-bridge"].get_dataplane(None)["bridges"])


def test_a_restarted_agent_gets_everything_back_by_a_full_sync(env, admin):
    """A node that comes back has lost what its agents configured (a real reboot loses
    bridges, namespaces and dnsmasq): each agent asks neutron-server for it all again."""
    names = ("network-l3", "network-dhcp", "network-bridge")

    def planes() -> dict:
        return {name: env.agents[name].get_dataplane(None) for name in names}

    def settled() -> dict | None:  # every update the bootstrap sent has arrived
        first = planes()
        (ns,) = first["network-l3"]["namespaces"].values()
        wired = ns["nat"] and any(d["name"].startswith("qr-") for d in ns["devices"])
        time.sleep(0.2)
        return first if wired and planes() == first else None

    before = wait_for(settled)
    assert before
    assert before["network-l3"]["namespaces"] and before["network-dhcp"]["namespaces"]
    assert before["network-bridge"]["bridges"]
    for name in names:
        agent = env.agents[name]
        agent.stop()
        with agent.lock:  # what a reboot leaves
            for table in agent.state.values():
                table.clear()
        assert not any(agent.get_dataplane(None).values())
        agent.start()
        assert _unordered(agent.get_dataplane(None)) == _unordered(before[name]), name


def _unordered(plane: dict) -> dict:
    """The plane with each bridge's taps as a set (a bridge's ports have no order)."""
    bridges = {name: {**b, "taps": set(b["taps"])} for name, b in plane.get("bridges", {}).items()}
    return {**plane, **({"bridges": bridges} if "bridges" in plane else {})}
