"""The learner's Neutron commands, through the real `openstack` CLI and openstacksdk on a
live cloud: a self-service network from scratch, agents, and the errors a learner meets."""

import json

import openstack.connection
import openstack.exceptions
import pytest
import requests

from tests.fakes import wait_for

ADMIN = "minicloud-admin"
NQ = ["--os-username", "nq-user", "--os-password", "pw", "--os-project-name", "nq"]


@pytest.fixture(scope="module")
def journey(cloud):
    """net1/sub1 on router r1 (gateway on public), a floating IP, port p1."""
    net = cloud.cli_json("network", "create", "net1")
    sub = cloud.cli_json("subnet", "create", "--network", "net1", "--subnet-range",
                         "10.1.0.0/24", "sub1")
    router = cloud.cli_json("router", "create", "r1")
    cloud.cli("router", "set", "--external-gateway", "public", "r1")
    cloud.cli("router", "add", "subnet", "r1", "sub1")
    fip = cloud.cli_json("floating", "ip", "create", "public")
    port = cloud.cli_json("port", "create", "--network", "net1", "p1")
    return {"net": net, "sub": sub, "router": router, "fip": fip, "port": port}


@pytest.fixture(scope="module")
def nq_user(cloud):
    """A second project `nq` with its own member, for isolation and quota tests."""
    cloud.cli_json("project", "create", "nq", cloud=ADMIN)
    cloud.cli_json("user", "create", "--password", "pw", "nq-user", cloud=ADMIN)
    cloud.cli("role", "add", "--project", "nq", "--user", "nq-user", "member", cloud=ADMIN)
    config = cloud.config
    return openstack.connection.Connection(
        auth_url=config.auth_url, username="nq-user", password="pw", project_name="nq",
        user_domain_name="Default", project_domain_name="Default", region_name=config.region,
        interface="public", identity_api_version="3")


def test_devstack_networks_exist(cloud):
    names = {n["Name"] for n in cloud.cli_json("network", "list")}
    assert {"public", "private"} <= names
    public = cloud.cli_json("network", "show", "public", cloud=ADMIN)
    assert public["router:external"] in ("External", True)
    assert public["provider:network_type"] == "flat" and public["mtu"] == 1500
    subnet = cloud.cli_json("subnet", "show", "public-subnet", cloud=ADMIN)
    assert subnet["cidr"] == "203.0.113.0/24" and subnet["gateway_ip"] == "203.0.113.1"
    router = cloud.cli_json("router", "show", "router1")
    assert router["external_gateway_info"]["network_id"] == public["id"]


def test_network_subnet_router_journey(cloud, journey):
    assert journey["net"]["mtu"] == 1450
    sub = journey["sub"]
    assert sub["gateway_ip"] == "10.1.0.1" and sub["cidr"] == "10.1.0.0/24"
    router = cloud.cli_json("router", "show", "r1")
    fixed = router["external_gateway_info"]["external_fixed_ips"]
    assert fixed[0]["ip_address"].startswith("203.0.113.")
    ports = cloud.cli_json("port", "list", "--router", "r1")
    assert [p["Fixed IP Addresses"][0]["ip_address"] for p in ports] == ["10.1.0.1"]
    assert wait_for(lambda: cloud.cli_json("port", "list", "--router", "r1")[0]["Status"]
                    == "ACTIVE", timeout=10.0, interval=0.1)


