"""The learner's Nova commands through the real `openstack` CLI and openstacksdk, on a live
cloud: flavors, key pairs, the server lifecycle (create, list, show, stop, start, reboot,
live migration, console log, delete), hypervisors and compute services; the error cases a
learner meets; and the boot/migrate/delete flow again over RabbitMQ."""

from __future__ import annotations

import time
import uuid

import openstack
import pytest
import requests

from tests.livecloud import LiveCloud

ADMIN = "minicloud-admin"
# A fixed ed25519 public key: the server only stores it and computes its fingerprint.
PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvYFlpD5FvXh7eWW3GkqQ7oZ6w0rZ1Xk0Oq0t3n"
              "Jk1p learner@minicloud")


def nova_url(cloud, path=""):
    return cloud.config.base_url("compute") + "/v2.1" + path


def test_version_document_and_microversions(cloud):
    doc = requests.get(nova_url(cloud), timeout=10).json()["version"]
    assert doc["id"] == "v2.1" and doc["min_version"] == "2.1" and doc["version"] >= "2.90"
    assert doc["links"][0]["href"].endswith("/v2.1/")
    root = requests.get(cloud.config.base_url("compute") + "/", timeout=10)
    assert root.status_code == 200  # as Nova answers `GET /` (300 is for unknown paths)
    assert [v["id"] for v in root.json()["versions"]] == ["v2.0", "v2.1"]
    token = cloud.sdk().auth_token
    for header in ({"OpenStack-API-Version": "compute 2.53"},
                   {"X-OpenStack-Nova-API-Version": "2.53"}):
        r = requests.get(nova_url(cloud, "/flavors"), headers={"X-Auth-Token": token, **header},
                         timeout=10)
        assert r.headers["OpenStack-API-Version"] == "compute 2.53"
        assert r.headers["X-OpenStack-Nova-API-Version"] == "2.53"
        assert "OpenStack-API-Version" in r.headers["Vary"]
    r = requests.get(nova_url(cloud, "/flavors"), timeout=10, headers={
        "X-Auth-Token": token, "OpenStack-API-Version": "compute 3.0"})
    assert r.status_code == 406 and "maximum is 2.96" in r.json()["notAcceptable"]["message"]


