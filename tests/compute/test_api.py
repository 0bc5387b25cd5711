"""nova-api on its own: discovery, microversions, flavors, key pairs, listing, quotas,
metadata, policy and error bodies (the flow behind it runs for real over RPC)."""

from tests.compute.fakes import PUBLIC_KEY


def test_version_documents_need_no_token(nova):
    r = nova.client.simulate_get("/v2.1")
    doc = r.json["version"]
    assert r.status_code == 200
    assert (doc["id"], doc["min_version"], doc["version"]) == ("v2.1", "2.1", "2.96")
    assert set(doc) == {"id", "status", "version", "min_version", "updated", "links",
                        "media-types"}
    assert [link["rel"] for link in doc["links"]] == ["self", "describedby"]
    root = nova.client.simulate_get("/")  # Nova answers 200 here, not 300
    assert root.status_code == 200 and [v["id"] for v in root.json["versions"]] == ["v2.0",
                                                                                    "v2.1"]
    for entry in root.json["versions"]:
        assert set(entry) == {"id", "status", "version", "min_version", "updated", "links"}
        assert [link["rel"] for link in entry["links"]] == ["self"]


def test_microversion_headers_negotiation_and_406(nova):
    r = nova.request("GET", "/flavors", version=None)
    assert r.headers["OpenStack-API-Version"] == "compute 2.1"
    r = nova.request("GET", "/flavors", version=None,
                     headers={"X-OpenStack-Nova-API-Version": "2.60"})
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.60"
    r = nova.request("GET", "/flavors", version="latest")
    assert r.headers["OpenStack-API-Version"] == "compute 2.96"
    r = nova.request("GET", "/flavors", version="2.97")
    assert r.status_code == 406 and "notAcceptable" in r.json
    r = nova.request("GET", "/flavors", version="two")
    assert r.status_code == 400 and "badRequest" in r.json
    # authtoken answers before Nova reads the version: no token is 401 whatever it asks
    r = nova.request("GET", "/flavors", token=None, version="2.97")
    assert r.status_code == 401 and "unauthorized" in r.json


def test_flavors_and_extra_specs(nova):
    names = [f["name"] for f in nova.request("GET", "/flavors/detail").json["flavors"]]
    assert names == ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
    tiny = nova.request("GET", "/flavors/1").json["flavor"]
    assert (tiny["ram"], tiny["disk"], tiny["vcpus"], tiny["extra_specs"]) == (512, 1, 1, {})
    assert nova.request("GET", "/flavors/m1.tiny").status_code == 404  # name -> list fallback
    body = {"flavor": {"name": "priv", "ram": 64, "vcpus": 1, "disk": 0, "id": None,
                       "os-flavor-access:is_public": False}}
    assert nova.request("POST", "/flavors", "demo", body).status_code == 403
    created = nova.request("POST", "/flavors", "admin", body).json["flavor"]
    assert nova.request("POST", "/flavors", "admin", body).status_code == 409
    listed = lambda token, q: [f["name"] for f in nova.request(  # noqa: E731
        "GET", f"/flavors/detail?is_public={q}", token).json["flavors"]]
    assert "priv" in listed("admin", "None") and "priv" not in listed("admin", "True")
    assert "priv" not in listed("demo", "None")
    r = nova.request("POST", f"/flavors/{created['id']}/os-extra_specs", "admin",
                     {"extra_specs": {"hw:cpu_policy": "shared"}})
    assert r.json == {"extra_specs": {"hw:cpu_policy": "shared"}}
    assert nova.request("GET", f"/flavors/{created['id']}").json["flavor"]["extra_specs"] == {
        "hw:cpu_policy": "shared"}
    assert nova.request("DELETE", f"/flavors/{created['id']}", "admin").status_code == 202


def test_keypairs_are_per_user(nova):
    r = nova.request("POST", "/os-keypairs", json={"keypair": {"name": "k",
                                                               "public_key": PUBLIC_KEY}})
    assert r.status_code == 201 and len(r.json["keypair"]["fingerprint"].split(":")) == 16
    assert nova.request("POST", "/os-keypairs", json={"keypair": {
        "name": "k", "public_key": PUBLIC_KEY}}).status_code == 409
    assert [k["keypair"]["name"] for k in nova.request("GET", "/os-keypairs").json[
        "keypairs"]] == ["k"]
    assert nova.request("GET", "/os-keypairs", "other").json["keypairs"] == []
    generated = nova.request("POST", "/os-keypairs", "other", {"keypair": {"name": "g"}},
                             version="2.91")  # Nova generates key pairs up to 2.91
    assert "PRIVATE KEY" in generated.json["keypair"]["private_key"]
    refused = nova.request("POST", "/os-keypairs", "other", {"keypair": {"name": "g2"}})
    assert refused.status_code == 400 and "public_key" in refused.json["badRequest"]["message"]
    bad = nova.request("POST", "/servers", json={"server": {
        "name": "x", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
        "networks": "none", "key_name": "nope"}})
    assert bad.status_code == 400 and bad.json["badRequest"]["message"] == (
        "Invalid key_name provided.")
    assert nova.request("DELETE", "/os-keypairs/k").status_code == 204


