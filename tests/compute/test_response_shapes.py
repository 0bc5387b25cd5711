"""The response-shape audit, as tests: the exact key sets of Nova's main bodies at 2.1,
2.47 and 2.96 (and where a body changes in between), as the api-ref and Nova's own
response schemas list them. A missing or an extra key fails. docs/services/nova.md holds
the same audit as a table."""

from __future__ import annotations

import pytest

from tests.compute.fakes import PUBLIC_KEY

BASE = {"id", "name", "links", "status", "tenant_id", "user_id", "metadata", "hostId", "image",
        "flavor", "created", "updated", "addresses", "accessIPv4", "accessIPv6",
        "OS-DCF:diskConfig", "progress"}  # progress: ACTIVE, BUILD, RESIZE, ... only
FULL = {"key_name", "config_drive", "OS-EXT-AZ:availability_zone", "OS-EXT-STS:vm_state",
        "OS-EXT-STS:task_state", "OS-EXT-STS:power_state", "OS-SRV-USG:launched_at",
        "OS-SRV-USG:terminated_at", "os-extended-volumes:volumes_attached", "security_groups"}
ADMIN_21 = {"OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:hypervisor_hostname",
            "OS-EXT-SRV-ATTR:instance_name"}
ADMIN_23 = ADMIN_21 | {"OS-EXT-SRV-ATTR:reservation_id", "OS-EXT-SRV-ATTR:launch_index",
                       "OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:kernel_id",
                       "OS-EXT-SRV-ATTR:ramdisk_id", "OS-EXT-SRV-ATTR:root_device_name",
                       "OS-EXT-SRV-ATTR:user_data"}
V247 = {"locked", "description", "tags"}  # 2.9, 2.19, 2.26
V296 = V247 | {"trusted_image_certificates", "locked_reason", "OS-EXT-SRV-ATTR:hostname",
               "pinned_availability_zone"}  # 2.63, 2.73, 2.90, 2.96 (+ server_groups 2.71)


@pytest.fixture
def server(nova):
    return nova.boot()


def show(nova, server_id, version, token="demo"):
    return nova.request("GET", f"/servers/{server_id}", token, version=version).json["server"]


@pytest.mark.parametrize("version,token,expected", [
    ("2.1", "demo", BASE | FULL),
    ("2.1", "admin", BASE | FULL | ADMIN_21),
    ("2.47", "demo", BASE | FULL | V247),
    ("2.47", "admin", BASE | FULL | V247 | ADMIN_23 | {"host_status"}),
    ("2.96", "demo", BASE | FULL | V296 | {"server_groups"}),
    ("2.96", "admin", BASE | FULL | V296 | ADMIN_23 | {"server_groups", "host_status"}),
])
def test_server_show_keys(nova, server, version, token, expected):
    body = show(nova, server["id"], version, token)
    assert set(body) == expected
    if token == "admin" and version != "2.1":
        assert body["host_status"] == "UP"


def test_server_detail_has_no_server_groups_and_list_is_three_keys(nova, server):
    detail = nova.request("GET", "/servers/detail", version="2.96").json["servers"][0]
    assert set(detail) == BASE | FULL | V296
    listed = nova.request("GET", "/servers", version="2.96").json
    assert set(listed) == {"servers"} and set(listed["servers"][0]) == {"id", "name", "links"}


