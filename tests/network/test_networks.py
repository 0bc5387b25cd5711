"""Networks and subnets: VNIs, MTUs, admin-only attributes, CIDR and gateway validation,
project isolation, NeutronError bodies."""

from tests.fakes import PROJECTS


def error_type(result) -> str:
    return result.json["NeutronError"]["type"]


def test_root_and_version_documents_need_no_token(env):
    anonymous = env.caller(None)
    assert anonymous.get("/").json["versions"][0]["id"] == "v2.0"
    collections = {r["collection"] for r in anonymous.get("/v2.0").json["resources"]}
    assert {"networks", "ports", "routers"} <= collections
    result = anonymous.get("/v2.0/networks")
    assert result.status_code == 401
    assert set(result.json["NeutronError"]) == {"type", "message", "detail"}


def test_tenant_network_gets_next_vni_and_vxlan_mtu(admin, demo):
    net = demo.create("networks", "network", name="net1")
    assert net["mtu"] == 1450 and net["status"] == "ACTIVE" and net["subnets"] == []
    assert "provider:segmentation_id" not in net  # admin-only attribute
    seen = admin.get(f"/v2.0/networks/{net['id']}").json["network"]
    assert seen["provider:network_type"] == "vxlan"
    assert seen["provider:segmentation_id"] == 1002  # private has 1001
    public = admin.get("/v2.0/networks", params={"name": "public"}).json["networks"][0]
    assert (public["provider:network_type"], public["provider:physical_network"],
            public["mtu"], public["router:external"]) == ("flat", "public", 1500, True)


def test_members_cannot_set_provider_or_external_attributes(demo):
    for extra in ({"provider:network_type": "flat"}, {"router:external": True},
                  {"shared": True}):
        result = demo.post("/v2.0/networks", json={"network": {"name": "x", **extra}})
        assert result.status_code == 403, extra
        assert error_type(result) == "PolicyNotAuthorized"


def test_unknown_attribute_is_a_400(demo):
    result = demo.post("/v2.0/networks", json={"network": {"name": "x", "colour": "red"}})
    assert result.status_code == 400 and "colour" in result.json["NeutronError"]["message"]


def test_vni_range_exhausted_is_503(env, demo):
    env.config.vni_range = "1001:1002"
    demo.create("networks", "network", name="last")
    result = demo.post("/v2.0/networks", json={"network": {"name": "none-left"}})
    assert result.status_code == 503 and error_type(result) == "NoNetworkAvailable"


def test_other_projects_private_network_is_invisible(demo, other):
    net = demo.create("networks", "network", name="mine")
    assert other.get(f"/v2.0/networks/{net['id']}").status_code == 404
    assert error_type(other.get(f"/v2.0/networks/{net['id']}")) == "NetworkNotFound"
    names = {n["name"] for n in other.get("/v2.0/networks").json["networks"]}
    assert "mine" not in names and "private" not in names and "public" in names


