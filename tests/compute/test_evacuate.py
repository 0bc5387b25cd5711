"""Evacuate (admin): a server whose host failed is built again on another host, with
Nova's rules per microversion. The failed host is a ComputeHost that was stopped (its
heartbeats stop, so its service goes down after service_down_time) or one an admin forced
down; when it starts again it must not run the evacuated server too."""

from __future__ import annotations

import pytest

from minicloud.compute import driver as virt
from tests.compute.conftest import Nova
from tests.fakes import wait_for


@pytest.fixture
def nova(tmp_path):
    service = Nova(tmp_path)
    yield service
    service.stop()


def services(nova) -> dict:
    listed = nova.request("GET", "/os-services?binary=nova-compute", "admin").json["services"]
    return {s["host"]: s for s in listed}


def host_down(nova, host: str) -> None:
    """Stop the host's nova-compute; wait until the cloud sees it down."""
    nova.hosts[host].stop()
    assert wait_for(lambda: services(nova)[host]["state"] == "down", timeout=5)


def boot_on_failed_host(nova, name="vm1", stop=False) -> tuple[dict, str, str]:
    server = nova.server(nova.boot(name)["id"])
    if stop:
        nova.action(server["id"], {"os-stop": None})
        server = nova.wait(server["id"], "SHUTOFF")
    source = server["OS-EXT-SRV-ATTR:host"]
    other = next(h for h in nova.hosts if h != source)
    host_down(nova, source)
    return server, source, other


def evacuate(nova, sid, version="2.96", **body):
    return nova.request("POST", f"/servers/{sid}/action", "admin", {"evacuate": body},
                        version=version)


def message(response) -> str:
    return next(iter(response.json.values()))["message"]


def test_a_member_may_not_evacuate(nova):
    sid = nova.boot()["id"]
    r = nova.action(sid, {"evacuate": {}}, token="demo")
    assert r.status_code == 403, r.text


def test_refused_while_the_host_is_up(nova):
    server = nova.server(nova.boot()["id"])
    r = evacuate(nova, server["id"])
    # Nova answers ComputeServiceInUse with 400
    assert r.status_code == 400
    assert message(r) == f"Compute service of {server['OS-EXT-SRV-ATTR:host']} is still in use."
    assert nova.server(server["id"])["status"] == "ACTIVE"
    assert nova.request("GET", "/os-migrations", "admin").json["migrations"] == []


