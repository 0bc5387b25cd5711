"""Response shapes: every resource shows exactly the keys of the extensions
`GET /v2.0/extensions` lists (Neutron strips every attribute no loaded extension
defines), for a member and for an admin. The same table is in docs/services/neutron.md
("Response shapes")."""

STANDARD = {"id", "name", "tenant_id", "project_id", "description", "created_at",
            "updated_at", "revision_number"}
NETWORK = STANDARD | {"status", "admin_state_up", "subnets", "shared", "router:external",
                      "mtu", "port_security_enabled"}
PROVIDER = {"provider:network_type", "provider:physical_network", "provider:segmentation_id"}
SUBNET = STANDARD | {"network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools",
                     "enable_dhcp", "dns_nameservers", "host_routes", "ipv6_ra_mode",
                     "ipv6_address_mode", "subnetpool_id", "router:external"}
PORT = STANDARD | {"network_id", "mac_address", "fixed_ips", "device_id", "device_owner",
                   "status", "admin_state_up", "security_groups", "port_security_enabled",
                   "allowed_address_pairs", "binding:vnic_type"}
BINDING = {"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"}
ROUTER = STANDARD | {"status", "admin_state_up", "external_gateway_info"}
GATEWAY = {"network_id", "enable_snat", "external_fixed_ips"}
FLOATINGIP = STANDARD - {"name"} | {"floating_ip_address", "floating_network_id",
                                    "fixed_ip_address", "port_id", "router_id", "status",
                                    "port_details"}
PORT_DETAILS = {"name", "network_id", "mac_address", "status", "device_id", "device_owner",
                "admin_state_up"}
SECURITY_GROUP = STANDARD | {"stateful", "security_group_rules"}
RULE = STANDARD - {"name"} | {"security_group_id", "direction", "ethertype", "protocol",
                              "port_range_min", "port_range_max", "remote_ip_prefix",
                              "remote_group_id", "normalized_cidr", "belongs_to_default_sg"}
AGENT = {"id", "agent_type", "binary", "host", "topic", "alive", "admin_state_up",
         "heartbeat_timestamp", "created_at", "started_at", "configurations", "description"}
QUOTA = {"network", "subnet", "port", "router", "floatingip", "security_group",
         "security_group_rule"}
INTERFACE = {"id", "tenant_id", "project_id", "port_id", "network_id", "subnet_id",
             "subnet_ids"}
EXTENSIONS = {"aap-reject-multicast", "agent", "allowed-address-pairs", "binding",
              "external-net", "ext-gw-mode", "fip-port-details", "net-mtu",
              "net-mtu-writable", "pagination", "port-security", "project-id", "provider",
              "quotas", "quota_details", "quota-check-limit", "router", "security-group",
              "security-groups-normalized-cidr",
              "security-groups-rules-belongs-to-default-sg", "standard-attr-description",
              "standard-attr-revisions", "standard-attr-timestamp",
              "stateful-security-group", "subnet-external-network"}


def _one(caller, collection, key, name):
    return caller.get(f"/v2.0/{collection}", params={"name": name}).json[key][0]


def test_extensions_listed_and_their_shape(demo):
    listed = demo.get("/v2.0/extensions").json["extensions"]
    assert {e["alias"] for e in listed} == EXTENSIONS
    assert all(set(e) == {"alias", "name", "description", "updated", "links"} for e in listed)
    router = demo.get("/v2.0/extensions/router").json["extension"]
    assert router["updated"] == "2012-07-20T10:00:00-00:00"  # Neutron's own timestamp


def test_network_and_subnet_keys(admin, demo):
    private = _one(demo, "networks", "networks", "private")
    assert set(private) == NETWORK
    assert set(admin.get(f"/v2.0/networks/{private['id']}").json["network"]) == \
        NETWORK | PROVIDER
    created = demo.post("/v2.0/networks", json={"network": {"name": "k"}}).json["network"]
    assert set(created) == NETWORK
    subnet = _one(demo, "subnets", "subnets", "private-subnet")
    assert set(subnet) == SUBNET
    assert set(admin.get(f"/v2.0/subnets/{subnet['id']}").json["subnet"]) == SUBNET


def test_port_keys_member_and_admin(admin, demo):
    private = _one(demo, "networks", "networks", "private")
    port = demo.create("ports", "port", network_id=private["id"])
    assert set(port) == PORT
    assert set(admin.get(f"/v2.0/ports/{port['id']}").json["port"]) == PORT | BINDING
    assert set(demo.get("/v2.0/ports").json["ports"][0]) == PORT


def test_router_interface_and_floating_ip_keys(demo):
    router = _one(demo, "routers", "routers", "router1")
    assert set(router) == ROUTER and set(router["external_gateway_info"]) == GATEWAY
    assert set(router["external_gateway_info"]["external_fixed_ips"][0]) == {
        "subnet_id", "ip_address"}
    net = demo.create("networks", "network", name="k")
    sub = demo.create("subnets", "subnet", network_id=net["id"], cidr="10.70.0.0/24")
    info = demo.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                    json={"subnet_id": sub["id"]}).json
    assert set(info) == INTERFACE
    public = _one(demo, "networks", "networks", "public")
    port = demo.create("ports", "port", network_id=net["id"])
    fip = demo.create("floatingips", "floatingip", floating_network_id=public["id"],
                      port_id=port["id"])
    assert set(fip) == FLOATINGIP and set(fip["port_details"]) == PORT_DETAILS
    assert set(demo.get("/v2.0/floatingips").json["floatingips"][0]) == FLOATINGIP


def test_security_group_and_rule_keys(demo):
    group = _one(demo, "security-groups", "security_groups", "default")
    assert set(group) == SECURITY_GROUP
    assert all(set(rule) == RULE for rule in group["security_group_rules"])
    rules = demo.get("/v2.0/security-group-rules").json["security_group_rules"]
    assert rules and all(set(rule) == RULE for rule in rules)


def test_agent_and_quota_keys(admin, demo):
    agents = admin.get("/v2.0/agents").json["agents"]
    assert agents and all(set(a) == AGENT for a in agents)
    assert set(demo.get("/v2.0/quotas/p-demo").json["quota"]) == QUOTA
    details = demo.get("/v2.0/quotas/p-demo/details").json["quota"]
    assert set(details) == QUOTA
    assert all(set(d) == {"limit", "used", "reserved"} for d in details.values())
    admin.put("/v2.0/quotas/p-demo", json={"quota": {"port": 50}})
    listed = admin.get("/v2.0/quotas").json["quotas"]
    assert all(set(q) == QUOTA | {"project_id", "tenant_id"} for q in listed)


def test_fields_selects_keys(demo):
    nets = demo.get("/v2.0/networks", params={"fields": ["id", "mtu"]}).json["networks"]
    assert nets and all(set(n) == {"id", "mtu"} for n in nets)
