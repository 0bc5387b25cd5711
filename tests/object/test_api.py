"""The proxy app's middleware and admin routes, in-process over real storage nodes; the
admin routes reach each node's RPC server over the memory bus."""

import socket
import time

import falcon.testing

from minicloud.common import errors
from minicloud.common.context import RequestContext
from minicloud.common.trace import Tracer
from minicloud.object import api


def _client(swift, validator) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(api.create_app(swift, Tracer(None), validator),
                                     headers={"X-Auth-Token": "t"})


def test_a_refused_token_still_gets_a_transaction_id(swift):
    def refuse(token):
        raise errors.Unauthorized("The request you have made requires authentication.")

    r = _client(swift, refuse).simulate_get("/v1/AUTH_p")
    assert r.status_code == 401
    assert r.headers["X-Trans-Id"].startswith("tx")
    assert r.headers["X-Openstack-Request-Id"] == r.headers["X-Trans-Id"]


def _admin(swift) -> falcon.testing.TestClient:
    return _client(swift, lambda token: RequestContext(project_id="p", roles=["admin"]))


def test_storage_node_routes_are_for_admins_only(swift, nodes):
    member = _client(swift, lambda token: RequestContext(project_id="p", roles=["member"]))
    admin = _admin(swift)
    assert member.simulate_get("/minicloud/storage").status_code == 403
    assert member.simulate_post("/minicloud/storage/storage2/stop").status_code == 403
    assert nodes["storage2"].running
    listed = admin.simulate_get("/minicloud/storage").json["nodes"]
    assert [n["name"] for n in listed] == ["storage1", "storage2", "storage3"]
    assert admin.simulate_post("/minicloud/storage/storage2/stop").json["running"] is False
    assert not nodes["storage2"].running
    assert admin.simulate_post("/minicloud/storage/storage2/start").json["running"] is True
    assert nodes["storage2"].running


def test_unknown_nodes_and_actions_are_404(swift):
    admin = _admin(swift)
    assert admin.simulate_post("/minicloud/storage/storage9/stop").status_code == 404
    assert admin.simulate_post("/minicloud/storage/storage2/reboot").status_code == 404


def test_a_node_whose_rpc_server_is_gone_is_listed_unreachable(swift, nodes,
                                                              storage_services):
    """The route asks the node over RPC, not the object in this process: with the node's
    RPC server stopped (its object server still runs), the node does not answer."""
    storage_services["storage3"].rpc.stop()
    admin = _admin(swift)
    r = admin.simulate_get("/minicloud/storage")
    assert r.status_code == 200
    by_name = {n["name"]: n for n in r.json["nodes"]}
    assert by_name["storage3"] == {"name": "storage3", "port": nodes["storage3"].port,
                                   "running": False, "reachable": False, "objects": None}
    assert by_name["storage1"]["reachable"] and by_name["storage1"]["running"]
    assert nodes["storage3"].running  # only its RPC server is gone
    stop = admin.simulate_post("/minicloud/storage/storage3/stop")
    assert stop.status_code == 503 and "storage3" in stop.text
    assert nodes["storage3"].running


def test_a_node_started_on_another_port_is_placed_in_the_ring(swift, nodes, ring_file):
    admin = _admin(swift)
    old = nodes["storage2"].port
    assert admin.simulate_post("/minicloud/storage/storage2/stop").json["running"] is False
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for _ in range(100):  # the stopped server lets go of its socket asynchronously
            try:
                taken.bind(("127.0.0.1", old))
                break
            except OSError:
                time.sleep(0.05)
        taken.listen()
        started = admin.simulate_post("/minicloud/storage/storage2/start").json
    assert started["running"] and started["port"] != old
    placed = {d.node: d.port for d in ring_file.get().devices}
    assert placed["storage2"] == started["port"]
