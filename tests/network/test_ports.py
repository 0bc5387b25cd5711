"""Ports and IPAM: MACs, fixed IPs (specific address or subnet), admin-only bindings,
filters, a full pool, and 20 concurrent creates that never share an address."""

import concurrent.futures
import re

from tests.fakes import wait_for


def _net(demo, cidr="10.1.0.0/24", **subnet):
    net = demo.create("networks", "network", name="n")
    sub = demo.create("subnets", "subnet", network_id=net["id"], cidr=cidr, **subnet)
    return net, sub


def test_port_gets_mac_ip_and_default_security_group(demo):
    net, sub = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"], name="p1")
    assert re.fullmatch(r"fa:16:3e(:[0-9a-f]{2}){3}", port["mac_address"])
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.1.0.3"}]  # .2: DHCP
    assert port["status"] == "DOWN" and "binding:host_id" not in port
    groups = demo.get("/v2.0/security-groups", params={"name": "default"}).json
    assert port["security_groups"] == [groups["security_groups"][0]["id"]]


def test_specific_ip_and_subnet_are_honoured(demo):
    net, sub = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"],
                       fixed_ips=[{"ip_address": "10.1.0.77"}])
    assert port["fixed_ips"][0]["ip_address"] == "10.1.0.77"
    again = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"], "fixed_ips": [
        {"subnet_id": sub["id"], "ip_address": "10.1.0.77"}]}})
    assert again.status_code == 409
    assert again.json["NeutronError"]["type"] == "IpAddressAlreadyAllocated"
    outside = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"], "fixed_ips": [
        {"subnet_id": sub["id"], "ip_address": "10.9.0.7"}]}})
    assert outside.status_code == 400


def test_full_pool_is_409_and_delete_frees_the_address(env, demo):
    net, sub = _net(demo, cidr="10.4.0.0/29", enable_dhcp=False)  # .2 - .6: 5 addresses
    ports = [demo.create("ports", "port", network_id=net["id"]) for _ in range(5)]
    full = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"]}})
    assert full.status_code == 409
    assert full.json["NeutronError"]["type"] == "IpAddressGenerationFailure"
    assert len(env.store.ports_on_network(net["id"])) == 5  # nothing half-made
    freed = ports[2]["fixed_ips"][0]["ip_address"]
    assert demo.delete(f"/v2.0/ports/{ports[2]['id']}").status_code == 204
    again = demo.create("ports", "port", network_id=net["id"])
    assert again["fixed_ips"][0]["ip_address"] == freed


def test_twenty_concurrent_creates_never_share_an_address(demo):
    net, _ = _net(demo, cidr="10.6.0.0/27")  # 28 addresses for the DHCP port + 20 ports
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda i: demo.post("/v2.0/ports", json={"port": {
            "network_id": net["id"], "name": f"c{i}"}}), range(20)))
    assert [r.status_code for r in results] == [201] * 20
    addresses = [r.json["port"]["fixed_ips"][0]["ip_address"] for r in results]
    assert len(set(addresses)) == 20
    macs = {r.json["port"]["mac_address"] for r in results}
    assert len(macs) == 20


def test_concurrent_creates_on_a_small_pool_fill_it_exactly(env, demo):
    net, _ = _net(demo, cidr="10.7.0.0/28", enable_dhcp=False)  # 13 addresses
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda i: demo.post("/v2.0/ports", json={"port": {
            "network_id": net["id"]}}), range(20)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 13 + [409] * 7
    rows = [a for p in env.store.ports_on_network(net["id"])
            for a in env.store.allocations(p["id"])]
    assert len(rows) == len({r["ip_address"] for r in rows}) == 13


def test_binding_attributes_are_admin_only(admin, demo):
    net, _ = _net(demo)
    result = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"],
                                                     "binding:host_id": "compute1"}})
    assert result.status_code == 403
    port = demo.create("ports", "port", network_id=net["id"])
    assert demo.put(f"/v2.0/ports/{port['id']}", json={"port": {
        "binding:host_id": "compute1"}}).status_code == 403
    bound = admin.put(f"/v2.0/ports/{port['id']}", json={"port": {
        "binding:host_id": "compute1", "device_id": "vm-1", "device_owner": "compute:nova"}})
    assert bound.json["port"]["binding:host_id"] == "compute1"
    # compute1's bridge agent wires it and reports it up
    assert wait_for(lambda: demo.get(f"/v2.0/ports/{port['id']}").json["port"]["status"]
                    == "ACTIVE")


def test_filter_by_device_id_and_fixed_ip(admin, demo):
    net, _ = _net(demo)
    a = demo.create("ports", "port", network_id=net["id"], device_id="server-a",
                    device_owner="compute:nova")
    demo.create("ports", "port", network_id=net["id"], device_id="server-b")
    found = demo.get("/v2.0/ports", params={"device_id": "server-a"}).json["ports"]
    assert [p["id"] for p in found] == [a["id"]]
    ip = a["fixed_ips"][0]["ip_address"]
    found = demo.get("/v2.0/ports", query_string=f"fixed_ips=ip_address%3D{ip}").json["ports"]
    assert [p["id"] for p in found] == [a["id"]]
    listed = demo.get("/v2.0/ports", query_string="fields=id&fields=name&fields=status"
                      "&device_id=server-a").json["ports"]
    assert listed == [{"id": a["id"], "name": "", "status": "DOWN"}]


def test_port_on_another_projects_network(demo, other, admin):
    net, _ = _net(demo)
    hidden = other.post("/v2.0/ports", json={"port": {"network_id": net["id"]}})
    assert hidden.status_code == 404
    assert hidden.json["NeutronError"]["type"] == "NetworkNotFound"
    public = admin.get("/v2.0/networks", params={"name": "public"}).json["networks"][0]
    assert other.post("/v2.0/ports", json={"port": {"network_id": public["id"]}}
                      ).status_code == 403
    port = demo.create("ports", "port", network_id=net["id"])
    assert other.get(f"/v2.0/ports/{port['id']}").status_code == 404
    assert other.delete(f"/v2.0/ports/{port['id']}").status_code == 404


def test_router_ports_cannot_be_deleted_directly(admin):
    port = admin.get("/v2.0/ports", params={"device_owner": "network:router_interface"}
                     ).json["ports"][0]
    result = admin.delete(f"/v2.0/ports/{port['id']}")
    assert result.status_code == 409 and result.json["NeutronError"]["type"] == "L3PortInUse"


def test_duplicate_mac_is_409(demo):
    net, _ = _net(demo)
    demo.create("ports", "port", network_id=net["id"], mac_address="fa:16:3e:00:00:01")
    result = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"],
                                                     "mac_address": "fa:16:3e:00:00:01"}})
    assert result.status_code == 409 and result.json["NeutronError"]["type"] == "MacAddressInUse"