def test_subnet_defaults_gateway_and_pool(demo):
    net = demo.create("networks", "network", name="n")
    sub = demo.create("subnets", "subnet", network_id=net["id"], cidr="10.1.0.0/24",
                      ip_version=4, name="s")
    assert sub["gateway_ip"] == "10.1.0.1" and sub["enable_dhcp"] is True
    assert sub["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert demo.get(f"/v2.0/networks/{net['id']}").json["network"]["subnets"] == [sub["id"]]


def test_subnet_options_are_kept(demo):
    net = demo.create("networks", "network", name="n")
    sub = demo.create("subnets", "subnet", network_id=net["id"], cidr="10.2.0.0/24",
                      gateway_ip="10.2.0.254", enable_dhcp=False,
                      allocation_pools=[{"start": "10.2.0.100", "end": "10.2.0.199"}],
                      dns_nameservers=["8.8.8.8"],
                      host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.2.0.1"}])
    assert sub["gateway_ip"] == "10.2.0.254" and sub["enable_dhcp"] is False
    assert sub["allocation_pools"] == [{"start": "10.2.0.100", "end": "10.2.0.199"}]
    assert sub["dns_nameservers"] == ["8.8.8.8"] and len(sub["host_routes"]) == 1


def test_bad_subnets_are_400_and_leave_nothing_behind(env, demo):
    net = demo.create("networks", "network", name="n")
    bad = [{"cidr": "10.1.0.0/33"}, {"cidr": "not-a-cidr"}, {"cidr": "10.1.0.5/24"},
           {"cidr": "10.1.0.0/24", "gateway_ip": "10.9.9.9"},
           {"cidr": "10.1.0.0/24", "ip_version": 6},
           {"cidr": "10.1.0.0/24", "allocation_pools": [{"start": "10.1.0.1",
                                                         "end": "10.1.0.9"}]},
           {"cidr": "10.1.0.0/24", "dns_nameservers": ["nope"]}]
    for fields in bad:
        body = {"ip_version": 4, "network_id": net["id"], **fields}
        result = demo.post("/v2.0/subnets", json={"subnet": body})
        assert 400 <= result.status_code < 500, (fields, result.text)
        assert "NeutronError" in result.json
    assert len(env.store.subnets_of(net["id"])) == 0


def test_overlap_refused_in_one_network_allowed_across(demo):
    a = demo.create("networks", "network", name="a")
    b = demo.create("networks", "network", name="b")
    demo.create("subnets", "subnet", network_id=a["id"], cidr="10.5.0.0/24")
    result = demo.post("/v2.0/subnets", json={"subnet": {"ip_version": 4, "network_id": a["id"],
                                                         "cidr": "10.5.0.128/25"}})
    assert result.status_code == 400 and "overlaps" in result.json["NeutronError"]["message"]
    demo.create("subnets", "subnet", network_id=b["id"], cidr="10.5.0.0/24")


def test_subnet_on_unknown_or_foreign_network(demo, other):
    result = demo.post("/v2.0/subnets", json={"subnet": {"ip_version": 4, "network_id": "nope",
                                                         "cidr": "10.0.0.0/24"}})
    assert result.status_code == 404 and error_type(result) == "NetworkNotFound"
    net = demo.create("networks", "network", name="n")
    result = other.post("/v2.0/subnets", json={"subnet": {
        "ip_version": 4, "network_id": net["id"], "cidr": "10.0.0.0/24"}})
    assert result.status_code == 404


def test_network_with_ports_cannot_be_deleted(demo):
    net = demo.create("networks", "network", name="n")
    demo.create("subnets", "subnet", network_id=net["id"], cidr="10.3.0.0/24")
    port = demo.create("ports", "port", network_id=net["id"])
    result = demo.delete(f"/v2.0/networks/{net['id']}")
    assert result.status_code == 409 and error_type(result) == "NetworkInUse"
    assert demo.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert demo.delete(f"/v2.0/networks/{net['id']}").status_code == 204  # DHCP port goes too
    assert demo.get(f"/v2.0/networks/{net['id']}").status_code == 404


def test_filters_and_fields(admin):
    result = admin.get("/v2.0/networks", query_string="router:external=true&fields=id"
                       "&fields=name")
    assert result.json["networks"] == [{"id": result.json["networks"][0]["id"],
                                        "name": "public"}]
    assert admin.get("/v2.0/networks", params={"name": "nope"}).json["networks"] == []
    everything = admin.get("/v2.0/networks").json["networks"]
    last = everything[-1]["id"]
    assert admin.get("/v2.0/networks", params={"limit": "1", "marker": last}).json[
        "networks"] == []


def test_admin_creates_for_another_project(admin, demo):
    net = admin.create("networks", "network", name="given", project_id=PROJECTS["demo"])
    assert demo.get(f"/v2.0/networks/{net['id']}").status_code == 200
    result = demo.post("/v2.0/networks", json={"network": {"project_id": PROJECTS["other"]}})
    assert result.status_code == 403


def test_reader_cannot_create(env):
    result = env.caller("reader").post("/v2.0/networks", json={"network": {"name": "x"}})
    assert result.status_code == 403
