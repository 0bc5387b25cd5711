"""Neutron's external events in Nova: `POST /os-server-external-events` (admin or service
only), the per-event codes and the 207, the cast to the server's host and the refreshed
network info cache that `addresses` and `/servers/{id}/ips` show."""

from __future__ import annotations

import time
import uuid

from tests.fakes import wait_for


def post_events(nova, events, token="admin", version="2.96"):
    return nova.request("POST", "/os-server-external-events", token, {"events": events},
                        version=version)


def changed(server_id, port_id):
    return {"name": "network-changed", "server_uuid": server_id, "tag": port_id}


def addresses(nova, server_id):
    return nova.server(server_id)["addresses"]["private"]


def test_network_changed_refreshes_the_cache_with_the_floating_ip(nova):
    server = nova.boot()
    [port] = nova.networks.ports(device_id=server["id"])
    nova.networks.fip_table.append({"floating_ip_address": "203.0.113.9",
                                    "port_id": port["id"]})
    r = post_events(nova, [changed(server["id"], port["id"])])
    assert r.status_code == 200
    assert r.json == {"events": [{**changed(server["id"], port["id"]), "status": "completed",
                                  "code": 200}]}
    assert wait_for(lambda: len(addresses(nova, server["id"])) == 2)
    fixed, floating = addresses(nova, server["id"])
    assert (fixed["OS-EXT-IPS:type"], floating["OS-EXT-IPS:type"]) == ("fixed", "floating")
    assert floating["addr"] == "203.0.113.9"
    assert floating["OS-EXT-IPS-MAC:mac_addr"] == port["mac_address"]
    ips = nova.request("GET", f"/servers/{server['id']}/ips").json
    assert ips == {"addresses": {"private": [{"addr": fixed["addr"], "version": 4},
                                             {"addr": "203.0.113.9", "version": 4}]}}
    nova.networks.fip_table.clear()  # disassociated
    post_events(nova, [changed(server["id"], port["id"])])
    assert wait_for(lambda: len(addresses(nova, server["id"])) == 1)


def test_ips_by_network_and_unknown_network(nova):
    server = nova.boot()
    one = nova.request("GET", f"/servers/{server['id']}/ips/private")
    assert one.status_code == 200 and set(one.json) == {"private"}
    assert set(one.json["private"][0]) == {"addr", "version"}
    missing = nova.request("GET", f"/servers/{server['id']}/ips/public")
    assert missing.status_code == 404 and missing.json["itemNotFound"]["message"] == (
        "Instance is not a member of specified network")
    other = nova.request("GET", f"/servers/{server['id']}/ips", "other")
    assert other.status_code == 404


def test_only_admins_and_services_send_events(nova):
    server = nova.boot()
    r = post_events(nova, [changed(server["id"], "p")], token="demo")
    assert r.status_code == 403 and "forbidden" in r.json


def test_each_event_gets_its_code_and_failures_make_207(nova):
    server = nova.boot()
    ghost = str(uuid.uuid4())
    nova.request("POST", "/flavors", "admin", {"flavor": {
        "name": "huge", "ram": 40000, "vcpus": 1, "disk": 0, "id": "huge"}})
    hostless = nova.boot("hostless", flavor="huge", wait="ERROR")
    r = post_events(nova, [changed(server["id"], "p"), changed(ghost, "p"),
                           changed(hostless["id"], "p"),
                           {"name": "volume-extended", "server_uuid": server["id"]}])
    assert r.status_code == 207
    assert [(e["code"], e["status"]) for e in r.json["events"]] == [
        (200, "completed"), (404, "failed"), (422, "failed"), (400, "failed")]


def test_bad_event_bodies_are_400(nova):
    server = nova.boot()
    for events, version in (([], "2.96"), ([{"name": "nope", "server_uuid": server["id"]}],
                                           "2.96"),
                            ([{"name": "network-changed", "server_uuid": "not-a-uuid"}],
                             "2.96"),
                            ([{"name": "network-changed"}], "2.96"),
                            ([{**changed(server["id"], "p"), "extra": 1}], "2.96"),
                            ([{**changed(server["id"], "p"), "tag": "t" * 256}], "2.96"),
                            ([{"name": "volume-extended", "server_uuid": server["id"],
                               "tag": "v"}], "2.50")):
        r = post_events(nova, events, version=version)
        assert r.status_code == 400 and "badRequest" in r.json, (events, r.text)


def test_events_without_a_refresh_leave_the_cache_alone(nova):
    server = nova.boot()
    before = nova.server(server["id"])["updated"]
    r = post_events(nova, [{"name": "network-vif-plugged", "server_uuid": server["id"],
                            "tag": "p"}])
    assert r.status_code == 200
    time.sleep(0.2)  # the cast has been handled (nothing to wait for: nothing changes)
    assert nova.server(server["id"])["updated"] == before