def test_embedded_flavor_and_addresses(nova, server):
    old = show(nova, server["id"], "2.1")
    assert set(old["flavor"]) == {"id", "links"}
    new = show(nova, server["id"], "2.47")
    assert set(new["flavor"]) == {"vcpus", "ram", "disk", "ephemeral", "swap",
                                  "original_name", "extra_specs"}
    [address] = new["addresses"]["private"]
    assert set(address) == {"addr", "version", "OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}


@pytest.mark.parametrize("version,expected", [
    ("2.1", BASE),
    ("2.47", BASE | V247),
    ("2.74", BASE | V247 | {"trusted_image_certificates", "server_groups", "locked_reason"}),
    ("2.96", BASE | FULL | V296 | {"server_groups"}),  # from 2.75 PUT answers like GET
])
def test_server_update_answer_is_smaller_before_275(nova, server, version, expected):
    r = nova.request("PUT", f"/servers/{server['id']}", json={"server": {"name": "renamed"}},
                     version=version)
    assert r.status_code == 200 and set(r.json["server"]) == expected
    [address] = r.json["server"]["addresses"]["private"]
    extended = version == "2.96"
    assert set(address) == ({"addr", "version", "OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}
                            if extended else {"addr", "version"})


def test_server_create_answer(nova):
    body = {"name": "c", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
            "networks": "none"}
    r = nova.request("POST", "/servers", json={"server": body})
    assert set(r.json) == {"server"}
    assert set(r.json["server"]) == {"id", "links", "OS-DCF:diskConfig", "security_groups",
                                     "adminPass"}
    r = nova.request("POST", "/servers", json={"server": {**body,
                                                          "return_reservation_id": True}})
    assert r.status_code == 202 and set(r.json) == {"reservation_id"}


FLAVOR_21 = {"id", "name", "links", "ram", "disk", "vcpus", "OS-FLV-EXT-DATA:ephemeral", "swap",
             "rxtx_factor", "os-flavor-access:is_public", "OS-FLV-DISABLED:disabled"}


@pytest.mark.parametrize("version,detail,summary", [
    ("2.1", FLAVOR_21, {"id", "name", "links"}),
    ("2.55", FLAVOR_21 | {"description"}, {"id", "name", "links", "description"}),
    ("2.96", FLAVOR_21 | {"description", "extra_specs"}, {"id", "name", "links",
                                                           "description"}),
])
def test_flavor_keys(nova, version, detail, summary):
    assert set(nova.request("GET", "/flavors/1", version=version).json["flavor"]) == detail
    assert set(nova.request("GET", "/flavors", version=version).json["flavors"][0]) == summary
    swap = nova.request("GET", "/flavors/1", version=version).json["flavor"]["swap"]
    assert swap == (0 if version == "2.96" else "")  # numeric from 2.75


@pytest.mark.parametrize("version,created,listed", [
    ("2.1", {"name", "public_key", "fingerprint", "user_id"}, {"name", "public_key",
                                                                "fingerprint"}),
    ("2.2", {"name", "public_key", "fingerprint", "user_id", "type"},
     {"name", "public_key", "fingerprint", "type"}),
    ("2.96", {"name", "public_key", "fingerprint", "user_id", "type"},
     {"name", "public_key", "fingerprint", "type"}),
])
def test_keypair_keys(nova, version, created, listed):
    r = nova.request("POST", "/os-keypairs", version=version,
                     json={"keypair": {"name": "k", "public_key": PUBLIC_KEY}})
    assert set(r.json["keypair"]) == created
    [item] = nova.request("GET", "/os-keypairs", version=version).json["keypairs"]
    assert set(item) == {"keypair"} and set(item["keypair"]) == listed
    shown = nova.request("GET", "/os-keypairs/k", version=version).json["keypair"]
    assert set(shown) == listed | {"user_id", "created_at", "deleted", "deleted_at",
                                   "updated_at", "id"}


def test_keypair_pages_from_235(nova):
    for name in ("a", "b", "c"):
        nova.request("POST", "/os-keypairs", json={"keypair": {"name": name,
                                                               "public_key": PUBLIC_KEY}})
    page = nova.request("GET", "/os-keypairs?limit=2", version="2.35").json
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert page["keypairs_links"][0]["rel"] == "next"
    assert "marker=b" in page["keypairs_links"][0]["href"]
    rest = nova.request("GET", "/os-keypairs?limit=2&marker=b", version="2.35").json
    assert set(rest) == {"keypairs"} and len(rest["keypairs"]) == 1
    old = nova.request("GET", "/os-keypairs?limit=2", version="2.34").json
    assert set(old) == {"keypairs"} and len(old["keypairs"]) == 3


LIMITS_21 = {"maxImageMeta", "maxPersonality", "maxPersonalitySize", "maxSecurityGroupRules",
             "maxSecurityGroups", "maxServerGroupMembers", "maxServerGroups", "maxServerMeta",
             "maxTotalCores", "maxTotalFloatingIps", "maxTotalInstances", "maxTotalKeypairs",
             "maxTotalRAMSize", "totalCoresUsed", "totalFloatingIpsUsed", "totalInstancesUsed",
             "totalRAMUsed", "totalSecurityGroupsUsed", "totalServerGroupsUsed"}
LIMITS_236 = LIMITS_21 - {"maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps",
                          "totalFloatingIpsUsed", "totalSecurityGroupsUsed"}
LIMITS_239 = LIMITS_236 - {"maxImageMeta"}
LIMITS_257 = LIMITS_239 - {"maxPersonality", "maxPersonalitySize"}


@pytest.mark.parametrize("version,expected", [
    ("2.1", LIMITS_21), ("2.36", LIMITS_236), ("2.39", LIMITS_239), ("2.57", LIMITS_257),
    ("2.96", LIMITS_257)])
def test_limits_keys(nova, version, expected):
    body = nova.request("GET", "/limits", version=version).json
    assert set(body) == {"limits"} and body["limits"]["rate"] == []
    assert set(body["limits"]["absolute"]) == expected


QUOTAS_21 = {"instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items",
             "key_pairs", "security_groups", "security_group_rules", "injected_files",
             "injected_file_content_bytes", "injected_file_path_bytes", "server_groups",
             "server_group_members"}
QUOTAS_236 = QUOTAS_21 - {"floating_ips", "fixed_ips", "security_groups",
                          "security_group_rules"}
QUOTAS_257 = QUOTAS_236 - {"injected_files", "injected_file_content_bytes",
                           "injected_file_path_bytes"}


@pytest.mark.parametrize("version,expected", [
    ("2.1", QUOTAS_21), ("2.36", QUOTAS_236), ("2.57", QUOTAS_257)])
def test_quota_set_keys(nova, version, expected):
    path = "/os-quota-sets/p-demo"
    for suffix in ("", "/defaults", "/detail"):
        body = nova.request("GET", path + suffix, version=version).json["quota_set"]
        assert set(body) == expected | {"id"}
    detail = nova.request("GET", path + "/detail", version=version).json["quota_set"]
    assert set(detail["cores"]) == {"limit", "in_use", "reserved"}
    updated = nova.request("PUT", path, "admin", {"quota_set": {"cores": 30}},
                           version=version).json["quota_set"]
    assert set(updated) == expected  # no id in the update answer
    dropped = nova.request("PUT", path, "admin", {"quota_set": {"floating_ips": 3}},
                           version=version)
    assert dropped.status_code == (200 if version == "2.1" else 400)


HYPERVISOR = {"id", "hypervisor_hostname", "state", "status"}
HYPERVISOR_DETAIL = HYPERVISOR | {"hypervisor_type", "hypervisor_version", "host_ip",
                                  "service"}
RESOURCES = {"vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
             "local_gb_used", "free_ram_mb", "free_disk_gb", "current_workload",
             "running_vms", "disk_available_least", "cpu_info"}


@pytest.mark.parametrize("version,detail", [
    ("2.1", HYPERVISOR_DETAIL | RESOURCES), ("2.53", HYPERVISOR_DETAIL | RESOURCES),
    ("2.88", HYPERVISOR_DETAIL | {"uptime"})])
def test_hypervisor_and_service_keys(nova, version, detail):
    listed = nova.request("GET", "/os-hypervisors", "admin", version=version).json
    assert set(listed["hypervisors"][0]) == HYPERVISOR
    rows = nova.request("GET", "/os-hypervisors/detail", "admin", version=version).json
    assert set(rows["hypervisors"][0]) == detail
    assert set(rows["hypervisors"][0]["service"]) == {"host", "id", "disabled_reason"}
    services = nova.request("GET", "/os-services", "admin", version=version).json["services"]
    assert set(services[0]) == {"id", "binary", "host", "zone", "status", "state",
                                "updated_at", "disabled_reason"} | (
        set() if version == "2.1" else {"forced_down"})  # 2.11


def test_legacy_service_updates_name_what_changed(nova):
    def put(verb, **body):
        return nova.request("PUT", f"/os-services/{verb}", "admin", version="2.11",
                            json={"host": "compute1", "binary": "nova-compute", **body}
                            ).json["service"]

    assert set(put("disable")) == {"host", "binary", "status"}
    assert set(put("disable-log-reason", disabled_reason="x")) == {
        "host", "binary", "status", "disabled_reason"}
    assert set(put("enable")) == {"host", "binary", "status"}
    assert set(put("force-down", forced_down=False)) == {"host", "binary", "forced_down"}


def test_availability_zone_and_metadata_keys(nova, server):
    zones = nova.request("GET", "/os-availability-zone").json["availabilityZoneInfo"]
    assert set(zones[0]) == {"zoneName", "zoneState", "hosts"} and zones[0]["hosts"] is None
    detail = nova.request("GET", "/os-availability-zone/detail", "admin").json
    hosts = detail["availabilityZoneInfo"][0]["hosts"]
    assert set(hosts["compute1"]["nova-compute"]) == {"available", "active", "updated_at"}
    path = f"/servers/{server['id']}/metadata"
    assert nova.request("POST", path, json={"metadata": {"a": "1"}}).json == {
        "metadata": {"a": "1"}}
    assert nova.request("PUT", f"{path}/a", json={"meta": {"a": "2"}}).json == {
        "meta": {"a": "2"}}
    assert nova.request("GET", f"{path}/a").json == {"meta": {"a": "2"}}
