"""Updating a subnet: gateway (or none), DNS servers, host routes and DHCP, with
Neutron's checks, and the DHCP agent told of each change; plus who sees which subnets."""

from tests.fakes import wait_for


def _subnet(demo, **fields):
    net = demo.create("networks", "network", name="n")
    fields.setdefault("cidr", "10.50.0.0/24")
    return net, demo.create("subnets", "subnet", network_id=net["id"], **fields)


def _put(caller, sub, **fields):
    return caller.put(f"/v2.0/subnets/{sub['id']}", json={"subnet": fields})


def _dhcp_namespace(env, net):
    plane = env.agents["network-dhcp"].get_dataplane(None)["namespaces"]
    return plane.get(f"qdhcp-{net['id']}")


def test_gateway_dns_routes_change_and_the_dhcp_agent_hears(env, demo):
    net, sub = _subnet(demo, allocation_pools=[{"start": "10.50.0.10",
                                                "end": "10.50.0.200"}])
    result = _put(demo, sub, gateway_ip="10.50.0.254", dns_nameservers=["9.9.9.9"],
                  host_routes=[{"destination": "192.168.9.0/24", "nexthop": "10.50.0.5"}])
    assert result.status_code == 200, result.text
    body = result.json["subnet"]
    assert body["gateway_ip"] == "10.50.0.254" and body["dns_nameservers"] == ["9.9.9.9"]
    assert body["host_routes"] == [{"destination": "192.168.9.0/24", "nexthop": "10.50.0.5"}]
    assert body["revision_number"] == sub["revision_number"] + 1
    told = wait_for(lambda: "option:router,10.50.0.254" in (
        _dhcp_namespace(env, net) or {}).get("options", {}).get("10.50.0.0/24", []))
    assert told, _dhcp_namespace(env, net)
    assert _dhcp_namespace(env, net)["options"]["10.50.0.0/24"][1:] == [
        "option:dns-server,9.9.9.9", "option:classless-static-route,192.168.9.0/24,10.50.0.5"]


def test_gateway_can_be_removed_with_null(demo):
    _, sub = _subnet(demo)
    result = _put(demo, sub, gateway_ip=None)
    assert result.status_code == 200 and result.json["subnet"]["gateway_ip"] is None


def test_gateway_checks(demo):
    _, sub = _subnet(demo)
    for gateway, code, kind in (("10.50.0.7", 409, "GatewayConflictWithAllocationPools"),
                                ("10.99.0.1", 400, "GatewayNotValidOnSubnet"),
                                ("10.50.0.255", 400, "GatewayNotValidOnSubnet"),
                                ("nope", 400, "InvalidInput")):
        result = _put(demo, sub, gateway_ip=gateway)
        assert result.status_code == code, (gateway, result.text)
        assert result.json["NeutronError"]["type"] == kind
    assert demo.get(f"/v2.0/subnets/{sub['id']}").json["subnet"]["gateway_ip"] == "10.50.0.1"


def test_gateway_held_by_a_router_cannot_move(demo):
    _, sub = _subnet(demo, allocation_pools=[{"start": "10.50.0.10", "end": "10.50.0.20"}])
    router = demo.create("routers", "router", name="r")
    demo.put(f"/v2.0/routers/{router['id']}/add_router_interface",
             json={"subnet_id": sub["id"]})
    result = _put(demo, sub, gateway_ip="10.50.0.254")
    assert result.status_code == 409
    assert result.json["NeutronError"]["type"] == "GatewayIpInUse"
    assert _put(demo, sub, dns_nameservers=["1.1.1.1"]).status_code == 200


def test_pools_move_with_the_gateway_outside_them(demo):
    _, sub = _subnet(demo)
    result = _put(demo, sub, allocation_pools=[{"start": "10.50.0.100", "end": "10.50.0.150"}],
                  gateway_ip="10.50.0.1")
    assert result.status_code == 200
    assert result.json["subnet"]["allocation_pools"] == [{"start": "10.50.0.100",
                                                          "end": "10.50.0.150"}]
    result = _put(demo, sub, allocation_pools=[{"start": "10.50.0.1", "end": "10.50.0.9"}])
    assert result.status_code == 409


def test_dhcp_off_frees_the_dhcp_address_and_on_takes_one(env, demo):
    net, sub = _subnet(demo)
    def dhcp() -> int:
        return len([p for p in env.store.ports_on_network(net["id"])
                    if p["device_owner"] == "network:dhcp"])
    assert dhcp() == 1
    result = _put(demo, sub, enable_dhcp=False)
    assert result.status_code == 200 and result.json["subnet"]["enable_dhcp"] is False
    assert dhcp() == 0
    assert _put(demo, sub, enable_dhcp=True).status_code == 200
    assert dhcp() == 1


def test_cidr_and_other_fixed_attributes_are_read_only(demo):
    _, sub = _subnet(demo)
    for fields in ({"cidr": "10.51.0.0/24"}, {"ip_version": 6}, {"network_id": "x"}):
        result = _put(demo, sub, **fields)
        assert result.status_code == 400
        assert "Cannot update read-only attribute" in result.json["NeutronError"]["message"]


def test_external_subnets_are_visible_to_every_project_private_ones_are_not(demo, other):
    """Neutron's get_subnet rule: project reader, or `shared`, or `external_network`
    (subnet-external-network extension), or the network's owner."""
    net, sub = _subnet(demo)
    seen = {s["name"]: s for s in other.get("/v2.0/subnets").json["subnets"]}
    assert "public-subnet" in seen and seen["public-subnet"]["router:external"] is True
    assert sub["router:external"] is False and sub["id"] not in {s["id"] for s in seen.values()}
    assert other.get(f"/v2.0/subnets/{sub['id']}").status_code == 404
    public = seen["public-subnet"]
    assert other.get(f"/v2.0/subnets/{public['id']}").status_code == 200
    assert other.put(f"/v2.0/subnets/{public['id']}",
                     json={"subnet": {"name": "mine"}}).status_code == 403
