"""Server actions, part one: lock/unlock (who may, what a lock refuses, what the body shows
per microversion) and rebuild (state machine, response shape per microversion, errors)."""

from __future__ import annotations


def events(nova, server_id, token="admin"):
    actions = nova.request("GET", f"/servers/{server_id}/os-instance-actions", token).json
    return [a["action"] for a in actions["instanceActions"]]


# -- lock / unlock ---------------------------------------------------------------------------
def test_lock_refuses_actions_of_non_admins_with_409(nova):
    sid = nova.boot()["id"]
    assert nova.action(sid, {"lock": None}).status_code == 202
    server = nova.server(sid, "demo")
    assert server["locked"] is True and server["locked_reason"] is None
    for body in ({"os-stop": None}, {"reboot": {"type": "SOFT"}}, {"pause": None},
                 {"rebuild": {"imageRef": nova.images.cirros["id"]}},
                 {"resize": {"flavorRef": "2"}}, {"shelve": None}):
        r = nova.action(sid, body)
        assert r.status_code == 409, body
        assert r.json["conflictingRequest"]["message"] == f"Instance {sid} is locked"
    r = nova.request("DELETE", f"/servers/{sid}")
    assert r.status_code == 409 and "is locked" in r.json["conflictingRequest"]["message"]
    # the console still answers, and an admin is not held back by the lock
    assert nova.action(sid, {"os-getConsoleOutput": {}}).status_code == 200
    assert nova.action(sid, {"os-stop": None}, "admin").status_code == 202
    nova.wait(sid, "SHUTOFF")
    assert nova.action(sid, {"unlock": None}).status_code == 202
    assert nova.server(sid)["locked"] is False
    assert nova.action(sid, {"os-start": None}).status_code == 202
    assert events(nova, sid)[:3] == ["start", "unlock", "stop"]
    assert "lock" in events(nova, sid)


def test_lock_reason_from_273_and_who_may_unlock(nova):
    sid = nova.boot()["id"]
    r = nova.action(sid, {"lock": {"locked_reason": "maintenance"}}, "admin")
    assert r.status_code == 202
    assert nova.server(sid, "demo")["locked_reason"] == "maintenance"
    old = nova.request("GET", f"/servers/{sid}", "demo", version="2.72").json["server"]
    assert old["locked"] is True and "locked_reason" not in old
    older = nova.request("GET", f"/servers/{sid}", "demo", version="2.8").json["server"]
    assert "locked" not in older
    # an admin of another project locked it: the owner may not unlock (unlock_override)
    r = nova.action(sid, {"unlock": None}, "demo")
    assert r.status_code == 403 and "unlock_override" in r.json["forbidden"]["message"]
    assert nova.action(sid, {"unlock": None}, "admin").status_code == 202
    # the owner's own lock: the owner unlocks it
    assert nova.action(sid, {"lock": None}, "demo").status_code == 202
    assert nova.action(sid, {"unlock": None}, "demo").status_code == 202
    # another project's member does not even see it
    assert nova.action(sid, {"lock": None}, "other").status_code == 404


def test_lock_body_is_checked_from_273(nova):
    sid = nova.boot()["id"]
    for body in ({"lock": {"locked_reason": ""}}, {"lock": {"bogus": 1}}, {"lock": "x"},
                 {"lock": {"locked_reason": "x" * 256}}):
        r = nova.action(sid, body)
        assert r.status_code == 400, body
        assert "badRequest" in r.json
    # before 2.73 the argument is ignored (Nova had no schema for it)
    assert nova.request("POST", f"/servers/{sid}/action", "demo",
                        {"lock": {"locked_reason": "x"}}, version="2.72").status_code == 202
    assert nova.server(sid)["locked_reason"] is None


# -- rebuild ---------------------------------------------------------------------------------
def test_rebuild_goes_through_rebuild_to_active_with_the_new_image(nova):
    other = nova.images.add(name="fedora")
    sid = nova.boot()["id"]
    r = nova.action(sid, {"rebuild": {"imageRef": other["id"], "name": "vm1b",
                                      "adminPass": "s3cret", "metadata": {"k": "v"},
                                      "accessIPv4": "203.0.113.9"}})
    assert r.status_code == 202, r.text
    body = r.json["server"]
    assert body["adminPass"] == "s3cret" and body["name"] == "vm1b"
    assert body["status"] == "REBUILD" and body["image"]["id"] == other["id"]
    assert body["metadata"] == {"k": "v"}
    server = nova.wait(sid, "ACTIVE")
    assert server["image"]["id"] == other["id"] and server["name"] == "vm1b"
    assert server["OS-EXT-STS:power_state"] == 1
    console = nova.action(sid, {"os-getConsoleOutput": {}}).json["output"]
    assert "image=fedora" in console
    action = nova.wait_action_done(sid, "rebuild")
    assert [e["event"] for e in action["events"]] == ["compute_rebuild_instance"]
    assert action["events"][0]["result"] == "Success"


