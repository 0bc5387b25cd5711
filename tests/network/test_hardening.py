"""Bad input real Neutron refuses, refused here too with its 400 (never a 500, never
accepted): MTUs, segmentation ids, attributes of extensions minicloud does not list,
subnet CIDRs and nameservers, MAC addresses, allowed address pairs, floating IP
addresses. Each case also checks nothing was created."""

import pytest


def _error(result) -> dict:
    assert "NeutronError" in result.json, result.text
    return result.json["NeutronError"]


def _ports_without_owner(env, net) -> int:
    return len([p for p in env.store.ports_on_network(net["id"]) if p["device_owner"] == ""])


def _net(demo, cidr="10.60.0.0/24"):
    net = demo.create("networks", "network", name="n")
    return net, demo.create("subnets", "subnet", network_id=net["id"], cidr=cidr)


@pytest.mark.parametrize("fields, words", [
    ({"mtu": -1}, "should be non-negative"),
    ({"mtu": 9000}, "Requested MTU is too big, maximum is 1450"),
    ({"provider:network_type": "vxlan", "provider:segmentation_id": -1}, "out of range"),
    ({"provider:network_type": "vxlan", "provider:segmentation_id": 2 ** 32}, "out of range"),
    ({"provider:network_type": "flat", "provider:physical_network": "public",
      "provider:segmentation_id": 5}, "prohibited for flat"),
    ({"segments": [{"garbage": True}]}, "Unrecognized attribute(s) 'segments'"),
    ({"availability_zone_hints": ["nowhere"]}, "Unrecognized attribute(s)"),
    ({"dns_domain": "not a domain!"}, "Unrecognized attribute(s) 'dns_domain'"),
    ({"qos_policy_id": "00000000-0000-0000-0000-000000000000"},
     "Unrecognized attribute(s) 'qos_policy_id'"),
    ({"name": None}, "Invalid input for field 'name'"),
    ({"admin_state_up": None}, "Invalid input for field 'admin_state_up'"),
])
def test_bad_networks_are_400(env, admin, fields, words):
    before = len(env.store.networks())
    result = admin.post("/v2.0/networks", json={"network": {"name": "bad", **fields}})
    assert result.status_code == 400, (fields, result.text)
    assert words in _error(result)["message"]
    assert len(env.store.networks()) == before


def test_mtu_zero_means_the_largest_and_update_checks_subnets(admin, demo):
    """Neutron's mtu defaults to 0, "as large as the segment allows"."""
    assert demo.create("networks", "network", name="z", mtu=0)["mtu"] == 1450
    net, _ = _net(demo)
    result = demo.put(f"/v2.0/networks/{net['id']}", json={"network": {"mtu": 1400}})
    assert result.status_code == 200 and result.json["network"]["mtu"] == 1400
    result = demo.put(f"/v2.0/networks/{net['id']}", json={"network": {"mtu": 60}})
    assert result.status_code == 409 and _error(result)["type"] == "NetworkMTUSubnetConflict"
    result = demo.put(f"/v2.0/networks/{net['id']}", json={"network": {"mtu": -1}})
    assert result.status_code == 400


@pytest.mark.parametrize("fields, words", [
    ({"cidr": "10.61.0.0/24", "ip_version": None}, "ip_version"),
    ({"cidr": "224.0.0.0/24"}, "Multicast IP subnet is not supported"),
    ({"cidr": "127.0.0.0/24"}, "Loopback IP subnet is not supported"),
    ({"cidr": "10.61.0.0/24", "dns_nameservers": ["8.8.8.8", "8.8.8.8"]},
     "Duplicate nameserver '8.8.8.8'"),
    ({"cidr": "10.61.0.0/24", "dns_nameservers": ["2001:db8::1"]}, "IPv4"),
    ({"cidr": "10.61.0.0/24", "host_routes": [{"destination": "127.0.0.0/8",
                                               "nexthop": "10.61.0.1"}]}, "routable"),
    ({"cidr": "10.61.0.0/24", "service_types": ["bogus"]},
     "Unrecognized attribute(s) 'service_types'"),
    ({"cidr": "10.61.0.0/24", "segment_id": "x"}, "Unrecognized attribute(s) 'segment_id'"),
])
def test_bad_subnets_are_400(env, demo, fields, words):
    net = demo.create("networks", "network", name="n")
    body = {"network_id": net["id"], "ip_version": 4, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    result = demo.post("/v2.0/subnets", json={"subnet": body})
    assert result.status_code == 400, (fields, result.text)
    assert words in _error(result)["message"]
    assert len(env.store.subnets_of(net["id"])) == 0


def test_missing_ip_version_is_neutrons_message(demo):
    net = demo.create("networks", "network", name="n")
    result = demo.post("/v2.0/subnets", json={"subnet": {"network_id": net["id"],
                                                         "cidr": "10.62.0.0/24"}})
    assert result.status_code == 400
    assert _error(result)["message"] == ("Failed to parse request. Required attribute "
                                         "'ip_version' not specified")


def test_multicast_subnet_without_dhcp_is_allowed_as_in_neutron(demo):
    net = demo.create("networks", "network", name="n")
    demo.create("subnets", "subnet", network_id=net["id"], cidr="224.1.0.0/24",
                enable_dhcp=False)


@pytest.mark.parametrize("mac", ["ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "fa:16:3e:zz:00:01",
                                 "fa163e000001", ""])
def test_bad_macs_are_400(env, demo, mac):
    net, _ = _net(demo)
    result = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"],
                                                     "mac_address": mac}})
    assert result.status_code == 400 and "not a valid MAC address" in _error(result)["message"]
    assert _ports_without_owner(env, net) == 0


