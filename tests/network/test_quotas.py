"""Quotas (defaults, admin PUT, OverQuota) and the extension list."""

from tests.fakes import PROJECTS


def test_defaults_are_neutrons(demo):
    quota = demo.get(f"/v2.0/quotas/{PROJECTS['demo']}").json["quota"]
    assert quota == {"network": 100, "subnet": 100, "port": 500, "router": 10,
                     "floatingip": 50, "security_group": 10, "security_group_rule": 100}


def test_only_admins_set_quotas_or_read_other_projects(demo):
    assert demo.put(f"/v2.0/quotas/{PROJECTS['demo']}", json={"quota": {
        "network": 1}}).status_code == 403
    assert demo.get(f"/v2.0/quotas/{PROJECTS['other']}").status_code == 403


def test_exceeding_a_quota_is_409_overquota(env, admin, demo):
    result = admin.put(f"/v2.0/quotas/{PROJECTS['demo']}", json={"quota": {"network": 2}})
    assert result.json["quota"]["network"] == 2  # demo already has `private`
    demo.create("networks", "network", name="second")
    over = demo.post("/v2.0/networks", json={"network": {"name": "third"}})
    assert over.status_code == 409
    assert over.json["NeutronError"] == {
        "type": "OverQuota", "message": "Quota exceeded for resources: ['network'].",
        "detail": ""}
    assert env.store.named("networks", "third") is None
    details = demo.get(f"/v2.0/quotas/{PROJECTS['demo']}/details").json["quota"]
    assert details["network"] == {"limit": 2, "used": 2, "reserved": 0}
    assert admin.delete(f"/v2.0/quotas/{PROJECTS['demo']}").status_code == 204
    demo.create("networks", "network", name="third")


def test_port_quota(admin, demo):
    admin.put(f"/v2.0/quotas/{PROJECTS['demo']}", json={"quota": {"port": 3}})
    net = admin.get("/v2.0/networks", params={"name": "private"}).json["networks"][0]
    # demo owns private's DHCP port and router1's interface: one more fits
    demo.create("ports", "port", network_id=net["id"])
    over = demo.post("/v2.0/ports", json={"port": {"network_id": net["id"]}})
    assert over.status_code == 409 and "['port']" in over.json["NeutronError"]["message"]


def test_extensions_list_only_what_exists(demo):
    aliases = {e["alias"] for e in demo.get("/v2.0/extensions").json["extensions"]}
    assert {"router", "external-net", "security-group", "quotas", "agent", "binding",
            "net-mtu", "provider"} <= aliases
    assert "external-gateway-multihoming" not in aliases and "extraroute" not in aliases
    assert demo.get("/v2.0/extensions/router").json["extension"]["alias"] == "router"
    missing = demo.get("/v2.0/extensions/external-gateway-multihoming")
    assert missing.status_code == 404 and "NeutronError" in missing.json


def test_check_limit_refuses_a_limit_below_usage(admin):
    result = admin.put(f"/v2.0/quotas/{PROJECTS['demo']}", json={"quota": {
        "network": 0, "check_limit": True}})
    assert result.status_code == 400
    assert result.json["NeutronError"]["type"] == "InvalidQuotaValue"
    result = admin.put(f"/v2.0/quotas/{PROJECTS['demo']}", json={"quota": {
        "router": 5, "check_limit": True, "force": False}})
    assert result.json["quota"]["router"] == 5