def test_rebuild_of_a_stopped_server_leaves_it_stopped(nova):
    sid = nova.boot()["id"]
    nova.action(sid, {"os-stop": None})
    nova.wait(sid, "SHUTOFF")
    r = nova.action(sid, {"rebuild": {"imageRef": nova.images.cirros["id"]}})
    assert r.status_code == 202 and len(r.json["server"]["adminPass"]) >= 8
    assert nova.wait(sid, "SHUTOFF")["OS-EXT-STS:power_state"] == 4


def test_rebuild_response_shape_per_microversion(nova):
    sid = nova.boot()["id"]
    image = nova.images.cirros["id"]
    small = nova.request("POST", f"/servers/{sid}/action", "admin",
                         {"rebuild": {"imageRef": image}}, version="2.1").json["server"]
    assert set(small) == {"id", "name", "status", "tenant_id", "user_id", "metadata",
                          "hostId", "image", "flavor", "created", "updated", "addresses",
                          "accessIPv4", "accessIPv6", "links", "OS-DCF:diskConfig",
                          "progress", "adminPass"}
    for ips in small["addresses"].values():
        assert all(set(ip) == {"addr", "version"} for ip in ips)
    nova.wait(sid, "ACTIVE")
    mid = nova.request("POST", f"/servers/{sid}/action", "demo",
                       {"rebuild": {"imageRef": image}}, version="2.57").json["server"]
    assert {"locked", "description", "tags", "key_name", "user_data"} <= set(mid)
    assert "OS-EXT-STS:vm_state" not in mid and "security_groups" not in mid
    nova.wait(sid, "ACTIVE")
    full = nova.request("POST", f"/servers/{sid}/action", "admin",
                        {"rebuild": {"imageRef": image}}, version="2.96").json["server"]
    shown = nova.request("GET", f"/servers/{sid}", "admin").json["server"]
    assert set(full) == set(shown) | {"adminPass"}


def test_rebuild_errors(nova):
    sid = nova.boot()["id"]
    cases = [({"rebuild": {}}, 400), ({"rebuild": {"imageRef": "nope"}}, 400),
             ({"rebuild": {"imageRef": nova.images.cirros["id"], "accessIPv4": "1.2.3"}}, 400),
             ({"rebuild": {"imageRef": nova.images.cirros["id"], "accessIPv6": "1.2.3.4"}},
              400),
             ({"rebuild": {"imageRef": nova.images.cirros["id"], "bogus": 1}}, 400),
             ({"rebuild": "cirros"}, 400)]
    for body, code in cases:
        r = nova.action(sid, body)
        assert r.status_code == code, (body, r.text)
        assert "badRequest" in r.json
    # key_name only from 2.54; personality gone from 2.57
    r = nova.request("POST", f"/servers/{sid}/action", "demo",
                     {"rebuild": {"imageRef": nova.images.cirros["id"], "key_name": None}},
                     version="2.53")
    assert r.status_code == 400
    r = nova.request("POST", f"/servers/{sid}/action", "demo",
                     {"rebuild": {"imageRef": nova.images.cirros["id"], "personality": []}},
                     version="2.57")
    assert r.status_code == 400
    nova.action(sid, {"pause": None})
    nova.wait(sid, "PAUSED")
    r = nova.action(sid, {"rebuild": {"imageRef": nova.images.cirros["id"]}})
    assert r.status_code == 409 and "vm_state paused" in r.json["conflictingRequest"]["message"]


def test_bad_action_bodies_are_400_never_500(nova):
    sid = nova.boot()["id"]
    for body in ({"rebuild": None}, {"rebuild": {"imageRef": ""}}, {"resize": None},
                 {"resize": "2"}, {"resize": {"flavorRef": ""}}, {"createImage": None},
                 {"createImage": {"name": 5}}, {"rebuild": {"imageRef": 5}},
                 {"rebuild": {"imageRef": nova.images.cirros["id"], "metadata": {"a": 1}}},
                 {"rebuild": {"imageRef": nova.images.cirros["id"], "name": ""}},
                 {"rebuild": {"imageRef": nova.images.cirros["id"], "key_name": "nokey"}},
                 {"unshelve": None}, {"shelveOffload": None}):
        r = nova.action(sid, body, "admin")
        assert r.status_code in (400, 409), (body, r.status_code, r.text)
    r = nova.request("POST", f"/servers/{sid}/action", "demo", {"unshelve": "x"},
                     version="2.77")
    assert r.status_code in (400, 409)
    assert nova.server(sid)["status"] == "ACTIVE"