def test_create_checks_in_nova_error_format(nova):
    def post(**server):
        body = {"name": "x", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
                "networks": "none", **server}
        return nova.request("POST", "/servers", json={"server": body})

    r = post(imageRef="nope")
    assert r.status_code == 400 and r.json["badRequest"]["message"] == (
        "Image nope could not be found.")
    assert post(flavorRef="99").json["badRequest"]["message"] == "Flavor 99 could not be found."
    r = post(networks=[{"uuid": "nonet"}])
    assert r.json["badRequest"] == {"code": 400, "message": "Network nonet could not be found."}
    big = nova.images.add(name="big", min_disk=5)
    r = post(imageRef=big["id"])
    assert "Flavor's disk is too small for requested image" in r.json["badRequest"]["message"]
    r = nova.request("POST", "/servers", json={"server": {
        "name": "x", "imageRef": nova.images.cirros["id"], "flavorRef": "1"}})
    assert r.status_code == 400 and "networks" in r.json["badRequest"]["message"]


def test_quota_exceeded_is_403_with_novas_message(nova):
    nova.store.set_quota_limit("p-demo", "instances", 2)
    for name in ("a", "b"):
        nova.boot(name, wait=None)
    r = nova.request("POST", "/servers", json={"server": {
        "name": "c", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
        "networks": "none"}})
    assert r.status_code == 403 and r.json["forbidden"]["message"] == (
        "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances")
    limits = nova.request("GET", "/limits").json["limits"]["absolute"]
    assert (limits["maxTotalInstances"], limits["totalInstancesUsed"]) == (2, 2)
    quota = nova.request("GET", "/os-quota-sets/p-demo/detail").json["quota_set"]
    assert quota["instances"] == {"limit": 2, "in_use": 2, "reserved": 0}


def test_listing_filters_pagination_and_projects(nova):
    ids = [nova.boot(name, wait=None) for name in ("web-1", "web-2", "db-1")]
    nova.boot("admins", token="admin", wait=None)
    names = lambda path, token="demo": [s["name"] for s in nova.request(  # noqa: E731
        "GET", path, token).json["servers"]]
    assert sorted(names("/servers")) == ["db-1", "web-1", "web-2"]
    assert sorted(names("/servers/detail?name=^web")) == ["web-1", "web-2"]
    assert names("/servers?all_tenants=1") == names("/servers")  # not for members
    assert "admins" in names("/servers/detail?all_tenants=1", "admin")
    assert names("/servers/detail?all_tenants=1&status=ACTIVE", "admin") is not None
    page = nova.request("GET", "/servers?limit=2").json
    assert len(page["servers"]) == 2 and "marker=" in page["servers_links"][0]["href"]
    last = nova.request("GET", f"/servers?marker={page['servers'][-1]['id']}").json
    assert len(last["servers"]) == 1 and "servers_links" not in last
    end = nova.request("GET", f"/servers?marker={last['servers'][-1]['id']}&limit=2").json
    assert end["servers"] == []
    r = nova.request("GET", f"/servers/{ids[0]}", "other")
    assert r.status_code == 404 and r.json["itemNotFound"]["message"] == (
        f"Instance {ids[0]} could not be found.")


def test_rename_metadata_and_wrong_state_actions(nova):
    server = nova.boot("vm1")
    sid = server["id"]
    r = nova.request("PUT", f"/servers/{sid}", json={"server": {"name": "vm1-renamed"}})
    assert r.json["server"]["name"] == "vm1-renamed"
    nova.request("POST", f"/servers/{sid}/metadata", json={"metadata": {"role": "web"}})
    nova.request("PUT", f"/servers/{sid}/metadata/tier", json={"meta": {"tier": "1"}})
    assert nova.request("GET", f"/servers/{sid}/metadata").json["metadata"] == {
        "role": "web", "tier": "1"}
    r = nova.action(sid, {"os-start": None})
    assert r.status_code == 409 and r.json["conflictingRequest"]["message"] == (
        f"Cannot 'os-start' instance {sid} while it is in vm_state active")
    assert nova.action(sid, {"os-migrateLive": {"host": None}}).status_code == 403
    assert nova.action(sid, {"nonsense": None}).status_code == 400


def test_power_actions_and_console(nova):
    sid = nova.boot("vm1")["id"]
    for body, status in (({"os-stop": None}, "SHUTOFF"), ({"os-start": None}, "ACTIVE"),
                         ({"pause": None}, "PAUSED"), ({"unpause": None}, "ACTIVE"),
                         ({"suspend": None}, "SUSPENDED"), ({"resume": None}, "ACTIVE"),
                         ({"reboot": {"type": "HARD"}}, "ACTIVE")):
        assert nova.action(sid, body).status_code == 202, body
        nova.wait(sid, status)
    r = nova.action(sid, {"os-getConsoleOutput": {"length": 2}})
    assert r.status_code == 200 and r.json["output"].count("\n") == 2
    full = nova.action(sid, {"os-getConsoleOutput": {}}).json["output"]
    assert "Linux version" in full and "vm1 login:" in full and "hard reset" in full
    actions = [a["action"] for a in nova.request(
        "GET", f"/servers/{sid}/os-instance-actions").json["instanceActions"]]
    assert actions[-1] == "create" and "suspend" in actions


