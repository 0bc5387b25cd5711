"""The boot flow over RPC: nova-api -> conductor -> scheduler -> compute host -> driver."""

import time


def test_boot_reaches_active_with_a_port_bound_to_its_host(nova):
    server = nova.boot("vm1")
    assert server["status"] == "ACTIVE" and server["OS-EXT-STS:power_state"] == 1
    [port] = nova.networks.ports(device_id=server["id"])
    assert port["device_owner"] == "compute:nova" and port["project_id"] == "p-demo"
    admin_view = nova.server(server["id"])
    assert port["binding:host_id"] == admin_view["OS-EXT-SRV-ATTR:host"]
    assert server["addresses"]["private"][0]["addr"] == port["fixed_ips"][0]["ip_address"]
    assert server["flavor"]["original_name"] == "m1.tiny"


def test_show_has_every_field_even_when_null(nova):
    server = nova.boot("vm1", wait=None)
    body = nova.request("GET", f"/servers/{server}", "admin").json["server"]
    for field in ("OS-EXT-STS:task_state", "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state",
                  "OS-EXT-AZ:availability_zone", "OS-DCF:diskConfig", "OS-SRV-USG:launched_at",
                  "OS-SRV-USG:terminated_at", "accessIPv4", "accessIPv6", "config_drive",
                  "progress", "hostId", "security_groups", "tenant_id", "user_id", "key_name",
                  "metadata", "created", "updated", "addresses", "links", "image", "flavor",
                  "os-extended-volumes:volumes_attached", "OS-EXT-SRV-ATTR:host",
                  "OS-EXT-SRV-ATTR:hypervisor_hostname", "OS-EXT-SRV-ATTR:instance_name",
                  "locked", "description", "tags", "pinned_availability_zone"):
        assert field in body, field


def test_old_microversion_gets_flavor_link(nova):
    server_id = nova.boot("vm1")["id"]
    body = nova.request("GET", f"/servers/{server_id}", version="2.30").json["server"]
    assert body["flavor"]["id"] == "1" and "locked" in body and "tags" in body
    assert "pinned_availability_zone" not in body


def test_scheduler_spreads_by_ram_and_explains(nova):
    a = nova.server(nova.boot("a")["id"])
    b = nova.server(nova.boot("b")["id"])
    assert {a["OS-EXT-SRV-ATTR:host"], b["OS-EXT-SRV-ATTR:host"]} == {"compute1", "compute2"}
    actions = nova.request("GET", f"/servers/{a['id']}/os-instance-actions").json
    request_id = actions["instanceActions"][0]["request_id"]
    events = nova.request("GET", f"/servers/{a['id']}/os-instance-actions/{request_id}",
                          "admin").json["instanceAction"]["events"]
    schedule = [e for e in events if e["event"] == "conductor_schedule_and_build_instances"][0]
    assert "weigher RAMWeigher" in schedule["details"] and "chose" in schedule["details"]
    assert [e["event"] for e in events][-1] == "compute__do_build_and_run_instance"


def test_no_host_with_enough_ram_is_error_no_valid_host(nova):
    nova.request("POST", "/flavors", "admin", {"flavor": {
        "name": "huge", "ram": 10 ** 6, "vcpus": 1, "disk": 1, "id": "huge"}})
    nova.store.set_quota_limit("p-demo", "ram", -1)
    server = nova.boot("big", flavor="huge", wait="ERROR")
    assert server["fault"]["message"].startswith("No valid host was found.")
    assert "RamFilter" in server["fault"]["message"]
    assert nova.networks.ports(device_id=server["id"]) == []


def test_spawn_failure_reschedules_on_the_other_host(nova):
    nova.hosts["compute1"].driver.fail_spawn = True
    nova.hosts["compute2"].driver.fail_spawn = True
    server = nova.boot("doomed", wait="ERROR")
    assert "Exceeded maximum number of retries" in server["fault"]["message"]
    assert nova.networks.port_table == {}
    assert nova.store.used() == {}
    nova.hosts["compute1"].driver.fail_spawn = False
    ok = nova.server(nova.boot("lucky")["id"])
    assert ok["OS-EXT-SRV-ATTR:host"] == "compute1"