def test_multicast_mac_on_a_port_is_accepted_as_in_neutron(demo):
    """neutron-lib's port mac_address validator refuses only all-zero and broadcast."""
    net, _ = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"], mac_address="01:00:5e:00:00:01")
    assert port["mac_address"] == "01:00:5e:00:00:01"


@pytest.mark.parametrize("pairs, words", [
    ([{"ip_address": "not-an-ip"}], "is not a valid IP address"),
    ([{"ip_address": "10.60.0.0/33"}], "is not a valid IP subnet"),
    ([{"ip_address": "10.60.0.9", "mac_address": "nope"}], "is not a valid MAC address"),
    ([{"ip_address": "10.60.0.9", "mac_address": "01:00:5e:00:00:01"}], "multicast"),
    ([{"ip_address": "224.0.0.5"}], "multicast"),
    ([{"mac_address": "fa:16:3e:00:00:01"}], "must contain ip_address"),
    ([{"ip_address": "10.60.0.9"}, {"ip_address": "10.60.0.9"}], "duplicate address pair"),
    ([{"ip_address": "10.60.0.9", "colour": "red"}], "Unrecognized attribute(s) 'colour'"),
])
def test_bad_allowed_address_pairs_are_400(env, demo, pairs, words):
    net, _ = _net(demo)
    result = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"],
                                                     "allowed_address_pairs": pairs}})
    assert result.status_code == 400, (pairs, result.text)
    assert words in _error(result)["message"]
    assert _ports_without_owner(env, net) == 0


def test_good_address_pairs_get_the_ports_mac_and_need_port_security(demo):
    net, _ = _net(demo)
    port = demo.create("ports", "port", network_id=net["id"],
                       allowed_address_pairs=[{"ip_address": "10.60.0.0/28"}])
    assert port["allowed_address_pairs"] == [{"ip_address": "10.60.0.0/28",
                                              "mac_address": port["mac_address"]}]
    result = demo.put(f"/v2.0/ports/{port['id']}",
                      json={"port": {"port_security_enabled": False}})
    assert result.status_code == 409
    assert _error(result)["type"] == "AddressPairAndPortSecurityRequired"


@pytest.mark.parametrize("fields", [{"dns_name": "bad name!"}, {"dns_domain": "x"},
                                    {"qos_policy_id": "00000000-0000-0000-0000-000000000000"},
                                    {"extra_dhcp_opts": []}])
def test_attributes_of_unlisted_extensions_on_ports_are_unrecognized(demo, fields):
    net, _ = _net(demo)
    result = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"], **fields}})
    assert result.status_code == 400
    assert _error(result)["message"] == f"Unrecognized attribute(s) '{next(iter(fields))}'"


def test_floating_ip_with_a_garbage_fixed_ip_address_is_400(env, demo):
    public = demo.get("/v2.0/networks", params={"name": "public"}).json["networks"][0]
    before = len(env.store.floatingips())
    result = demo.post("/v2.0/floatingips", json={"floatingip": {
        "floating_network_id": public["id"], "fixed_ip_address": "garbage"}})
    assert result.status_code == 400
    assert "'garbage' is not a valid IP address" in _error(result)["message"]
    assert len(env.store.floatingips()) == before
    result = demo.post("/v2.0/floatingips", json={"floatingip": {
        "floating_network_id": public["id"], "name": "fip"}})
    assert result.status_code == 400 and "'name'" in _error(result)["message"]


def test_router_attributes_of_unlisted_extensions_are_unrecognized(demo):
    for fields in ({"ha": True}, {"distributed": False}, {"routes": []},
                   {"availability_zone_hints": ["nova"]}):
        result = demo.post("/v2.0/routers", json={"router": {"name": "r", **fields}})
        assert result.status_code == 400, fields
        assert "Unrecognized attribute(s)" in _error(result)["message"]


def test_integer_attributes_may_come_as_strings_as_neutron_converts_them(admin, demo):
    assert demo.create("networks", "network", name="s", mtu="1400")["mtu"] == 1400
    result = demo.post("/v2.0/networks", json={"network": {"name": "s", "mtu": "big"}})
    assert result.status_code == 400 and "'big' is not an integer" in _error(result)["message"]
    net = admin.create("networks", "network", name="v", **{
        "provider:network_type": "vxlan", "provider:segmentation_id": "4242"})
    assert net["provider:segmentation_id"] == 4242