def test_flavor_list_has_devstacks_flavors(cloud):
    flavors = {f["Name"]: f for f in cloud.cli_json("flavor", "list")}
    tiny = flavors["m1.tiny"]
    assert (tiny["ID"], tiny["RAM"], tiny["Disk"], tiny["VCPUs"]) == ("1", 512, 1, 1)
    assert {"m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= set(flavors)


def test_flavor_create_extra_specs_and_delete_as_admin(cloud):
    cloud.cli_json("flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1",
                   "--property", "hw:cpu_policy=shared", "lab.small", cloud=ADMIN)
    shown = cloud.cli_json("flavor", "show", "lab.small", cloud=ADMIN)
    assert shown["properties"] == {"hw:cpu_policy": "shared"}
    again = cloud.cli("flavor", "create", "--ram", "256", "--disk", "1", "lab.small",
                      cloud=ADMIN, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    denied = cloud.cli("flavor", "create", "--ram", "1", "--disk", "1", "x", check=False)
    assert denied.returncode != 0 and "403" in denied.stderr
    cloud.cli("flavor", "delete", "lab.small", cloud=ADMIN)


@pytest.fixture(scope="module")
def keypair(cloud, tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "id.pub"
    path.write_text(PUBLIC_KEY + "\n")
    return cloud.cli_json("keypair", "create", "--public-key", str(path), "mykey")


@pytest.fixture(scope="module")
def vm1(cloud, keypair):
    return cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                          "--network", "private", "--key-name", "mykey", "--wait", "vm1")


def test_keypair_import(cloud, keypair):
    assert keypair["name"] == "mykey" and keypair["type"] == "ssh"
    assert len(keypair["fingerprint"].split(":")) == 16
    assert [k["Name"] for k in cloud.cli_json("keypair", "list")] == ["mykey"]


def test_server_create_wait_is_active_with_an_address(cloud, vm1):
    assert vm1["status"] == "ACTIVE" and vm1["key_name"] == "mykey"
    assert vm1["addresses"]["private"][0].startswith("172.16.1.")  # as OSC's JSON formats it
    assert vm1["flavor"]["original_name"] == "m1.tiny"


def test_trace_last_shows_the_boot_as_a_sequence_diagram(cloud, vm1):
    from tests.livecloud import minicloud

    text = minicloud("trace", "last", home=cloud.home).stdout  # the boot: the last write
    assert "POST /v2.1/servers" in text.splitlines()[0]
    for hop in ("client -> nova-api", "nova-api -) nova-conductor",
                "nova-conductor -> nova-scheduler", "-> glance", "-> neutron",
                "-> fake-driver@compute", "server ACTIVE", "chose compute"):
        assert hop in text, hop
    mermaid = minicloud("trace", "last", "--mermaid", home=cloud.home).stdout
    assert mermaid.startswith("sequenceDiagram") and "as nova-scheduler" in mermaid


def test_server_list_and_show(cloud, vm1):
    rows = {r["Name"]: r for r in cloud.cli_json("server", "list")}
    assert rows["vm1"]["Status"] == "ACTIVE" and rows["vm1"]["Image"] == "cirros"
    assert rows["vm1"]["Flavor"] == "m1.tiny" and rows["vm1"]["Networks"]["private"]
    shown = cloud.cli_json("server", "show", "vm1")
    assert shown["id"] == vm1["id"] and shown["OS-EXT-STS:power_state"] in (1, "Running")


def _addresses(cloud, server_id):
    return cloud.sdk().compute.get(f"/servers/{server_id}", headers={
        "OpenStack-API-Version": "compute 2.96"}).json()["server"]["addresses"]["private"]


def _poll(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_floating_ip_reaches_server_addresses_through_external_events(cloud, vm1):
    fip = cloud.cli_json("floating", "ip", "create", "public")["floating_ip_address"]
    cloud.cli("server", "add", "floating", "ip", "vm1", fip)
    from tests.livecloud import minicloud

    def story():  # the trace of that command: Neutron told Nova, the host asked Neutron
        return minicloud("trace", "last", home=cloud.home).stdout

    _poll(lambda: "network info cache: private 172.16.1." in story())
    for hop in ("neutron-server -> nova-api", "POST /v2.1/os-server-external-events",
                "cast compute.external_instance_event", "-> neutron-server", f"+ {fip}"):
        assert hop in story(), hop
    _poll(lambda: fip in [a["addr"] for a in _addresses(cloud, vm1["id"])])
    [floating] = [a for a in _addresses(cloud, vm1["id"]) if a["addr"] == fip]
    assert floating["OS-EXT-IPS:type"] == "floating"
    assert fip in cloud.cli_json("server", "show", "vm1")["addresses"]["private"]
    ips = {a["addr"] for a in cloud.sdk().compute.server_ips(vm1["id"])}
    assert fip in ips
    cloud.cli("server", "remove", "floating", "ip", "vm1", fip)
    _poll(lambda: fip not in [a["addr"] for a in _addresses(cloud, vm1["id"])])
    cloud.cli("floating", "ip", "delete", fip)


def test_port_created_for_the_server_and_bound_to_its_host(cloud, vm1):
    admin = cloud.sdk(ADMIN)
    [port] = list(admin.network.ports(device_id=vm1["id"]))
    server = admin.compute.get_server(vm1["id"])
    assert port.device_owner == "compute:nova"
    assert port.binding_host_id == server.compute_host


def test_stop_start_reboot(cloud, vm1):
    cloud.cli("server", "stop", "vm1")
    conn = cloud.sdk()
    server = conn.compute.wait_for_server(conn.compute.get_server(vm1["id"]), status="SHUTOFF",
                                          interval=0.2, wait=30)
    assert server.power_state == 4
    wrong = cloud.cli("server", "stop", "vm1", check=False)
    assert wrong.returncode != 0 and "409" in wrong.stderr and "vm_state stopped" in wrong.stderr
    cloud.cli("server", "start", "vm1")
    conn.compute.wait_for_server(conn.compute.get_server(vm1["id"]), status="ACTIVE",
                                 interval=0.2, wait=30)
    cloud.cli("server", "reboot", "--wait", "vm1")
    assert cloud.cli_json("server", "show", "vm1")["status"] == "ACTIVE"


def test_console_log_tells_the_boot_story(cloud, vm1):
    out = cloud.cli("console", "log", "show", "vm1").stdout
    assert "Linux version" in out and "vm1 login:" in out and "mykey" in out


def test_live_migration_to_compute2_and_back(cloud, vm1):
    admin = cloud.sdk(ADMIN)
    source = admin.compute.get_server(vm1["id"]).compute_host
    dest = "compute2" if source == "compute1" else "compute1"
    cloud.cli("server", "migrate", "--live-migration", "--host", dest, "--wait", vm1["id"],
              cloud=ADMIN)
    server = admin.compute.get_server(vm1["id"])
    assert server.compute_host == dest and server.status == "ACTIVE"
    [port] = list(admin.network.ports(device_id=vm1["id"]))
    assert port.binding_host_id == dest
    assert "arrived on hypervisor" in cloud.cli("console", "log", "show", "vm1").stdout


def test_hypervisor_and_compute_service_lists(cloud, vm1):
    hypervisors = {h["Hypervisor Hostname"]: h for h in
                   cloud.cli_json("hypervisor", "list", cloud=ADMIN)}
    assert {"compute1", "compute2"} <= set(hypervisors)
    assert hypervisors["compute1"]["State"] == "up"
    assert hypervisors["compute1"]["Hypervisor Type"] == "fake"
    services = cloud.cli_json("compute", "service", "list", cloud=ADMIN)
    pairs = {(s["Binary"], s["Host"], s["State"], s["Status"]) for s in services}
    assert ("nova-compute", "compute1", "up", "enabled") in pairs
    assert ("nova-conductor", "controller", "up", "enabled") in pairs
    assert ("nova-scheduler", "controller", "up", "enabled") in pairs


def test_server_event_list(cloud, vm1):
    actions = [e["Action"] for e in cloud.cli_json("server", "event", "list", "vm1")]
    assert actions[-1] == "create" and "stop" in actions and "reboot" in actions


def test_cold_migrate_and_confirm(cloud, vm1):
    admin = cloud.sdk(ADMIN)
    source = admin.compute.get_server(vm1["id"]).compute_host
    cloud.cli("server", "migrate", "--wait", vm1["id"], cloud=ADMIN)
    server = admin.compute.get_server(vm1["id"])
    assert server.status == "VERIFY_RESIZE" and server.compute_host != source
    cloud.cli("server", "migration", "confirm", vm1["id"], cloud=ADMIN)
    server = admin.compute.wait_for_server(server, status="ACTIVE", interval=0.2, wait=30)
    assert server.compute_host != source


# -- what goes wrong ------------------------------------------------------------------------
def _post_server(conn, **server):
    body = {"name": "bad", "imageRef": server.pop("image", None), "flavorRef": "1",
            "networks": "none", **server}
    return conn.compute.post("/servers", json={"server": body},
                             headers={"OpenStack-API-Version": "compute 2.96"})


def _image_id(cloud):
    return cloud.sdk().image.find_image("cirros").id


def test_unknown_image_flavor_network_are_400_in_nova_format(cloud):
    conn = cloud.sdk()
    r = _post_server(conn, image=str(uuid.uuid4()))
    assert r.status_code == 400 and "could not be found" in r.json()["badRequest"]["message"]
    r = _post_server(conn, image=_image_id(cloud), flavorRef="no-such-flavor")
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == (
        "Flavor no-such-flavor could not be found.")
    net = str(uuid.uuid4())
    r = _post_server(conn, image=_image_id(cloud), networks=[{"uuid": net}])
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == (
        f"Network {net} could not be found.")
    result = cloud.cli("server", "show", "no-such-server", check=False)
    assert result.returncode != 0 and "No Server found for no-such-server" in result.stderr


def test_bad_keypair_and_flavor_through_the_cli(cloud, tmp_path):
    truncated = tmp_path / "bad.pub"
    truncated.write_text(PUBLIC_KEY[:40] + "\n")
    r = cloud.cli("keypair", "create", "--public-key", str(truncated), "badkey", check=False)
    assert r.returncode != 0 and "Keypair data is invalid" in r.stderr
    for extra in (["--id", "../../x"], ["--rxtx-factor", "-1"], ["--ram", "2147483648"]):
        r = cloud.cli("flavor", "create", "--ram", "64", "--disk", "1", *extra, "badflavor",
                      cloud=ADMIN, check=False)
        assert r.returncode != 0 and "400" in r.stderr, extra
    r = cloud.cli("flavor", "create", "--ram", "64", "--disk", "1", "   ", cloud=ADMIN,
                  check=False)
    assert r.returncode != 0


def test_create_password_min_count_and_access_ips(cloud):
    vm = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                        "--nic", "none", "--password", "Sup3r-secret", "opts")
    assert vm["adminPass"] == "Sup3r-secret"
    conn = cloud.sdk()
    assert conn.compute.update_server(vm["id"], access_ipv4="192.0.2.44").access_ipv4 == (
        "192.0.2.44")
    with pytest.raises(openstack.exceptions.BadRequestException):
        conn.compute.update_server(vm["id"], access_ipv4="garbage")
    r = _post_server(conn, image=_image_id(cloud), name="pair", min_count=2)
    assert r.status_code == 202, r.text
    pair = [s for s in conn.compute.servers() if s.name.startswith("pair-")]
    assert sorted(s.name for s in pair) == ["pair-1", "pair-2"]
    r = _post_server(conn, image=_image_id(cloud), security_groups=[{"name": "nope"}])
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == (
        "Security group nope not found.")
    for server in pair + [conn.compute.get_server(vm["id"])]:
        conn.compute.delete_server(server)


def test_flavor_too_small_for_the_images_min_disk(cloud, tmp_path):
    data = tmp_path / "disk.img"
    data.write_bytes(b"\0" * 1024)
    cloud.cli_json("image", "create", "--file", str(data), "--disk-format", "qcow2",
                   "--container-format", "bare", "--min-disk", "5", "bigdisk")
    result = cloud.cli("server", "create", "--image", "bigdisk", "--flavor", "m1.tiny",
                       "--network", "private", "tiny-for-bigdisk", check=False)
    assert result.returncode != 0 and "Flavor's disk is too small" in result.stderr


def test_no_host_with_enough_ram_is_no_valid_host(cloud):
    cloud.cli_json("flavor", "create", "--ram", "40000", "--disk", "1", "--vcpus", "1",
                   "lab.huge", cloud=ADMIN)
    try:
        result = cloud.cli("server", "create", "--image", "cirros", "--flavor", "lab.huge",
                           "--nic", "none", "--wait", "too-big", cloud=ADMIN, check=False)
        assert result.returncode != 0
        server = cloud.cli_json("server", "show", "too-big", cloud=ADMIN)
        assert server["status"] == "ERROR"
        assert server["fault"]["message"].startswith("No valid host was found.")
        cloud.cli("server", "delete", "--wait", "too-big", cloud=ADMIN)
    finally:
        cloud.cli("flavor", "delete", "lab.huge", cloud=ADMIN)


def test_quota_exceeded_is_403(cloud):
    admin = cloud.sdk(ADMIN)
    project = admin.identity.create_project(name="nova-quota", domain_id="default")
    user = admin.identity.create_user(name="quinn", password="q", domain_id="default",
                                      default_project_id=project.id)
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, member)
    r = admin.compute.put(f"/os-quota-sets/{project.id}",
                          json={"quota_set": {"instances": 1}})
    assert r.status_code == 200 and r.json()["quota_set"]["instances"] == 1
    quinn = ["--os-username", "quinn", "--os-password", "q", "--os-project-name", "nova-quota"]
    create = ["server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none"]
    cloud.cli(*create, "--wait", "q1", *quinn)
    result = cloud.cli(*create, "q2", *quinn, check=False)
    assert result.returncode != 0 and "403" in result.stderr
    assert ("Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
            in result.stderr)
    limits = cloud.cli_json("limits", "show", "--absolute", *quinn)
    assert {"Name": "instances_used", "Value": 1} in limits
    cloud.cli("server", "delete", "--wait", "q1", *quinn)


def test_another_projects_server_is_404(cloud, vm1):
    admin = cloud.sdk(ADMIN)
    r = admin.compute.get(f"/servers/{vm1['id']}")
    assert r.status_code == 200  # admins see every project's servers by id
    demo_server = vm1["id"]
    other = admin.compute.post("/servers", json={"server": {
        "name": "admins", "imageRef": _image_id(cloud), "flavorRef": "1", "networks": "none"}},
        headers={"OpenStack-API-Version": "compute 2.96"}).json()["server"]["id"]
    r = cloud.sdk().compute.get(f"/servers/{other}")
    assert r.status_code == 404 and r.json()["itemNotFound"]["message"] == (
        f"Instance {other} could not be found.")
    assert demo_server != other
    admin.compute.delete(f"/servers/{other}")


def test_action_in_the_wrong_state_is_409(cloud, vm1):
    r = cloud.sdk().compute.post(f"/servers/{vm1['id']}/action", json={"os-start": None})
    assert r.status_code == 409
    assert "while it is in vm_state active" in r.json()["conflictingRequest"]["message"]


def test_server_delete_wait_removes_server_and_port(cloud, vm1):
    cloud.cli("server", "delete", "--wait", "vm1")
    assert "vm1" not in {r["Name"] for r in cloud.cli_json("server", "list")}
    assert list(cloud.sdk(ADMIN).network.ports(device_id=vm1["id"])) == []


# -- the same flow over RabbitMQ ------------------------------------------------------------
@pytest.fixture(scope="module")
def rabbit_cloud(tmp_path_factory, rabbitmq_url):
    live = LiveCloud(tmp_path_factory.mktemp("rabbit-nova"))
    live.up("--transport-url", rabbitmq_url)
    yield live
    live.down()


@pytest.mark.rabbitmq
def test_boot_live_migrate_delete_over_rabbitmq(rabbit_cloud):
    cloud = rabbit_cloud
    vm = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                        "--network", "private", "--wait", "rvm")
    assert vm["status"] == "ACTIVE"
    admin = cloud.sdk(ADMIN)
    source = admin.compute.get_server(vm["id"]).compute_host
    dest = "compute2" if source == "compute1" else "compute1"
    cloud.cli("server", "migrate", "--live-migration", "--host", dest, "--wait", vm["id"],
              cloud=ADMIN)
    assert admin.compute.get_server(vm["id"]).compute_host == dest
    assert "login:" in cloud.cli("console", "log", "show", "rvm").stdout
    cloud.cli("server", "delete", "--wait", "rvm")
    assert list(admin.network.ports(device_id=vm["id"])) == []
