"""Bulk create (`{"networks": [...]}`, subnets, ports, routers, security groups and
rules): 201 with the list, in order; a failing item k leaves nothing of items 1..k-1
and no agent hears of them."""

import pytest


class Recorder:
    """Stands in for the notifier: records each message, then passes it on."""

    def __init__(self, notifier):
        self.notifier, self.sent = notifier, []

    def __getattr__(self, name):
        method = getattr(self.notifier, name)

        def record(*args, **kwargs):
            self.sent.append(name)
            return method(*args, **kwargs)
        return record


@pytest.fixture
def recorder(env, monkeypatch):
    spy = Recorder(env.neutron.notify)
    monkeypatch.setattr(env.neutron, "notify", spy)
    return spy


def _net(demo, name="n", cidr="10.40.0.0/24"):
    net = demo.create("networks", "network", name=name)
    return net, demo.create("subnets", "subnet", network_id=net["id"], cidr=cidr)


def test_bulk_networks_are_201_with_the_list_in_order(demo):
    result = demo.post("/v2.0/networks", json={"networks": [{"name": "b1"}, {"name": "b2"}]})
    assert result.status_code == 201, result.text
    assert list(result.json) == ["networks"]
    assert [n["name"] for n in result.json["networks"]] == ["b1", "b2"]
    names = {n["name"] for n in demo.get("/v2.0/networks").json["networks"]}
    assert {"b1", "b2"} <= names


def test_a_failing_network_leaves_none_of_the_bulk(env, demo):
    before = len(env.store.networks())
    result = demo.post("/v2.0/networks", json={"networks": [
        {"name": "ok1"}, {"name": "ok2"}, {"name": "bad", "mtu": 9000}]})
    assert result.status_code == 400 and "MTU" in result.json["NeutronError"]["message"]
    assert len(env.store.networks()) == before


def test_bulk_subnets_and_rollback_tells_no_agent(env, demo, recorder):
    net = demo.create("networks", "network", name="n")
    good = {"network_id": net["id"], "ip_version": 4, "cidr": "10.41.0.0/24"}
    overlapping = {**good, "cidr": "10.41.0.0/25"}
    recorder.sent.clear()
    result = demo.post("/v2.0/subnets", json={"subnets": [good, overlapping]})
    assert result.status_code == 400 and "overlaps" in result.json["NeutronError"]["message"]
    assert len(env.store.subnets_of(net["id"])) == 0
    assert len(env.store.ports_on_network(net["id"])) == 0  # no DHCP port
    # (host_up follows a bridge agent's first heartbeat, whenever that comes)
    assert [m for m in recorder.sent if m != "host_up"] == []
    second = {**good, "cidr": "10.42.0.0/24"}
    result = demo.post("/v2.0/subnets", json={"subnets": [good, second]})
    assert result.status_code == 201
    assert [s["cidr"] for s in result.json["subnets"]] == ["10.41.0.0/24", "10.42.0.0/24"]
    assert "dhcp_changed" in recorder.sent  # told once committed


def test_bulk_ports_all_or_none_on_a_taken_address(env, demo):
    net, sub = _net(demo)
    items = [{"network_id": net["id"], "name": "p1"},
             {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.40.0.50"}]},
             {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.40.0.50"}]}]
    result = demo.post("/v2.0/ports", json={"ports": items})
    assert result.status_code == 409
    assert result.json["NeutronError"]["type"] == "IpAddressAlreadyAllocated"
    assert len([p for p in env.store.ports_on_network(net["id"])
                if p["device_owner"] == ""]) == 0
    result = demo.post("/v2.0/ports", json={"ports": items[:2]})
    assert result.status_code == 201
    ips = [p["fixed_ips"][0]["ip_address"] for p in result.json["ports"]]
    assert ips[1] == "10.40.0.50" and ips[0] != ips[1]


def test_bulk_quota_counts_every_item(env, admin, demo):
    admin.put("/v2.0/quotas/p-demo", json={"quota": {"router": 2}})
    result = demo.post("/v2.0/routers", json={"routers": [{"name": f"r{i}"} for i in range(3)]})
    assert result.status_code == 409 and result.json["NeutronError"]["type"] == "OverQuota"
    assert not [r for r in env.store.routers() if r["project_id"] == "p-demo"
                and r["name"] in ("r0", "r1", "r2")]


def test_bulk_security_group_rules(demo):
    group = demo.create("security-groups", "security_group", name="web")
    rules = [{"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
              "port_range_min": port, "port_range_max": port} for port in (80, 443)]
    result = demo.post("/v2.0/security-group-rules", json={"security_group_rules": rules})
    assert result.status_code == 201
    assert [r["port_range_min"] for r in result.json["security_group_rules"]] == [80, 443]
    bad = [{**rules[0], "port_range_min": 8080, "port_range_max": 8080},
           {**rules[0], "port_range_min": 10, "port_range_max": 5}]
    result = demo.post("/v2.0/security-group-rules", json={"security_group_rules": bad})
    assert result.status_code == 400
    mine = demo.get("/v2.0/security-group-rules",
                    params={"security_group_id": group["id"]}).json["security_group_rules"]
    assert 8080 not in {r["port_range_min"] for r in mine}


@pytest.mark.parametrize("body", [{"networks": []}, {"networks": {"name": "x"}},
                                  {"networks": [{"name": "x", "colour": "red"}]},
                                  {"nets": [{"name": "x"}]}])
def test_bad_bulk_bodies_are_400(demo, body):
    result = demo.post("/v2.0/networks", json=body)
    assert result.status_code == 400 and "NeutronError" in result.json
