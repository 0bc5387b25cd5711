"""Security groups: the lazily created `default` group, scoped name lookups, rule
validation and duplicates, and what cannot be deleted."""

import pytest


def _default(caller) -> dict:
    groups = caller.get("/v2.0/security-groups", params={"name": "default"}).json
    assert len(groups["security_groups"]) == 1
    return groups["security_groups"][0]


def test_default_group_has_neutrons_four_rules(demo):
    group = _default(demo)
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"])
             for r in group["security_group_rules"]}
    assert rules == {("egress", "IPv4", None), ("egress", "IPv6", None),
                     ("ingress", "IPv4", group["id"]), ("ingress", "IPv6", group["id"])}


def test_name_lookup_finds_exactly_one_default_even_for_admin(admin, demo, other):
    mine, _ = _default(demo), _default(other)
    admins = _default(admin)
    assert admins["id"] != mine["id"] and admins["project_id"] == "p-admin"
    everyone = admin.get("/v2.0/security-groups", params={"name": "default",
                                                          "all_projects": "true"})
    assert len(everyone.json["security_groups"]) == 3
    assert other.get(f"/v2.0/security-groups/{mine['id']}").status_code == 404


def _rule(caller, group_id, **fields):
    return caller.post("/v2.0/security-group-rules", json={"security_group_rule": {
        "security_group_id": group_id, "direction": "ingress", **fields}})


def test_rule_create_and_duplicate(demo):
    group = _default(demo)
    fields = {"ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22,
              "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}
    first = _rule(demo, group["id"], **fields)
    assert first.status_code == 201
    assert first.json["security_group_rule"]["belongs_to_default_sg"] is True
    again = _rule(demo, group["id"], **fields)
    assert again.status_code == 409
    assert again.json["NeutronError"]["type"] == "SecurityGroupRuleExists"
    assert _rule(demo, group["id"], protocol="icmp").status_code == 201
    assert _rule(demo, group["id"], protocol="6", port_range_min=80,
                 port_range_max=81).status_code == 201


@pytest.mark.parametrize("fields", [
    {"protocol": "bogus"}, {"protocol": "300"},
    {"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
    {"protocol": "tcp", "port_range_min": 0, "port_range_max": 70000},
    {"protocol": "gre", "port_range_min": 1, "port_range_max": 2},
    {"port_range_min": 22, "port_range_max": 22},
    {"ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/64"},
    {"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
    {"remote_ip_prefix": "nope"},
    {"direction": "sideways"},
])
def test_invalid_rules_are_400(env, demo, fields):
    group = _default(demo)
    before = len(env.store.rules_of(group["id"]))
    result = _rule(demo, group["id"], **fields)
    assert result.status_code == 400, result.text
    assert len(env.store.rules_of(group["id"])) == before


def test_rule_in_other_projects_group_is_404(demo, other):
    result = _rule(other, _default(demo)["id"], protocol="tcp")
    assert result.status_code == 404
    assert result.json["NeutronError"]["type"] == "SecurityGroupNotFound"


def test_default_group_cannot_be_deleted_others_can(demo):
    group = _default(demo)
    result = demo.delete(f"/v2.0/security-groups/{group['id']}")
    assert result.status_code == 409
    web = demo.create("security-groups", "security_group", name="web")
    assert {r["direction"] for r in web["security_group_rules"]} == {"egress"}
    assert demo.delete(f"/v2.0/security-groups/{web['id']}").status_code == 204


def test_group_in_use_by_a_port_cannot_be_deleted(demo):
    web = demo.create("security-groups", "security_group", name="web")
    net = demo.create("networks", "network", name="n")
    demo.create("ports", "port", network_id=net["id"], security_groups=[web["id"]])
    result = demo.delete(f"/v2.0/security-groups/{web['id']}")
    assert result.status_code == 409 and result.json["NeutronError"]["type"] == \
        "SecurityGroupInUse"


@pytest.mark.parametrize("fields, kind", [
    ({"protocol": "tcp", "port_range_min": 10, "port_range_max": 5},
     "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 0},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "udp", "port_range_min": 65536, "port_range_max": 65536},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "udp", "port_range_min": -1, "port_range_max": 5},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": 22}, "SecurityGroupInvalidPortRange"),
    ({"protocol": "icmp", "port_range_min": 256}, "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 300},
     "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_max": 0}, "SecurityGroupMissingIcmpType"),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2},
     "SecurityGroupInvalidProtocolForPort"),
    ({"protocol": "tcp", "remote_address_group_id": None}, "HTTPBadRequest"),
])
def test_invalid_ports_are_neutrons_400s(demo, fields, kind):
    result = _rule(demo, _default(demo)["id"], **fields)
    assert result.status_code == 400, result.text
    assert result.json["NeutronError"]["type"] == kind


