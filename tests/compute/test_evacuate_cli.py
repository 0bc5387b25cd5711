"""`openstack server evacuate` and openstacksdk's `evacuate_server` on a live in-process
cloud whose compute node fails for real (`minicloud node stop`): refused while the node is
up and for a member, then the server is built again on the other node with its port and
address, the migration (type evacuation) and the instance action `evacuate` are listed,
and the node that comes back (`minicloud node start`) does not run it again."""

from __future__ import annotations

import pytest

from minicloud import clientconfig
from minicloud.cloud import Cloud
from minicloud.config import Config
from tests.fakes import wait_for
from tests.livecloud import LiveCloud, free_port_offset, minicloud

ADMIN = "minicloud-admin"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    home = tmp_path_factory.mktemp("evacuate")
    config = Config(home=home, port_offset=free_port_offset(), report_interval=0.2,
                    service_down_time=1.0)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    clientconfig.write(config, user_config=False)
    live = LiveCloud(home)
    live.config = config
    live.runtime = cloud
    yield live
    cloud.stop()


def compute_state(live, host) -> str:
    rows = live.cli_json("compute", "service", "list", "--service", "nova-compute",
                         cloud=ADMIN)
    return next(r["State"] for r in rows if r["Host"] == host)


def fail_host_of(live, server_id) -> tuple[str, str]:
    """Stop the node that runs the server; wait until Nova sees it down."""
    host = live.cli_json("server", "show", server_id, cloud=ADMIN)["OS-EXT-SRV-ATTR:host"]
    other = "compute2" if host == "compute1" else "compute1"
    assert minicloud("node", "stop", host, home=live.home).returncode == 0
    assert wait_for(lambda: compute_state(live, host) == "down", timeout=10)
    return host, other


def status_is(live, sid, status) -> dict | None:
    shown = live.cli_json("server", "show", sid, cloud=ADMIN)
    return shown if shown["status"] == status else None


def test_openstack_server_evacuate(live):
    server = live.cli_json("server", "create", "--image", "cirros", "--flavor", "m1.tiny",
                           "--network", "private", "--wait", "evacvm")
    sid = server["id"]
    up = live.cli("server", "evacuate", sid, cloud=ADMIN, check=False)
    assert up.returncode != 0 and "is still in use" in up.stderr
    source, other = fail_host_of(live, sid)
    member = live.cli("server", "evacuate", sid, check=False)
    assert member.returncode != 0 and "403" in member.stderr
    # Not --wait: python-openstackclient 10.5 compares the lowercased status with "ACTIVE"
    # and never returns. Before 2.95 the server ends as it was (ACTIVE).
    live.cli("--os-compute-api-version", "2.29", "server", "evacuate", "--host", other,
             sid, cloud=ADMIN)
    shown = wait_for(lambda: status_is(live, sid, "ACTIVE"), timeout=15)
    assert shown and shown["OS-EXT-SRV-ATTR:host"] == other
    assert shown["addresses"] == server["addresses"]
    ports = live.cli_json("port", "list", "--server", sid, "--long", cloud=ADMIN)
    assert len(ports) == 1
    port = live.cli_json("port", "show", ports[0]["ID"], cloud=ADMIN)
    assert port["binding_host_id"] == other
    migrations = live.cli_json("--os-compute-api-version", "2.59", "server", "migration",
                               "list", "--server", sid, cloud=ADMIN)
    assert [(m["Type"], m["Source Compute"], m["Dest Compute"], m["Status"])
            for m in migrations] == [("evacuation", source, other, "done")]
    events = live.cli_json("server", "event", "list", sid, cloud=ADMIN)
    assert events[0]["Action"] == "evacuate"
    assert minicloud("node", "start", source, home=live.home).returncode == 0
    assert live.runtime.compute_hosts[source].driver.power_state({"id": sid}) == 0
    shown = live.cli_json("server", "show", sid, cloud=ADMIN)
    assert shown["OS-EXT-SRV-ATTR:host"] == other and shown["status"] == "ACTIVE"
    migrations = live.cli_json("--os-compute-api-version", "2.59", "server", "migration",
                               "list", "--server", sid, cloud=ADMIN)
    assert migrations[0]["Status"] == "completed"
    live.cli("server", "delete", "--wait", sid)


def test_openstacksdk_evacuate_server(live):
    conn = live.sdk(ADMIN)
    demo = live.sdk()
    image = demo.image.find_image("cirros")
    network = demo.network.find_network("private")
    server = demo.compute.create_server(name="sdkevac", image_id=image.id, flavor_id="1",
                                        networks=[{"uuid": network.id}])
    server = demo.compute.wait_for_server(server, interval=0.2, wait=60)
    source, other = fail_host_of(live, server.id)
    conn.compute.evacuate_server(server.id, host=other)
    moved = conn.compute.wait_for_server(conn.compute.get_server(server.id),
                                         status="SHUTOFF", interval=0.2, wait=60)
    assert moved.compute_host == other  # the SDK speaks 2.96: stopped where it lands
    assert minicloud("node", "start", source, home=live.home).returncode == 0
    server = demo.compute.get_server(server.id)  # before it goes: a delete can be that fast
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, interval=0.2)