def test_cold_migrate_confirm_and_revert(nova):
    sid = nova.boot("vm1")["id"]
    source = nova.server(sid)["OS-EXT-SRV-ATTR:host"]
    assert nova.action(sid, {"migrate": None}, "admin").status_code == 202
    server = nova.wait(sid, "VERIFY_RESIZE")
    dest = nova.server(sid)["OS-EXT-SRV-ATTR:host"]
    assert dest != source and set(nova.store.used()) == {source, dest}  # both claimed
    assert nova.action(sid, {"revertResize": None}, "admin").status_code == 202
    nova.wait(sid, "ACTIVE")
    assert nova.server(sid)["OS-EXT-SRV-ATTR:host"] == source
    assert set(nova.store.used()) == {source}
    nova.action(sid, {"migrate": None}, "admin")
    nova.wait(sid, "VERIFY_RESIZE")
    assert nova.action(sid, {"confirmResize": None}, "admin").status_code == 204
    nova.wait(sid, "ACTIVE")
    assert set(nova.store.used()) == {dest}
    [port] = nova.networks.ports(device_id=sid)
    assert port["binding:host_id"] == dest
    assert server is not None


def test_live_migration_with_and_without_host(nova):
    sid = nova.boot("vm1")["id"]
    source = nova.server(sid)["OS-EXT-SRV-ATTR:host"]
    other = "compute2" if source == "compute1" else "compute1"
    r = nova.action(sid, {"os-migrateLive": {"host": "nowhere", "block_migration": "auto"}},
                    "admin")
    assert r.status_code == 400 and "Compute host nowhere could not be found." in r.text
    nova.action(sid, {"os-migrateLive": {"host": other, "block_migration": "auto"}}, "admin")
    nova.wait(sid, "ACTIVE")
    assert nova.server(sid)["OS-EXT-SRV-ATTR:host"] == other
    nova.action(sid, {"os-migrateLive": {"host": None, "block_migration": "auto"}}, "admin")
    nova.wait(sid, "ACTIVE")
    assert nova.server(sid)["OS-EXT-SRV-ATTR:host"] == source
    assert set(nova.store.used()) == {source}
    out = nova.action(sid, {"os-getConsoleOutput": {}}).json["output"]
    assert out.count("arrived on hypervisor") == 2


def test_hypervisors_services_and_zones(nova):
    nova.boot("vm1")
    hyps = nova.request("GET", "/os-hypervisors/detail", "admin").json["hypervisors"]
    assert {h["hypervisor_hostname"] for h in hyps} == {"compute1", "compute2"}
    # each host's management address from the topology, as Nova reports my_ip
    assert {h["hypervisor_hostname"]: h["host_ip"] for h in hyps} == {
        "compute1": "10.0.0.31", "compute2": "10.0.0.32"}
    assert "vcpus" not in hyps[0] and len(hyps[0]["id"]) == 36
    old = nova.request("GET", "/os-hypervisors/detail", "admin", version="2.1").json
    used = {h["hypervisor_hostname"]: h["memory_mb_used"] for h in old["hypervisors"]}
    assert sorted(used.values()) == [0, 512] and isinstance(old["hypervisors"][0]["id"], int)
    assert nova.request("GET", "/os-hypervisors", "demo").status_code == 403
    services = nova.request("GET", "/os-services", "admin").json["services"]
    compute2 = [s for s in services if s["host"] == "compute2"][0]
    r = nova.request("PUT", f"/os-services/{compute2['id']}", "admin",
                     {"status": "disabled", "disabled_reason": "maintenance"})
    assert r.json["service"]["status"] == "disabled"
    server = nova.server(nova.boot("vm2")["id"])
    assert server["OS-EXT-SRV-ATTR:host"] == "compute1"
    zones = nova.request("GET", "/os-availability-zone").json["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]


def test_migration_list(nova):
    sid = nova.boot("vm1")["id"]
    nova.action(sid, {"os-migrateLive": {"host": None, "block_migration": "auto"}}, "admin")
    nova.wait(sid, "ACTIVE")
    [row] = nova.request("GET", "/os-migrations", "admin").json["migrations"]
    assert (row["instance_uuid"], row["migration_type"], row["status"]) == (
        sid, "live-migration", "completed")
    assert row["dest_host"] == {"compute1": "10.0.0.31", "compute2": "10.0.0.32"}[
        row["dest_compute"]]
    assert nova.request("GET", "/os-migrations", "demo").status_code == 403


def test_auto_network_and_multiple_create(nova):
    r = nova.request("POST", "/servers", json={"server": {
        "name": "many", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
        "networks": "auto", "min_count": 2, "max_count": 2}})
    assert r.status_code == 202
    servers = nova.request("GET", "/servers/detail?name=^many").json["servers"]
    assert sorted(s["name"] for s in servers) == ["many-1", "many-2"]
    for s in servers:
        assert nova.wait(s["id"], "ACTIVE")["addresses"]["private"]