def test_reschedule_lands_on_a_working_host(nova):
    nova.hosts["compute1"].driver.fail_spawn = True
    nova.config.scheduler_weigher = "ram_spread"
    server = nova.server(nova.boot("vm")["id"])
    assert server["OS-EXT-SRV-ATTR:host"] == "compute2"
    assert len(nova.networks.port_table) == 1


def test_port_failure_leaves_error_and_no_claim(nova):
    nova.networks.fail_create = True
    server = nova.boot("vm", wait="ERROR")
    assert "network" in server["fault"]["message"]
    assert nova.store.used() == {}


def test_delete_frees_port_and_resources(nova):
    server = nova.boot("vm1")
    result = nova.request("DELETE", f"/servers/{server['id']}")
    assert result.status_code == 204
    nova.wait(server["id"], None)
    assert nova.request("GET", f"/servers/{server['id']}").status_code == 404
    assert nova.networks.port_table == {} and nova.store.used() == {}


def test_stopped_host_goes_down_and_is_not_chosen(nova):
    nova.hosts["compute2"].stop()
    time.sleep(1.3)
    services = nova.request("GET", "/os-services", "admin").json["services"]
    states = {s["host"]: s["state"] for s in services if s["binary"] == "nova-compute"}
    assert states == {"compute1": "up", "compute2": "down"}
    for name in ("a", "b"):
        assert nova.server(nova.boot(name)["id"])["OS-EXT-SRV-ATTR:host"] == "compute1"


def test_a_restarted_host_recovers_its_instances(nova):
    server = nova.server(nova.boot("vm1")["id"])
    host = nova.hosts[server["OS-EXT-SRV-ATTR:host"]]
    host.stop()
    host.driver.vms.clear()  # a new process: the hypervisor's memory is gone
    host.start()
    out = nova.action(server["id"], {"os-getConsoleOutput": {}}).json["output"]
    assert "instance recovered" in out
    assert nova.action(server["id"], {"os-stop": None}).status_code == 202
    nova.wait(server["id"], "SHUTOFF")


def test_an_unexpected_failure_on_the_host_leaves_error_and_nothing_behind(nova):
    check = nova.networks.network

    def broken(network_id, token=None):
        if token is None:  # nova-compute's call (service token), after the port exists
            raise RuntimeError("Neutron answered garbage")
        return check(network_id, token)

    nova.networks.network = broken
    server = nova.boot("vm", wait="ERROR")
    assert "Neutron answered garbage" in server["fault"]["message"]
    assert nova.networks.port_table == {} and nova.store.used() == {}


def test_an_admin_places_a_server_on_a_host_with_zone_colon_host(nova):
    for _ in range(2):  # both on compute2, which spreading by RAM alone would never do
        server = nova.boot("pinned", token="admin", availability_zone="nova:compute2")
        assert nova.server(server["id"])["OS-EXT-SRV-ATTR:host"] == "compute2"
        assert server["OS-EXT-AZ:availability_zone"] == "nova"
    body = {"name": "x", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
            "networks": [{"uuid": nova.networks.private["id"]}]}
    denied = nova.request("POST", "/servers", "demo",
                          {"server": {**body, "availability_zone": "nova:compute2"}})
    assert denied.status_code == 403 and "forced_host" in denied.text
    other = nova.request("POST", "/servers", "admin",
                         {"server": {**body, "availability_zone": "elsewhere:compute2"}})
    assert other.status_code == 400
    nowhere = nova.boot("nowhere", token="admin", availability_zone="nova:compute9",
                        wait="ERROR")
    assert "IgnoreForceHostsFilter" in nowhere["fault"]["message"]
