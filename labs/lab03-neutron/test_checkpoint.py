"""Lab 03 checkpoints: a self-service network, subnet, router with a gateway, an interface
the L3 agent wired, a port with a floating IP, an SSH rule, and the VNI read off the data
plane (the learner's saved `minicloud agents` output, lab03/agents.txt in the data
directory, must show it). In the netns mode only (they skip in the others): two servers on two compute nodes,
and the learner's capture of their ping, `ip -d link` and `bridge fdb` files, each compared
with the live cloud.

Run with `make lab-check LAB=03`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import pytest

from minicloud import pcap
from minicloud.config import Config
from minicloud.topology import Topology

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


def _uplink(agents_output: str, bridge: str) -> str | None:
    """The uplink `minicloud agents` printed under `bridge brq...`, e.g. `vxlan-1002`."""
    lines = iter(agents_output.splitlines())
    for line in lines:
        words = line.split()
        if words[:2] == ["bridge", bridge]:
            for after in lines:
                if after.split()[:1] == ["uplink"]:
                    return after.split()[1]
                if after.split()[:1] in (["bridge"], ["***"]):
                    return None
    return None


def test_vni_read_from_the_data_plane(demo, admin, lab_cloud):
    """lab03/agents.txt holds `minicloud agents` with lab-net's bridge; its VNI is recorded"""
    net = _net(demo)
    assert net is not None, "First do checkpoint 1."
    vni = admin.network.get_network(net.id).provider_segmentation_id
    bridge = f"brq{net.id[:11]}"
    saved = lab_cloud.home / "lab03" / "agents.txt"
    save = f"  mkdir -p {saved.parent}\n  minicloud agents > {saved}"
    assert saved.is_file(), (
        f"There is no file {saved} yet: the VNI is to be read off the data plane, from\n"
        f"what the bridge agent configured (`minicloud agents`), not from `network show`.\n"
        f"Save what the agents say:\n{save}")
    uplink = _uplink(saved.read_text(errors="replace"), bridge)
    assert uplink is not None, (
        f"{saved} shows no bridge {bridge} (brq + the first 11 characters of lab-net's id)\n"
        f"with an uplink. Save the agents' output again, now that lab-net has ports:\n{save}")
    assert uplink == f"vxlan-{vni}", (
        f"In {saved} lab-net's bridge {bridge} is uplinked through {uplink}, but lab-net's\n"
        f"VNI is not that one: is the file from this cloud? Save it again:\n{save}")
    assert (net.description or "").startswith("vni="), (
        f"lab-net's description does not record its VNI yet. Read the number of the\n"
        f"vxlan-NNNN uplink of {bridge} in {saved}, and record it:\n"
        f"  {DEMO} network set --description vni=NNNN lab-net")
    assert net.description == f"vni={vni}", (
        f"lab-net's description says {net.description}, but its bridge {bridge} is\n"
        f"uplinked through {uplink} in {saved}: record that number.")


# -- Step 7, the netns mode only: the real wire ------------------------------------------------
# The learner's files live in the cloud's data directory, under lab03/ (WIRE in the guide).
# Each checkpoint compares what a file says with the live cloud: a file from another cloud,
# another network or another node does not pass.

ADMIN = "openstack --os-cloud minicloud-admin"
SERVERS = {"lab-vm1": "compute1", "lab-vm2": "compute2"}


@pytest.fixture(scope="module")
def wire(lab_cloud):
    """The cloud's saved configuration, if it runs in the netns mode (else: skip)."""
    config = Config.load(lab_cloud.home)
    if config.mode != "netns":
        pytest.skip(f"netns mode only, and this cloud runs in the {config.mode} mode")
    return config


def _file(config, name: str, how: str) -> bytes:
    path = config.home / "lab03" / name
    assert path.is_file(), (
        f"There is no file {path} yet. Make it:\n"
        f"  WIRE={config.home}/lab03; mkdir -p $WIRE\n  {how}")
    return path.read_bytes()


def _servers(admin) -> dict:
    """lab-vm1 and lab-vm2 as the admin sees them, by name (None where missing)."""
    found = {name: None for name in SERVERS}
    for server in admin.compute.servers(all_projects=True):
        if server.name in found:
            found[server.name] = server
    return found


