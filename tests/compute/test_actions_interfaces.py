"""os-interface: list, attach a network or the user's port (bound to the server's host
through Neutron), show, detach (Nova's port deleted, the user's port given back), errors."""

from __future__ import annotations

from tests.compute.fakes import with_glance_writes
from tests.fakes import wait_for


def interfaces(nova, sid, token="demo"):
    return nova.request("GET", f"/servers/{sid}/os-interface", token).json[
        "interfaceAttachments"]


def test_attach_a_network_and_detach_it(nova):
    server = nova.server(nova.boot()["id"])
    sid, host = server["id"], server["OS-EXT-SRV-ATTR:host"]
    assert len(interfaces(nova, sid)) == 1
    net = nova.networks.private["id"]
    r = nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                     {"interfaceAttachment": {"net_id": net}})
    assert r.status_code == 200, r.text
    attached = r.json["interfaceAttachment"]
    assert set(attached) == {"port_state", "fixed_ips", "port_id", "net_id", "mac_addr", "tag"}
    port = nova.networks.port_table[attached["port_id"]]
    assert (port["device_id"], port["device_owner"], port["binding:host_id"]) == (
        sid, "compute:nova", host)
    assert len(interfaces(nova, sid)) == 2
    assert len(nova.server(sid)["addresses"]["private"]) == 2
    shown = nova.request("GET", f"/servers/{sid}/os-interface/{attached['port_id']}", "demo")
    assert shown.json["interfaceAttachment"]["mac_addr"] == port["mac_address"]
    console = nova.action(sid, {"os-getConsoleOutput": {}}).json["output"]
    assert f"eth1: link up, mac {port['mac_address']}" in console
    r = nova.request("DELETE", f"/servers/{sid}/os-interface/{attached['port_id']}", "demo")
    assert r.status_code == 202
    assert wait_for(lambda: attached["port_id"] not in nova.networks.port_table,
                    timeout=10.0)  # Nova's: deleted
    assert wait_for(lambda: len(nova.server(sid)["addresses"]["private"]) == 1, timeout=10.0)
    names = [nova.wait_action_done(sid, a)["events"][0]["event"]
             for a in ("attach_interface", "detach_interface")]
    assert names == ["compute_attach_interface", "compute_detach_interface"]


def test_attach_the_users_port_and_give_it_back(nova):
    sid = nova.boot()["id"]
    mine = nova.networks.create_port(network_id=nova.networks.private["id"], device_id="",
                                     device_owner="")
    r = nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                     {"interfaceAttachment": {"port_id": mine["id"]}}, version="2.49")
    assert r.status_code == 200 and "tag" not in r.json["interfaceAttachment"]
    assert nova.networks.port_table[mine["id"]]["device_id"] == sid
    again = nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                         {"interfaceAttachment": {"port_id": mine["id"]}})
    assert again.status_code == 409
    nova.request("DELETE", f"/servers/{sid}/os-interface/{mine['id']}", "demo")
    assert wait_for(lambda: nova.networks.port_table[mine["id"]]["device_id"] == "",
                    timeout=10.0)
    assert nova.networks.port_table[mine["id"]]["binding:host_id"] == ""
    # attached again, then the server goes: the user's port stays
    nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                 {"interfaceAttachment": {"port_id": mine["id"]}})
    nova.request("DELETE", f"/servers/{sid}")
    nova.wait(sid, None)
    assert nova.networks.port_table[mine["id"]]["device_id"] == ""


def test_interface_errors(nova):
    sid = nova.boot()["id"]
    net = nova.networks.private["id"]
    cases = [({"interfaceAttachment": {"net_id": net, "port_id": "p"}}, 400),
             ({"interfaceAttachment": {"port_id": "nope"}}, 404),
             ({"interfaceAttachment": {"net_id": "nope"}}, 404),
             ({"interfaceAttachment": {"fixed_ips": [{"ip_address": "10.0.0.99"}]}}, 400),
             ({"interfaceAttachment": {"bogus": 1}}, 400), ({}, 400)]
    for body, code in cases:
        r = nova.request("POST", f"/servers/{sid}/os-interface", "demo", body)
        assert r.status_code == code, (body, r.text)
    r = nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                     {"interfaceAttachment": {"net_id": net, "tag": "x"}}, version="2.48")
    assert r.status_code == 400
    assert nova.request("GET", f"/servers/{sid}/os-interface/nope", "demo").status_code == 404
    assert nova.request("DELETE", f"/servers/{sid}/os-interface/nope",
                        "demo").status_code == 404
    assert nova.request("GET", f"/servers/{sid}/os-interface", "other").status_code == 404
    nova.action(sid, {"lock": None}, "admin")
    r = nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                     {"interfaceAttachment": {"net_id": net}})
    assert r.status_code == 409 and "is locked" in r.json["conflictingRequest"]["message"]


def test_deleting_a_shelved_server_gives_the_users_port_back(nova):
    with_glance_writes(nova)
    sid = nova.boot()["id"]
    mine = nova.networks.create_port(network_id=nova.networks.private["id"], device_id="",
                                     device_owner="")
    nova.request("POST", f"/servers/{sid}/os-interface", "demo",
                 {"interfaceAttachment": {"port_id": mine["id"]}})
    nova.action(sid, {"shelve": None})
    nova.wait(sid, "SHELVED_OFFLOADED")
    nova.request("DELETE", f"/servers/{sid}")  # no host: nova-api cleans up itself
    nova.wait(sid, None)
    assert list(nova.networks.port_table) == [mine["id"]]
    assert nova.networks.port_table[mine["id"]]["device_id"] == ""