def test_evacuate_rebuilds_the_server_on_the_other_host(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    assert nova.server(sid)["host_status"] == "UNKNOWN"
    r = evacuate(nova, sid, version="2.94")
    assert r.status_code == 200 and r.text == ""
    moved = nova.wait(sid, "ACTIVE")
    assert moved["OS-EXT-SRV-ATTR:host"] == other
    assert moved["addresses"] == server["addresses"]
    assert moved["OS-EXT-STS:power_state"] == virt.RUNNING
    port = nova.networks.ports(device_id=sid)[0]
    assert port["binding:host_id"] == other  # the same port, bound to the new host
    assert sid in nova.hosts[other].driver.vms
    migration = nova.request("GET", "/os-migrations", "admin").json["migrations"][0]
    assert (migration["migration_type"], migration["source_compute"],
            migration["dest_compute"], migration["status"]) == (
        "evacuation", source, other, "done")
    action = nova.wait_action_done(sid, "evacuate")
    assert [(e["event"], e["host"], e["result"]) for e in action["events"]] == [
        ("rebuild_server", other, "Success"), ("compute_rebuild_instance", other, "Success")]
    # both hosts hold its claim until the failed one comes back
    assert set(nova.store.used()) == {source, other}


def test_from_295_the_evacuated_server_is_stopped(nova):
    server, source, other = boot_on_failed_host(nova)
    assert evacuate(nova, server["id"], version="2.95").status_code == 200
    moved = nova.wait(server["id"], "SHUTOFF")
    assert moved["OS-EXT-SRV-ATTR:host"] == other
    assert moved["OS-EXT-STS:power_state"] == virt.SHUTDOWN


def test_a_stopped_server_stays_stopped(nova):
    server, source, other = boot_on_failed_host(nova, stop=True)
    assert evacuate(nova, server["id"], version="2.29", host=other).status_code == 200
    assert nova.wait(server["id"], "SHUTOFF")["OS-EXT-SRV-ATTR:host"] == other


def test_before_214_the_answer_names_the_admin_password(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    r = evacuate(nova, sid, version="2.13")
    assert r.status_code == 400 and "onSharedStorage" in message(r)
    r = evacuate(nova, sid, version="2.13", onSharedStorage=True, adminPass="x")
    assert r.status_code == 400
    assert message(r) == "admin password can't be changed on existing disk"
    r = evacuate(nova, sid, version="2.13", onSharedStorage=False, adminPass="s3cret")
    assert r.status_code == 200 and r.json == {"adminPass": "s3cret"}
    nova.wait(sid, "ACTIVE")


def test_before_214_a_password_is_made_up(nova):
    server, _, _ = boot_on_failed_host(nova)
    r = evacuate(nova, server["id"], version="2.1", onSharedStorage="False")
    assert r.status_code == 200 and len(r.json["adminPass"]) >= 8
    nova.wait(server["id"], "ACTIVE")


def test_shared_storage_fails_on_the_host(nova):
    """These hosts keep instance files locally: Nova's InvalidSharedStorage, ERROR."""
    server, source, other = boot_on_failed_host(nova)
    r = evacuate(nova, server["id"], version="2.13", onSharedStorage=True)
    assert r.status_code == 200 and r.json == {"adminPass": None}
    failed = nova.wait(server["id"], "ERROR")
    assert failed["OS-EXT-SRV-ATTR:host"] == source
    migration = nova.request("GET", "/os-migrations", "admin").json["migrations"][0]
    assert migration["status"] == "failed"
    assert set(nova.store.used()) == {source}  # the destination's claim went


def test_keys_per_microversion(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    for version, body in (("2.14", {"onSharedStorage": False}), ("2.28", {"force": True}),
                          ("2.68", {"force": False}), ("2.96", {"force": True}),
                          ("2.96", {"targetState": "stopped"}), ("2.96", {"host": ""})):
        r = evacuate(nova, sid, version=version, **body)
        assert r.status_code == 400, (version, body, r.text)
    r = evacuate(nova, sid, version="2.29", force=True)
    assert r.status_code == 400 and message(r) == "Can't force to a non-provided destination"
    assert nova.server(sid)["status"] == "ACTIVE"  # nothing was started


def test_unknown_or_same_host_and_wrong_state(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    r = evacuate(nova, sid, host="compute9")
    assert r.status_code == 404 and message(r) == "Compute host compute9 not found."
    r = evacuate(nova, sid, host=source)
    assert r.status_code == 400 and message(r) == "The target host can't be the same one."
    nova.store.update_instance(sid, vm_state="paused")
    r = evacuate(nova, sid)
    assert r.status_code == 409 and "vm_state paused" in message(r)


def test_a_forced_host_skips_the_scheduler(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    nova.request("PUT", f"/os-services/{services(nova)[other]['id']}", "admin",
                 {"status": "disabled"})
    r = evacuate(nova, sid, version="2.29", host=other)  # verified: disabled host, ERROR
    assert r.status_code == 200
    failed = nova.wait(sid, "ERROR")
    assert "nova-compute is disabled" in failed["fault"]["message"]
    nova.store.update_instance(sid, vm_state="active")  # `server set --state active`
    r = evacuate(nova, sid, version="2.29", host=other, force=True)
    assert r.status_code == 200
    assert nova.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == other
    statuses = [m["status"] for m in nova.request("GET", "/os-migrations", "admin").json[
        "migrations"]]
    assert statuses == ["done", "error"]


def test_no_other_host_is_error(nova):
    server, source, other = boot_on_failed_host(nova)
    host_down(nova, other)
    assert evacuate(nova, server["id"]).status_code == 200
    failed = nova.wait(server["id"], "ERROR")
    assert "No valid host was found" in failed["fault"]["message"]
    assert failed["OS-EXT-SRV-ATTR:host"] == source
    action = nova.wait_action_done(server["id"], "evacuate")
    assert action["events"][0]["result"] == "Error"


def test_forced_down_host_and_its_return(nova):
    """An admin forces the host down (2.11), evacuates, then the host restarts: it destroys
    its copy, frees its claim and completes the migration; the server lives on elsewhere."""
    server = nova.server(nova.boot()["id"])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    other = next(h for h in nova.hosts if h != source)
    r = nova.request("PUT", f"/os-services/{services(nova)[source]['id']}", "admin",
                     {"forced_down": True})
    assert r.status_code == 200 and r.json["service"]["state"] == "down"
    assert evacuate(nova, sid).status_code == 200
    nova.wait(sid, "SHUTOFF")
    assert sid in nova.hosts[source].driver.vms  # the "failed" host still runs it
    nova.hosts[source].stop()
    nova.hosts[source].start()  # init_host: evacuated servers are destroyed
    assert sid not in nova.hosts[source].driver.vms
    assert sid in nova.hosts[other].driver.vms
    assert set(nova.store.used()) == {other}
    migration = nova.request("GET", "/os-migrations", "admin").json["migrations"][0]
    assert migration["status"] == "completed"
    shown = nova.server(sid)
    assert shown["OS-EXT-SRV-ATTR:host"] == other and shown["status"] == "SHUTOFF"


def test_a_host_that_comes_back_does_not_resurrect_the_server(nova):
    server, source, other = boot_on_failed_host(nova)
    sid = server["id"]
    assert evacuate(nova, sid, version="2.94").status_code == 200
    nova.wait(sid, "ACTIVE")
    nova.hosts[source].start()
    assert sid not in nova.hosts[source].driver.vms
    assert wait_for(lambda: services(nova)[source]["state"] == "up", timeout=5)
    shown = nova.server(sid)
    assert shown["OS-EXT-SRV-ATTR:host"] == other and shown["status"] == "ACTIVE"
    assert nova.networks.ports(device_id=sid)[0]["binding:host_id"] == other
    # a second restart finds nothing more to do
    nova.hosts[source].stop()
    nova.hosts[source].start()
    assert nova.server(sid)["OS-EXT-SRV-ATTR:host"] == other


def test_the_netns_driver_forgets_an_evacuated_server_but_not_its_namespace(tmp_path):
    """Its namespace's name is the same on every node of the machine, and the server now
    runs in it on the other node: only this node's records (and guest, taps) go."""
    from minicloud.compute.netns_driver import NetnsDriver

    driver = NetnsDriver("compute1", 1, 512, 1, state_path=tmp_path, prefix="mctx-")
    instance = {"id": "0f2194ab-7590-486a-a59d-4661d5d38fe4", "name": "vm1", "flavor": {}}
    vm = driver._new_vm(instance)  # a record, as host_shutdown leaves it (no guest, no taps)
    record = driver._dir(vm)
    assert (record / "instance.json").exists()
    driver.destroy_evacuated(instance)
    assert not record.exists() and instance["id"] not in driver.vms