def _address(server, net_name="lab-net") -> str | None:
    for entry in (server.addresses or {}).get(net_name, []):
        if entry.get("version", 4) == 4:
            return entry["addr"]
    return None


def _data_address(config, node: str) -> str:
    return Topology.from_config(config).node(node).address("data")


def _ready(admin) -> tuple[dict, object]:
    """The two servers and lab-net, or a failed checkpoint saying to do step 7a first."""
    servers = _servers(admin)
    assert all(servers.values()), "First make lab-vm1 and lab-vm2 (checkpoint 7)."
    net = admin.network.find_network("lab-net")
    assert net is not None, "First do checkpoint 1."
    return servers, net


def test_two_servers_on_two_compute_nodes(wire, admin):
    """(netns mode) lab-vm1 on compute1 and lab-vm2 on compute2 are ACTIVE on lab-net."""
    servers = _servers(admin)
    for name, host in SERVERS.items():
        server = servers[name]
        create = (f"{ADMIN} server create --image cirros --flavor m1.tiny \\\n"
                  f"      --network lab-net --availability-zone nova:{host} --wait {name}")
        assert server is not None, f"There is no server {name} yet. Boot it on {host}:\n  {create}"
        assert server.compute_host == host, (
            f"{name} runs on {server.compute_host}, not on {host}: the tunnel this step "
            f"looks at joins two compute nodes. Delete it and boot it again on {host}:\n"
            f"  {ADMIN} server delete --wait {name}\n  {create}")
        assert server.status == "ACTIVE", (
            f"{name} is {server.status}, not ACTIVE: `{ADMIN} server show {name}` says why.")
        assert _address(server) is not None, (
            f"{name} has no address on lab-net: boot it again with --network lab-net.")


def test_capture_shows_the_ping_in_vxlan_with_lab_nets_vni(wire, admin):
    """(netns mode) $WIRE/vxlan.pcap: the ping between them, in VXLAN with lab-net's VNI."""
    servers, net = _ready(admin)
    how = ("minicloud capture compute2 data --count 6 --filter 'udp port 4789' \\\n"
           "      -w $WIRE/vxlan.pcap &\n"
           "  minicloud console lab-vm1 -- ping -c 5 <lab-vm2's address>; wait")
    try:
        frames = pcap.packets(_file(wire, "vxlan.pcap", how))
    except ValueError as exc:
        raise AssertionError(f"$WIRE/vxlan.pcap cannot be read: {exc}. Capture again:\n"
                             f"  {how}") from None
    tunnelled = [v for v in map(pcap.vxlan, frames) if v is not None]
    assert tunnelled, (
        f"$WIRE/vxlan.pcap holds {len(frames)} packets, none of them VXLAN (UDP "
        f"{pcap.VXLAN_PORT}). Was lab-vm1 pinging lab-vm2 while you captured compute2's data "
        f"interface? Capture again:\n  {how}")
    vni = net.provider_segmentation_id
    vnis = sorted({v[2] for v in tunnelled})
    assert vni in vnis, (
        f"The VXLAN packets in $WIRE/vxlan.pcap carry VNI {', '.join(map(str, vnis))}, but "
        f"lab-net's VNI is {vni}\n({ADMIN} network show lab-net -c provider:segmentation_id):"
        f" they are another network's traffic. Ping lab-vm2 from lab-vm1 (both on lab-net)"
        f" while you capture.")
    ends = {_data_address(wire, host) for host in SERVERS.values()}
    pairs = {frozenset(pcap.ping(v[3]) or ()) for v in tunnelled if v[2] == vni}
    wanted = frozenset(_address(servers[name]) for name in SERVERS)
    assert wanted in pairs, (
        f"No ping between lab-vm1 and lab-vm2 ({' and '.join(sorted(wanted))}) is inside "
        f"lab-net's VXLAN packets in $WIRE/vxlan.pcap. Capture while the ping runs:\n"
        f"  {how}")
    outer = {frozenset(v[:2]) for v in tunnelled if v[2] == vni and pcap.ping(v[3])}
    assert frozenset(ends) in outer, (
        f"The ping's VXLAN packets should travel between compute1 and compute2's data "
        f"addresses ({' and '.join(sorted(ends))}); these do not. Is lab-vm1 on compute1 and "
        f"lab-vm2 on compute2?")


