"""Lab 03 checkpoints: a self-service network, subnet, router with a gateway, an interface
the L3 agent wired, a port with a floating IP, an SSH rule, and the VNI read off the data
plane.

Run with `make lab-check LAB=03`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

DEMO = "openstack --os-cloud minicloud"


def _mine(conn, finder, name):
    """The resource called `name` in demo's own project, or None."""
    for item in finder(name=name):
        if item.project_id == conn.current_project_id:
            return item
    return None


def _net(demo):
    return _mine(demo, demo.network.networks, "lab-net")


def _subnet(demo):
    return _mine(demo, demo.network.subnets, "lab-subnet")


def _router(demo):
    return _mine(demo, demo.network.routers, "lab-router")


def _port(demo):
    return _mine(demo, demo.network.ports, "lab-port")


def test_network_and_subnet(demo):
    """Network lab-net has subnet lab-subnet 192.168.50.0/24 with DNS server 203.0.113.53."""
    net = _net(demo)
    assert net is not None, (
        f"Project demo has no network lab-net yet. Create it:\n  {DEMO} network create lab-net")
    subnet = _subnet(demo)
    assert subnet is not None, (
        f"lab-net has no subnet lab-subnet yet. Create it:\n"
        f"  {DEMO} subnet create --network lab-net --subnet-range 192.168.50.0/24 \\\n"
        f"      --dns-nameserver 203.0.113.53 lab-subnet")
    assert subnet.network_id == net.id, (
        "lab-subnet is not on lab-net. Delete it and create it again with --network lab-net.")
    assert subnet.cidr == "192.168.50.0/24", (
        f"lab-subnet is {subnet.cidr}, not 192.168.50.0/24. Delete it and create it again:\n"
        f"  {DEMO} subnet delete lab-subnet")
    assert "203.0.113.53" in (subnet.dns_nameservers or []), (
        f"lab-subnet does not give out the DNS server 203.0.113.53. Add it:\n"
        f"  {DEMO} subnet set --dns-nameserver 203.0.113.53 lab-subnet")


def test_router_gateway(demo):
    """Router lab-router has its external gateway on network public (with SNAT)."""
    router = _router(demo)
    assert router is not None, (
        f"Project demo has no router lab-router yet. Create it:\n  {DEMO} router create lab-router")
    public = demo.network.find_network("public")
    gateway = router.external_gateway_info or {}
    assert public is not None and gateway.get("network_id") == public.id, (
        f"lab-router has no gateway on public yet. Set it:\n"
        f"  {DEMO} router set --external-gateway public lab-router")
    assert gateway.get("enable_snat", True), "lab-router's gateway has SNAT off: ask the admin."


def test_router_interface_on_subnet(demo):
    """lab-router has an interface on lab-subnet, and the L3 agent wired it (ACTIVE)."""
    router, subnet = _router(demo), _subnet(demo)
    assert router is not None and subnet is not None, "First do checkpoints 1 and 2."
    ports = [p for p in demo.network.ports(device_id=router.id)
             if p.device_owner == "network:router_interface"
             and any(ip["subnet_id"] == subnet.id for ip in p.fixed_ips)]
    assert ports, (
        f"lab-router is not connected to lab-subnet yet. Connect them:\n"
        f"  {DEMO} router add subnet lab-router lab-subnet")
    assert ports[0].fixed_ips[0]["ip_address"] == subnet.gateway_ip, (
        "lab-router's interface does not hold lab-subnet's gateway address.")
    assert ports[0].status == "ACTIVE", (
        f"lab-router's interface is {ports[0].status}: the network node's agents have not wired "
        "it.\nIs the network node's bridge agent alive? "
        "openstack --os-cloud minicloud-admin network agent list")


def test_port_with_floating_ip(demo):
    """Port lab-port on lab-net has a floating IP from public."""
    port = _port(demo)
    assert port is not None, (
        f"Project demo has no port lab-port yet. Create it:\n"
        f"  {DEMO} port create --network lab-net lab-port")
    fips = list(demo.network.ips(port_id=port.id))
    assert fips, (
        f"lab-port has no floating IP. Allocate one and associate it:\n"
        f"  {DEMO} floating ip create public\n"
        f"  {DEMO} floating ip set --port lab-port <the floating_ip_address printed>")
    assert fips[0].status == "ACTIVE" and fips[0].fixed_ip_address, (
        f"The floating IP {fips[0].floating_ip_address} is not active on lab-port.")


def test_ssh_allowed_in_default_group(demo):
    """The default security group lets SSH (tcp 22) in from anywhere."""
    group = _mine(demo, demo.network.security_groups, "default")
    assert group is not None, f"Project demo has no default security group? {DEMO} security group list"
    ok = [r for r in demo.network.security_group_rules(security_group_id=group.id)
          if r.direction == "ingress" and r.protocol == "tcp" and r.ether_type == "IPv4"
          and (r.port_range_min or 0) <= 22 <= (r.port_range_max or 65535)
          and r.remote_ip_prefix in (None, "0.0.0.0/0") and not r.remote_group_id]
    assert ok, (
        f"The default group does not let SSH in yet. Add a rule:\n"
        f"  {DEMO} security group rule create --protocol tcp --dst-port 22 default")


def test_vni_read_from_the_data_plane(demo, admin):
    """lab-net's description records its VNI, as `minicloud agents` shows it (vni=NNNN)."""
    net = _net(demo)
    assert net is not None, "First do checkpoint 1."
    vni = admin.network.get_network(net.id).provider_segmentation_id
    assert (net.description or "").startswith("vni="), (
        f"lab-net's description does not record its VNI yet. Find the bridge of lab-net\n"
        f"(brq{net.id[:11]}) in the output of `minicloud agents`, read the number of its\n"
        f"vxlan-NNNN uplink, and record it:\n"
        f"  {DEMO} network set --description vni=NNNN lab-net")
    assert net.description == f"vni={vni}", (
        f"lab-net's description says {net.description}, but its bridge brq{net.id[:11]} is\n"
        f"uplinked through another VXLAN interface: look again at `minicloud agents`.")
