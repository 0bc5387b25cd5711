"""`volume service list` and `volume backend pool list`: what cinder-scheduler heard from
the storage nodes."""


def test_services_are_up_and_admin_only(admin, demo, env):
    services = admin.get("/os-services").json["services"]
    assert [(s["binary"], s["host"], s["state"]) for s in services] == [
        ("cinder-scheduler", "controller", "up"), ("cinder-volume", "storage1@file", "up")]
    assert demo.get("/os-services").status_code == 403
    env.scheduler.seen["storage1@file"] -= 3600  # no report for an hour
    volume = admin.get("/os-services", params={"binary": "cinder-volume"}).json["services"]
    assert [s["state"] for s in volume] == ["down"]


def test_pools_show_the_backends_capacity(admin, demo):
    volume = demo.create_volume(size=3)
    pools = admin.get("/scheduler-stats/get_pools", params={"detail": "True"}).json["pools"]
    assert [p["name"] for p in pools] == ["storage1@file#file"]
    assert pools[0]["capabilities"]["free_capacity_gb"] == 97
    assert volume["size"] == 3