def _link_blocks(text: str) -> dict[str, str]:
    """`ip -d link show` output, by interface name (without the @peer)."""
    blocks, name = {}, None
    for line in text.splitlines():
        if line[:1].isdigit() and ": " in line:
            name = line.split(": ", 2)[1].split("@")[0]
            blocks[name] = line
        elif name is not None:
            blocks[name] += "\n" + line
    return blocks


def test_links_show_lab_nets_bridge_its_vxlan_uplink_and_lab_vm1s_tap(wire, admin):
    """(netns mode) $WIRE/compute1-links.txt: lab-net's bridge on compute1, its vxlan and tap."""
    servers, net = _ready(admin)
    namespace = f"{wire.netns_prefix}-compute1"
    how = f"ip netns exec {namespace} ip -d link show > $WIRE/compute1-links.txt"
    blocks = _link_blocks(_file(wire, "compute1-links.txt", how).decode(errors="replace"))
    bridge, vni = f"brq{net.id[:11]}", net.provider_segmentation_id
    assert bridge in blocks, (
        f"$WIRE/compute1-links.txt shows no bridge {bridge} (brq + the first 11 characters "
        f"of lab-net's id). Is it `ip -d link show` inside compute1's namespace, {namespace}?"
        f"\n  {how}")
    vxlan = blocks.get(f"vxlan-{vni}", "")
    local = _data_address(wire, "compute1")
    assert f"vxlan id {vni} " in vxlan and f"local {local} " in vxlan, (
        f"$WIRE/compute1-links.txt has no vxlan-{vni} with `vxlan id {vni} ... local {local}`"
        f": lab-net's tunnel (VNI {vni}) from compute1's data address. Make it again:\n"
        f"  {how}")
    assert f"master {bridge} " in vxlan, (
        f"In $WIRE/compute1-links.txt vxlan-{vni} is not a port of {bridge}. Make it again "
        f"while lab-vm1 runs:\n  {how}")
    ports = list(admin.network.ports(device_id=servers["lab-vm1"].id))
    assert ports, "lab-vm1 has no port: boot it again (checkpoint 7)."
    tap = f"tap{ports[0].id[:11]}"
    assert f"master {bridge} " in blocks.get(tap, ""), (
        f"$WIRE/compute1-links.txt does not show lab-vm1's tap {tap} (tap + the first 11 "
        f"characters of its port's id) plugged into {bridge}. Make it again:\n  {how}")


def test_fdb_sends_lab_vm2s_mac_to_compute2(wire, admin):
    """(netns mode) $WIRE/compute1-fdb.txt: lab-vm2's MAC goes to compute2's data address."""
    servers, net = _ready(admin)
    namespace = f"{wire.netns_prefix}-compute1"
    vni = net.provider_segmentation_id
    how = f"ip netns exec {namespace} bridge fdb show > $WIRE/compute1-fdb.txt"
    lines = _file(wire, "compute1-fdb.txt", how).decode(errors="replace").splitlines()
    ports = list(admin.network.ports(device_id=servers["lab-vm2"].id))
    assert ports, "lab-vm2 has no port: boot it again (checkpoint 7)."
    mac, there = ports[0].mac_address, _data_address(wire, "compute2")
    entries = [line.split() for line in lines if line.startswith(mac)]
    assert entries, (
        f"$WIRE/compute1-fdb.txt has no entry for lab-vm2's MAC {mac}: is it compute1's "
        f"forwarding table, made while lab-vm2 runs?\n  {how}")
    assert any(f"vxlan-{vni}" in e and "dst" in e and e[e.index("dst") + 1] == there
               for e in entries), (
        f"In $WIRE/compute1-fdb.txt lab-vm2's MAC {mac} does not point at {there} "
        f"(compute2's data address) on vxlan-{vni}: {' / '.join(map(' '.join, entries))}.\n"
        f"Where did the table come from? Make it again in {namespace}:\n  {how}")
