"""Security groups reach the bridge agents (simulated data plane): port_update carries the
port's groups' rules and remote members (`sg_info`), a rule created or deleted is fanned
out as `security_groups_rule_updated`, a port joining or leaving a group as
`security_groups_member_updated`, and each agent's `firewall` state (what nftables would
enforce, linux_firewall.plan) follows without a restart."""

from __future__ import annotations

import threading

import pytest

from minicloud.common import rpc

from tests.fakes import wait_for


class Spy:
    """A bridge agent's ears: the security group messages, in order."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    def security_groups_rule_updated(self, ctx, security_groups, sg_info):
        with self.lock:
            self.messages.append(("rules", security_groups, sg_info))

    def security_groups_member_updated(self, ctx, security_groups, sg_info):
        with self.lock:
            self.messages.append(("members", security_groups, sg_info))

    def port_update(self, ctx, **kwargs):
        pass

    port_delete = network_delete = add_fdb_entries = remove_fdb_entries = port_update

    def seen(self, kind: str) -> list[tuple]:
        with self.lock:
            return [(groups, info) for k, groups, info in self.messages if k == kind]


@pytest.fixture
def spy(env):
    ears = Spy()
    server = rpc.RPCServer(env.neutron.transport, "q-agent-notifier", "spy", [ears]).start()
    yield ears
    server.stop()


def _default(demo) -> dict:
    return demo.get("/v2.0/security-groups", params={"name": "default"}).json[
        "security_groups"][0]


def _bind(admin, demo, host: str, **fields) -> dict:
    net = demo.get("/v2.0/networks", params={"name": "sg"}).json["networks"]
    if not net:
        net = [demo.create("networks", "network", name="sg")]
        demo.create("subnets", "subnet", network_id=net[0]["id"], cidr="10.9.0.0/24")
    port = demo.create("ports", "port", network_id=net[0]["id"], device_owner="compute:nova",
                       **fields)
    admin.put(f"/v2.0/ports/{port['id']}", json={"port": {"binding:host_id": host}})
    return port


def _firewall(env, agent: str) -> dict:
    return env.agents[agent].get_dataplane(None)["firewall"]


def _ip(port: dict) -> str:
    return port["fixed_ips"][0]["ip_address"]


def test_a_bound_port_gets_its_groups_rules_and_members(env, admin, demo):
    group = _default(demo)
    port = _bind(admin, demo, "compute1")
    plane = wait_for(lambda: _firewall(env, "compute1-bridge")["ports"].get(port["id"]))
    assert plane["tap"] == f"tap{port['id'][:11]}" and plane["ips"] == [_ip(port)]
    assert plane["macs"] == [port["mac_address"]]
    assert f"meta nfproto ipv4 ip saddr @sg-{group['id']} accept" in plane["ingress"]
    assert plane["egress"] == ["meta nfproto ipv4 accept"]  # default: all egress
    assert _firewall(env, "compute1-bridge")["sets"] == {f"sg-{group['id']}": [_ip(port)]}
    assert _firewall(env, "compute2-bridge")["ports"] == {}


def test_rules_created_and_deleted_reach_the_agents(env, admin, demo, spy):
    group = _default(demo)
    port = _bind(admin, demo, "compute1")
    assert wait_for(lambda: port["id"] in _firewall(env, "compute1-bridge")["ports"])
    rule = demo.create("security-group-rules", "security_group_rule",
                       security_group_id=group["id"], direction="ingress", protocol="tcp",
                       port_range_min=22, port_range_max=22, remote_ip_prefix="10.1.0.0/16")
    ssh = "meta nfproto ipv4 ip saddr 10.1.0.0/16 meta l4proto tcp th dport 22 accept"
    assert wait_for(lambda: ssh in _firewall(env, "compute1-bridge")["ports"][port["id"]][
        "ingress"])
    groups, info = wait_for(lambda: spy.seen("rules"))[-1]  # the spy hears it on its own
    assert groups == [group["id"]] and rule["id"] in {
        r["id"] for r in info["security_groups"][group["id"]]}
    assert info["sg_member_ips"][group["id"]]["IPv4"] == [_ip(port)]  # its remote group

    assert demo.delete(f"/v2.0/security-group-rules/{rule['id']}").status_code == 204
    assert wait_for(lambda: ssh not in _firewall(env, "compute1-bridge")["ports"][
        port["id"]]["ingress"])


def test_members_joining_and_leaving_update_the_sets(env, admin, demo, spy):
    group = _default(demo)
    name = f"sg-{group['id']}"
    first = _bind(admin, demo, "compute1")
    assert wait_for(lambda: _firewall(env, "compute1-bridge")["sets"].get(name) == [_ip(first)])
    web = demo.create("security-groups", "security_group", name="web")
    second = _bind(admin, demo, "compute2", security_groups=[web["id"]])
    assert _firewall(env, "compute1-bridge")["sets"][name] == [_ip(first)]  # not a member

    admin.put(f"/v2.0/ports/{second['id']}", json={"port": {
        "security_groups": [web["id"], group["id"]]}})
    both = sorted([_ip(first), _ip(second)])
    assert wait_for(lambda: _firewall(env, "compute1-bridge")["sets"][name] == both)
    groups, info = wait_for(lambda: [m for m in spy.seen("members") if len(m[0]) == 2])[-1]
    assert groups == sorted([web["id"], group["id"]])
    assert info == {"sg_member_ips": {g: {"IPv4": ips, "IPv6": []} for g, ips in (
        (web["id"], [_ip(second)]), (group["id"], both))}}

    assert demo.delete(f"/v2.0/ports/{second['id']}").status_code == 204
    assert wait_for(lambda: _firewall(env, "compute1-bridge")["sets"][name] == [_ip(first)])


def test_port_security_disabled_means_no_filtering(env, admin, demo):
    port = _bind(admin, demo, "compute1")
    assert wait_for(lambda: port["id"] in _firewall(env, "compute1-bridge")["ports"])
    admin.put(f"/v2.0/ports/{port['id']}", json={"port": {
        "security_groups": [], "port_security_enabled": False}})
    assert wait_for(lambda: port["id"] not in _firewall(env, "compute1-bridge")["ports"])
    # DHCP and router ports are never filtered
    assert _firewall(env, "network-bridge")["ports"] == {}


def test_a_restarted_agent_gets_the_firewall_back_from_its_full_sync(env, admin, demo):
    port = _bind(admin, demo, "compute1")
    assert wait_for(lambda: port["id"] in _firewall(env, "compute1-bridge")["ports"])
    agent = env.agents["compute1-bridge"]
    agent.stop()  # it misses the rule's message
    demo.create("security-group-rules", "security_group_rule",
                security_group_id=_default(demo)["id"], direction="ingress", protocol="icmp")
    assert "meta nfproto ipv4 meta l4proto icmp accept" not in _firewall(
        env, "compute1-bridge")["ports"][port["id"]]["ingress"]
    agent.start()
    assert "meta nfproto ipv4 meta l4proto icmp accept" in _firewall(
        env, "compute1-bridge")["ports"][port["id"]]["ingress"]
