"""Lab 04 checkpoints: key pair labkey, server web1 (active, with what the trace of its boot
says recorded as properties, labelled, rebooted, stopped and started, live-migrated), web2
scheduled around a disabled compute2, compute2 enabled again.

Run with `make lab-check LAB=04`. Each test is one step of the guide; its assertion
message is the hint the learner sees. PYTEST_DONT_REWRITE: show the hints as written.
"""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import openstack.exceptions

DEMO = "openstack --os-cloud minicloud"
ADMIN = "openstack --os-cloud minicloud-admin"
VERSION = {"OpenStack-API-Version": "compute 2.96"}
BOOT = "--image cirros --flavor m1.tiny --network private"


def _server(demo, name):
    """The demo project's server called `name`, as Nova shows it to an admin, or None."""
    try:
        server = demo.compute.find_server(name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        return None
    return server


def _admin_view(admin, server) -> dict:
    return admin.compute.get(f"/servers/{server.id}", headers=VERSION).json()["server"]


def _actions(conn, server) -> list[dict]:
    response = conn.compute.get(f"/servers/{server.id}/os-instance-actions", headers=VERSION)
    return response.json().get("instanceActions", [])


def _events(conn, server, request_id) -> list[dict]:
    response = conn.compute.get(f"/servers/{server.id}/os-instance-actions/{request_id}",
                                headers=VERSION)
    return response.json()["instanceAction"]["events"]


def _need_web1(demo):
    server = _server(demo, "web1")
    assert server is not None, (
        f"There is no server web1 in project demo yet. Boot it (Step 2):\n"
        f"  {DEMO} server create {BOOT} --key-name labkey --wait web1")
    return server


def test_keypair_labkey_is_imported(demo):
    """Key pair labkey is imported"""
    try:
        key = demo.compute.get_keypair("labkey")
    except openstack.exceptions.NotFoundException:
        key = None
    assert key is not None, (
        "The demo user has no key pair labkey yet. Import a public key:\n"
        "  ssh-keygen -t ed25519 -N '' -f ~/.ssh/minicloud-lab04\n"
        f"  {DEMO} keypair create --public-key ~/.ssh/minicloud-lab04.pub labkey")


def test_web1_is_active_with_cirros_tiny_private_and_labkey(demo):
    """Server web1 is ACTIVE: image cirros, flavor m1.tiny, network private, key labkey"""
    server = _need_web1(demo)
    assert server.status == "ACTIVE", (
        f"web1 is {server.status}, not ACTIVE. "
        + (f"Its fault: {server.fault.get('message')}\n" if server.fault else "\n")
        + f"Delete it and boot it again:\n  {DEMO} server delete --wait web1\n"
        f"  {DEMO} server create {BOOT} --key-name labkey --wait web1")
    image = demo.image.get_image(server.image.id) if server.image and server.image.id else None
    problems = []
    if image is None or image.name != "cirros":
        problems.append("its image is not cirros")
    if server.flavor.original_name != "m1.tiny":
        problems.append(f"its flavor is {server.flavor.original_name}, not m1.tiny")
    if "private" not in (server.addresses or {}):
        problems.append("it has no address on network private")
    if server.key_name != "labkey":
        problems.append(f"its key pair is {server.key_name}, not labkey")
    assert not problems, (
        f"web1 is ACTIVE but {', '.join(problems)}. Boot it again with the right options:\n"
        f"  {DEMO} server delete --wait web1\n"
        f"  {DEMO} server create {BOOT} --key-name labkey --wait web1")


def _boot_trace(home: Path, request_id: str) -> list[sqlite3.Row]:
    """The spans of the trace whose request is `request_id` (the create's), from the
    cloud's trace store (trace.db in the data directory), oldest first."""
    path = home / "trace.db"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM spans WHERE trace_id IN (SELECT trace_id FROM spans "
                          "WHERE request_id = ?) ORDER BY start", (request_id,)).fetchall()


def _scheduled_and_hops(spans) -> tuple[str | None, int]:
    """(the host the scheduler chose, the RPC messages Nova's services sent: each span of a
    nova-* service whose operation is `call ...` or `cast ...`)."""
    chosen = None
    for span in spans:
        attrs = json.loads(span["attrs"] or "{}")
        chosen = attrs.get("chosen_host") or chosen
    hops = sum(1 for s in spans if s["service"].startswith("nova-")
               and s["operation"].split(" ")[0] in ("call", "cast"))
    return chosen, hops


def test_web1_records_what_the_trace_of_its_boot_says(demo, admin, lab_cloud):
    """web1 records what the trace of its boot says: scheduled_host and rpc_hops"""
    server = _need_web1(demo)
    create = [a for a in _actions(admin, server) if a["action"] == "create"]
    assert create, "web1 has no create action: boot it again (Step 2)."
    chosen, hops = _scheduled_and_hops(_boot_trace(lab_cloud.home, create[0]["request_id"]))
    assert chosen, (
        "The cloud's trace of web1's boot is gone (or has no scheduler's decision): delete\n"
        f"web1 and boot it again (Step 2):\n  {DEMO} server delete --wait web1\n"
        f"  {DEMO} server create {BOOT} --key-name labkey --wait web1\n  minicloud trace last")
    props = server.metadata or {}
    record = (f"Read them in `minicloud trace last` right after the create, and record them:\n"
              f"  {DEMO} server set --property scheduled_host=HOST --property rpc_hops=N web1")
    assert "scheduled_host" in props and "rpc_hops" in props, (
        "web1 has no properties scheduled_host and rpc_hops yet: the compute host the\n"
        "scheduler chose for it, and how many RPC messages (call or cast) Nova's services\n"
        "sent each other to build it. " + record)
    assert props["scheduled_host"] == chosen, (
        f"web1's scheduled_host is {props['scheduled_host']}, but the scheduler's note in the\n"
        f"trace of its boot names another host. web1 may have moved since (Step 5): the\n"
        f"property records where the scheduler put it. " + record)
    assert props["rpc_hops"].strip() == str(hops), (
        f"web1's rpc_hops is {props['rpc_hops']}, but the trace of its boot holds another\n"
        f"number of call and cast lines sent by nova-api, nova-conductor, nova-scheduler\n"
        f"and nova-compute (leave out Neutron's: its agents' messages are not Nova's).\n"
        + record)


def test_web1_has_property_role_web(demo):
    """web1 carries the property role=web"""
    server = _need_web1(demo)
    assert (server.metadata or {}).get("role") == "web", (
        f"web1's properties are {server.metadata or {}}: role=web is missing. Set it:\n"
        f"  {DEMO} server set --property role=web web1")


def test_web1_was_rebooted_stopped_and_started(demo):
    """web1 was rebooted, stopped and started (see `server event list web1`)"""
    server = _need_web1(demo)
    done = {a["action"] for a in _actions(demo, server)}
    missing = [a for a in ("reboot", "stop", "start") if a not in done]
    assert not missing, (
        f"web1's events show no {', '.join(missing)} yet (`{DEMO} server event list web1`).\n"
        f"  {DEMO} server reboot --wait web1\n  {DEMO} server stop web1\n"
        f"  {DEMO} server start web1      # once it is SHUTOFF")
    assert server.status == "ACTIVE", (
        f"web1 is {server.status}: start it again with `{DEMO} server start web1`.")


def test_web1_was_live_migrated_by_the_admin(demo, admin):
    """The admin live-migrated web1 to the other compute host"""
    server = _need_web1(demo)
    migrated = [a for a in _actions(admin, server) if a["action"] == "live-migration"]
    hint = (f"As the admin, move web1 to the compute host it is not on:\n"
            f"  {ADMIN} server show -c OS-EXT-SRV-ATTR:host {server.id}\n"
            f"  {ADMIN} server migrate --live-migration --host compute2 --wait {server.id}")
    assert migrated, "web1 has not been live-migrated yet. " + hint
    events = _events(admin, server, migrated[0]["request_id"])
    assert events and all(e["result"] == "Success" for e in events), (
        f"The last live migration of web1 failed: "
        f"{'; '.join(str(e.get('details')) for e in events)}. " + hint)


def test_web2_was_scheduled_while_compute2_was_disabled(demo, admin):
    """web2 was booted while compute2 was disabled, and runs on compute1"""
    hint = (f"Disable compute2, then boot web2:\n"
            f"  {ADMIN} compute service set --disable --disable-reason \"lab04 maintenance\" "
            f"compute2 nova-compute\n  {DEMO} server create {BOOT} --wait web2")
    server = _server(demo, "web2")
    assert server is not None, "There is no server web2 in project demo yet. " + hint
    create = [a for a in _actions(admin, server) if a["action"] == "create"]
    decisions = [e.get("details") or "" for a in create for e in
                 _events(admin, server, a["request_id"])
                 if e["event"] == "conductor_schedule_and_build_instances"]
    assert any("compute2: nova-compute is disabled" in d for d in decisions), (
        f"When web2 was scheduled, compute2 was not disabled (the scheduler's explanation: "
        f"{decisions[-1] if decisions else 'none'}).\nDelete web2 and do Step 6 again:\n"
        f"  {DEMO} server delete --wait web2\n  " + hint)
    host = _admin_view(admin, server).get("OS-EXT-SRV-ATTR:host")
    assert host == "compute1", f"web2 runs on {host}, not compute1. " + hint


def test_compute2_is_enabled_again(admin):
    """compute2's nova-compute is enabled again after the maintenance"""
    services = admin.compute.get("/os-services?binary=nova-compute&host=compute2",
                                 headers=VERSION).json()["services"]
    assert services, "The cloud has no compute2: is it the cloud `make lab-up` started?"
    service = services[0]
    assert service["status"] == "enabled" and not _never_disabled(admin), (
        f"compute2 is {service['status']} ({service['disabled_reason'] or 'no reason'}). "
        f"End the maintenance:\n  {ADMIN} compute service set --enable compute2 nova-compute"
        if service["status"] != "enabled" else
        "compute2 is enabled, but it was never disabled: do Step 6 first.")


def _never_disabled(admin) -> bool:
    """True when no server's scheduling ever saw compute2 disabled (Step 6 not done)."""
    for server in admin.compute.servers(all_projects=True, name="^web2$"):
        for action in _actions(admin, server):
            for event in _events(admin, server, action["request_id"]):
                if "compute2: nova-compute is disabled" in (event.get("details") or ""):
                    return False
    return True
