"""Routers (gateway with SNAT, interfaces by subnet and by port, RouterInUse) and floating
IPs (allocation, association rules, disassociation), and what the L3 agent configured."""

from tests.fakes import wait_for


def _public(admin) -> dict:
    return admin.get("/v2.0/networks", params={"name": "public"}).json["networks"][0]


def _net(demo, cidr="10.1.0.0/24"):
    net = demo.create("networks", "network", name="n")
    return net, demo.create("subnets", "subnet", network_id=net["id"], cidr=cidr)


def _l3(env) -> dict:
    return env.agents["network-l3"].get_dataplane(None)["namespaces"]


def test_gateway_takes_an_external_address(admin, demo):
    public = _public(admin)
    router = demo.create("routers", "router", name="r1")
    assert router["external_gateway_info"] is None and router["status"] == "ACTIVE"
    result = demo.put(f"/v2.0/routers/{router['id']}", json={"router": {
        "external_gateway_info": {"network_id": public["id"]}}})
    gateway = result.json["router"]["external_gateway_info"]
    assert gateway["network_id"] == public["id"] and gateway["enable_snat"] is True
    assert gateway["external_fixed_ips"][0]["ip_address"].startswith("203.0.113.")
    cleared = demo.put(f"/v2.0/routers/{router['id']}", json={"router": {
        "external_gateway_info": {}}})
    assert cleared.json["router"]["external_gateway_info"] is None


def test_gateway_on_an_internal_network_is_refused(demo):
    net, _ = _net(demo)
    result = demo.post("/v2.0/routers", json={"router": {
        "name": "r", "external_gateway_info": {"network_id": net["id"]}}})
    assert result.status_code == 400


def test_interface_by_subnet_holds_the_gateway_ip(env, demo, admin):
    net, sub = _net(demo)
    router = demo.create("routers", "router", name="r1",
                         external_gateway_info={"network_id": _public(admin)["id"]})
    result = demo.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                      json={"subnet_id": sub["id"]})
    assert result.status_code == 200
    info = result.json
    assert info["subnet_id"] == sub["id"] and info["network_id"] == net["id"]
    port = demo.get(f"/v2.0/ports/{info['port_id']}").json["port"]
    assert port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"][0]["ip_address"] == "10.1.0.1"
    assert wait_for(lambda: demo.get(f"/v2.0/ports/{port['id']}").json["port"]["status"]
                    == "ACTIVE")
    ns = wait_for(lambda: _l3(env).get(f"qrouter-{router['id']}", {}).get("nat"))
    assert any("-s 10.1.0.0/24" in rule and "SNAT" in rule for rule in ns)
    again = demo.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                     json={"subnet_id": sub["id"]})
    assert again.status_code == 400


def test_router_with_interfaces_cannot_be_deleted(env, demo):
    _, sub = _net(demo)
    router = demo.create("routers", "router", name="r")
    demo.put(f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    result = demo.delete(f"/v2.0/routers/{router['id']}")
    assert result.status_code == 409 and result.json["NeutronError"]["type"] == "RouterInUse"
    removed = demo.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                       json={"subnet_id": sub["id"]})
    assert removed.status_code == 200
    assert demo.delete(f"/v2.0/routers/{router['id']}").status_code == 204
    assert wait_for(lambda: f"qrouter-{router['id']}" not in _l3(env))


def test_interface_by_port(demo):
    net, _ = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"], fixed_ips=[
        {"ip_address": "10.1.0.50"}])
    router = demo.create("routers", "router", name="r")
    result = demo.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                      json={"port_id": port["id"]})
    assert result.json["port_id"] == port["id"]
    assert demo.get(f"/v2.0/ports/{port['id']}").json["port"]["device_id"] == router["id"]
    wrong = demo.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                     json={"subnet_id": "nope"})
    assert wrong.status_code == 404


def test_floating_ip_association_needs_a_router_path(env, admin, demo):
    public = _public(admin)
    net, sub = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"])
    fip = demo.create("floatingips", "floatingip", floating_network_id=public["id"])
    assert fip["status"] == "DOWN" and fip["floating_ip_address"].startswith("203.0.113.")
    result = demo.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {
        "port_id": port["id"]}})
    assert result.status_code == 404
    assert result.json["NeutronError"]["type"] == "ExternalGatewayForFloatingIPNotFound"
    router = demo.create("routers", "router", name="r",
                         external_gateway_info={"network_id": public["id"]})
    demo.put(f"/v2.0/routers/{router['id']}/add_router_interface", json={"subnet_id": sub["id"]})
    result = demo.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {
        "port_id": port["id"]}})
    body = result.json["floatingip"]
    assert (body["fixed_ip_address"], body["router_id"], body["status"]) == (
        port["fixed_ips"][0]["ip_address"], router["id"], "ACTIVE")
    nat = wait_for(lambda: [r for r in _l3(env).get(f"qrouter-{router['id']}", {}).get("nat", [])
                            if "DNAT" in r])  # the agent hears of the router a moment later
    assert nat == [f"-A PREROUTING -d {fip['floating_ip_address']}/32 -j DNAT "
                   f"--to-destination {body['fixed_ip_address']}"]
    assert demo.put(f"/v2.0/routers/{router['id']}", json={"router": {
        "external_gateway_info": {}}}).status_code == 409
    result = demo.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {"port_id": None}})
    body = result.json["floatingip"]
    assert (body["port_id"], body["fixed_ip_address"], body["status"]) == (None, None, "DOWN")
    assert demo.delete(f"/v2.0/floatingips/{fip['id']}").status_code == 204
    assert demo.get(f"/v2.0/floatingips/{fip['id']}").status_code == 404


def test_floating_ip_from_an_internal_network_is_refused(demo):
    net, _ = _net(demo)
    result = demo.post("/v2.0/floatingips", json={"floatingip": {
        "floating_network_id": net["id"]}})
    assert result.status_code == 400


def test_specific_floating_address_is_admin_only(admin, demo):
    public = _public(admin)
    result = demo.post("/v2.0/floatingips", json={"floatingip": {
        "floating_network_id": public["id"], "floating_ip_address": "203.0.113.99"}})
    assert result.status_code == 403
    fip = admin.create("floatingips", "floatingip", floating_network_id=public["id"],
                       floating_ip_address="203.0.113.99")
    assert fip["floating_ip_address"] == "203.0.113.99"


def test_other_projects_routers_and_fips_are_invisible(admin, demo, other):
    router = demo.create("routers", "router", name="r")
    assert other.get(f"/v2.0/routers/{router['id']}").status_code == 404
    assert other.get("/v2.0/routers").json["routers"] == []
    fip = demo.create("floatingips", "floatingip", floating_network_id=_public(admin)["id"])
    assert other.put(f"/v2.0/floatingips/{fip['id']}", json={"floatingip": {
        "port_id": None}}).status_code == 404
