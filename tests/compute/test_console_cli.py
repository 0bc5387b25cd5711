"""`minicloud console` against a live cloud: it finds a server through Nova as admin (any
project, by name or ID) and says plainly when the server is not a netns instance here (the
live test cloud runs the fake driver; tests/netns/test_netns_driver.py enters real ones)."""

from __future__ import annotations

from tests.livecloud import minicloud


def test_console_finds_the_server_and_explains_the_fake_driver(cloud):
    server = cloud.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                            "--network", "private", "--wait", "consolevm")
    try:
        host = cloud.cli_json("server", "show", server["id"],
                              cloud="minicloud-admin")["OS-EXT-SRV-ATTR:host"]
        assert host
        for name in ("consolevm", server["id"]):
            done = minicloud("console", name, "--", "true", home=cloud.home, check=False)
            assert done.returncode == 1
            assert f"server {server['id']} has no netns instance" in done.stderr
            assert f"compute/{host} " in done.stderr
        done = minicloud("console", "nosuchvm", home=cloud.home, check=False)
        assert done.returncode == 1
        assert "No server with a name or ID of 'nosuchvm' exists." in done.stderr
    finally:
        cloud.cli("server", "delete", "--wait", server["id"], check=False)