def test_icmp_type_and_code_and_the_whole_port_range(demo):
    group = demo.create("security-groups", "security_group", name="web")
    echo = _rule(demo, group["id"], protocol="icmp", port_range_min=8, port_range_max=0)
    assert echo.status_code == 201
    assert (echo.json["security_group_rule"]["port_range_min"],
            echo.json["security_group_rule"]["port_range_max"]) == (8, 0)
    every = _rule(demo, group["id"], protocol="tcp", port_range_min=1, port_range_max=65535)
    assert every.status_code == 201  # stored as no range, as Neutron does
    rule = every.json["security_group_rule"]
    assert (rule["port_range_min"], rule["port_range_max"]) == (None, None)


@pytest.mark.parametrize("name", ["default", "Default", "DEFAULT"])
def test_no_second_default_group_by_create_or_rename(env, demo, name):
    result = demo.post("/v2.0/security-groups", json={"security_group": {"name": name}})
    assert result.status_code == 409
    assert result.json["NeutronError"]["type"] == "SecurityGroupDefaultAlreadyExists"
    web = demo.create("security-groups", "security_group", name="web")
    result = demo.put(f"/v2.0/security-groups/{web['id']}",
                      json={"security_group": {"name": name}})
    assert result.status_code == 409
    assert result.json["NeutronError"]["type"] == "SecurityGroupDefaultAlreadyExists"
    assert len([g for g in env.store.security_groups() if g["project_id"] == "p-demo"
                and g["name"].lower() == "default"]) == 1


def test_the_default_group_keeps_its_name_but_not_its_description(demo):
    group = _default(demo)
    result = demo.put(f"/v2.0/security-groups/{group['id']}",
                      json={"security_group": {"name": "default"}})
    assert result.status_code == 409
    assert result.json["NeutronError"]["type"] in ("SecurityGroupCannotUpdateDefault",
                                                   "SecurityGroupDefaultAlreadyExists")
    result = demo.put(f"/v2.0/security-groups/{group['id']}",
                      json={"security_group": {"description": "mine"}})
    assert result.status_code == 200 and result.json["security_group"]["name"] == "default"


def test_remote_ip_prefix_is_kept_and_normalized_cidr_clears_host_bits(demo):
    group = demo.create("security-groups", "security_group", name="web")
    result = _rule(demo, group["id"], protocol="tcp", port_range_min=22, port_range_max=22,
                   remote_ip_prefix="10.1.2.3/8")
    rule = result.json["security_group_rule"]
    assert (rule["remote_ip_prefix"], rule["normalized_cidr"]) == ("10.1.2.3/8", "10.0.0.0/8")
    again = _rule(demo, group["id"], protocol="tcp", port_range_min=22, port_range_max=22,
                  remote_ip_prefix="10.9.9.9/8")
    assert again.status_code == 201  # Neutron compares prefixes as given
    host = _rule(demo, group["id"], protocol="udp", remote_ip_prefix="192.0.2.7")
    assert host.json["security_group_rule"]["remote_ip_prefix"] == "192.0.2.7/32"
    bad = _rule(demo, group["id"], remote_ip_prefix="nope")
    assert bad.status_code == 400 and bad.json["NeutronError"]["type"] == "InvalidCIDR"