def test_floating_ip_and_port(cloud, journey):
    fip = journey["fip"]
    assert fip["floating_ip_address"].startswith("203.0.113.") and fip["status"] == "DOWN"
    port = journey["port"]
    assert port["fixed_ips"][0]["ip_address"].startswith("10.1.0.")
    listed = cloud.cli_json("port", "list")
    assert "p1" in {p["Name"] for p in listed}
    assert set(listed[0]) == {"ID", "Name", "MAC Address", "Fixed IP Addresses", "Status"}
    cloud.cli("floating", "ip", "set", "--port", "p1", fip["floating_ip_address"])
    shown = cloud.cli_json("floating", "ip", "show", fip["floating_ip_address"])
    assert shown["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    assert shown["router_id"] == journey["router"]["id"] and shown["status"] == "ACTIVE"
    cloud.cli("floating", "ip", "unset", "--port", fip["floating_ip_address"])
    shown = cloud.cli_json("floating", "ip", "show", fip["floating_ip_address"])
    assert shown["port_id"] is None and shown["status"] == "DOWN"


def test_security_group_rule_on_default_as_demo_and_admin(cloud):
    for who in ("minicloud", ADMIN):
        rule = cloud.cli_json("security", "group", "rule", "create", "--protocol", "tcp",
                              "--dst-port", "22", "default", cloud=who)
        assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == (
            "tcp", 22, 22)
        again = cloud.cli("security", "group", "rule", "create", "--protocol", "tcp",
                          "--dst-port", "22", "default", cloud=who, check=False)
        assert again.returncode != 0 and "409" in again.stderr
    assert len(cloud.cli_json("security", "group", "list")) >= 1


def test_agents_are_alive(cloud):
    agents = cloud.cli_json("network", "agent", "list", cloud=ADMIN)
    seen = {(a["Host"], a["Agent Type"]) for a in agents}
    assert {("network", "L3 agent"), ("network", "DHCP agent"),
            ("network", "Linux bridge agent"), ("compute1", "Linux bridge agent"),
            ("compute2", "Linux bridge agent")} <= seen
    assert all(a["Alive"] is True or a["Alive"] == ":-)" for a in agents)


def test_minicloud_agents_prints_the_dataplane(cloud, journey):
    from tests.livecloud import minicloud

    out = minicloud("agents", home=cloud.home)
    assert out.returncode == 0, out.stderr
    assert f"qrouter-{journey['router']['id']}" in out.stdout
    assert f"brq{journey['net']['id'][:11]}" in out.stdout
    assert "vxlan-" in out.stdout and "-j SNAT" in out.stdout


@pytest.mark.parametrize("args, code", [
    (["--subnet-range", "10.1.0.0/33"], "400"),
    (["--subnet-range", "10.20.0.0/24", "--gateway", "10.99.0.1"], "400"),
    (["--subnet-range", "10.1.0.128/25"], "400"),  # overlaps sub1
])
def test_bad_subnets_are_4xx_and_create_nothing(cloud, journey, args, code):
    result = cloud.cli("subnet", "create", "--network", "net1", *args, "badsub", check=False)
    assert result.returncode != 0 and code in result.stderr, result.stderr
    assert "HttpException: 500" not in result.stderr  # not a server error (ids may hold "500")
    assert "Internal Server Error" not in result.stderr
    assert "badsub" not in {s["Name"] for s in cloud.cli_json("subnet", "list")}


def test_unknown_network_is_a_clear_error(cloud):
    result = cloud.cli("subnet", "create", "--network", "nosuchnet", "--subnet-range",
                       "10.30.0.0/24", "x", check=False)
    assert result.returncode != 0 and "nosuchnet" in result.stderr


def test_port_on_another_projects_private_network(cloud, journey, nq_user):
    assert nq_user.current_project_id != cloud.sdk().current_project_id
    with pytest.raises(openstack.exceptions.NotFoundException) as caught:
        nq_user.network.create_port(network_id=journey["net"]["id"])
    assert "could not be found" in str(caught.value)
    assert nq_user.network.find_network("net1") is None
    assert not [p for p in nq_user.network.ports() if p.network_id == journey["net"]["id"]]


def test_network_quota_exceeded_is_409(cloud, nq_user):
    cloud.cli("quota", "set", "--networks", "1", "nq", cloud=ADMIN)
    nq_user.network.create_network(name="nq-net1")
    with pytest.raises(openstack.exceptions.ConflictException) as caught:
        nq_user.network.create_network(name="nq-net2")
    assert "Quota exceeded for resources: ['network']" in str(caught.value)
    assert [n.name for n in nq_user.network.networks(name="nq-net2")] == []


def test_neutron_error_body_and_multihoming_absent(cloud):
    admin = cloud.sdk(ADMIN)
    url = cloud.config.base_url("network")
    token = admin.auth_token
    response = requests.get(f"{url}/v2.0/extensions/external-gateway-multihoming",
                            headers={"X-Auth-Token": token}, timeout=10)
    assert response.status_code == 404
    assert set(response.json()["NeutronError"]) == {"type", "message", "detail"}
    response = requests.get(f"{url}/v2.0/networks/nope", headers={"X-Auth-Token": token},
                            timeout=10)
    assert response.json()["NeutronError"]["type"] == "NetworkNotFound"
    assert json.loads(requests.get(f"{url}/", timeout=10).text)["versions"][0]["id"] == "v2.0"


def test_sdk_ports_by_device_id(cloud):
    demo = cloud.sdk("minicloud")
    net = demo.network.find_network("private")
    port = demo.network.create_port(network_id=net.id, device_id="fake-server",
                                    device_owner="compute:nova")
    found = list(demo.network.ports(device_id="fake-server"))
    assert [p.id for p in found] == [port.id]
    demo.network.delete_port(port)


def test_subnet_set_gateway_dns_routes_and_dhcp(cloud):
    cloud.cli("network", "create", "setnet")
    cloud.cli("subnet", "create", "--network", "setnet", "--subnet-range", "10.80.0.0/24",
              "--allocation-pool", "start=10.80.0.10,end=10.80.0.200", "setsub")
    cloud.cli("subnet", "set", "--gateway", "10.80.0.254", "--dns-nameserver", "9.9.9.9",
              "--host-route", "destination=192.168.80.0/24,gateway=10.80.0.5", "--no-dhcp",
              "setsub")
    shown = cloud.cli_json("subnet", "show", "setsub")
    assert shown["gateway_ip"] == "10.80.0.254" and shown["dns_nameservers"] == ["9.9.9.9"]
    assert shown["host_routes"] == [{"destination": "192.168.80.0/24",
                                     "nexthop": "10.80.0.5"}]
    assert shown["enable_dhcp"] is False and shown["router:external"] is False
    bad = cloud.cli("subnet", "set", "--gateway", "10.80.0.50", "setsub", check=False)
    assert bad.returncode != 0 and "conflicts with allocation pool" in bad.stderr, bad.stderr
    cloud.cli("subnet", "set", "--gateway", "none", "setsub")
    assert cloud.cli_json("subnet", "show", "setsub")["gateway_ip"] is None


def test_sdk_bulk_ports_and_rules_are_all_or_none(cloud):
    demo = cloud.sdk("minicloud")
    net = demo.network.create_network(name="bulknet")
    demo.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.81.0.0/24")
    made = list(demo.network.create_ports([{"network_id": net.id, "name": "bp1"},
                                           {"network_id": net.id, "name": "bp2"}]))
    assert [p.name for p in made] == ["bp1", "bp2"] and made[0].id != made[1].id
    with pytest.raises(openstack.exceptions.ConflictException):
        list(demo.network.create_ports([
            {"network_id": net.id, "name": "bp3"},
            {"network_id": net.id, "fixed_ips": [{"ip_address": made[0].fixed_ips[0][
                "ip_address"]}]}]))
    assert {p.name for p in demo.network.ports(network_id=net.id)} >= {"bp1", "bp2"}
    assert not list(demo.network.ports(name="bp3"))
    group = demo.network.create_security_group(name="bulkweb")
    rules = list(demo.network.create_security_group_rules([
        {"security_group_id": group.id, "direction": "ingress", "protocol": "tcp",
         "port_range_min": p, "port_range_max": p} for p in (80, 443)]))
    assert sorted(r.port_range_min for r in rules) == [80, 443]


@pytest.mark.parametrize("args, words", [
    (["port", "create", "--network", "private", "--mac-address", "ff:ff:ff:ff:ff:ff",
      "badport"], "not a valid MAC address"),
    (["port", "create", "--network", "private", "--allowed-address",
      "ip-address=10.0.0.1/33", "badport"], "not a valid IP subnet"),
    (["security", "group", "rule", "create", "--protocol", "gre", "--dst-port", "22",
      "default"], "Ports cannot be specified for protocol 47"),
    (["security", "group", "rule", "create", "--protocol", "udp", "--dst-port", "65536",
      "default"], "Invalid value for port 65536"),
    (["network", "create", "--mtu", "-1", "badnet"], "should be non-negative"),
])
def test_bad_input_the_cli_sends_is_a_clear_400(cloud, args, words):
    result = cloud.cli(*args, check=False)
    assert result.returncode != 0 and words in result.stderr, result.stderr
    assert "HttpException: 500" not in result.stderr
    assert "badport" not in {p["Name"] for p in cloud.cli_json("port", "list")}


def test_security_group_cannot_be_renamed_default(cloud):
    cloud.cli("security", "group", "create", "renameme")
    result = cloud.cli("security", "group", "set", "--name", "default", "renameme",
                       check=False)
    assert result.returncode != 0 and "Default security group already exists" in \
        result.stderr, result.stderr
    names = [g["Name"] for g in cloud.cli_json("security", "group", "list")]
    assert names.count("default") == 1 and "renameme" in names


def test_floating_ip_with_garbage_fixed_ip_address(cloud):
    result = cloud.cli("floating", "ip", "create", "--fixed-ip-address", "garbage", "public",
                       check=False)
    assert result.returncode != 0 and "'garbage' is not a valid IP address" in result.stderr


def test_another_project_sees_public_subnet_not_private_ones(cloud, nq_user):
    names = {s.name: s for s in nq_user.network.subnets()}
    assert "public-subnet" in names and "private-subnet" not in names
    extensions = {e.alias for e in nq_user.network.extensions()}
    assert "subnet-external-network" in extensions and "qos" not in extensions
