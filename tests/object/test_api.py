"""The proxy app's middleware and admin routes, in-process over real storage nodes."""

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


def test_storage_node_routes_are_for_admins_only(swift):
    member = _client(swift, lambda token: RequestContext(project_id="p", roles=["member"]))
    admin = _client(swift, lambda token: RequestContext(project_id="p", roles=["admin"]))
    assert member.simulate_get("/minicloud/storage").status_code == 403
    assert member.simulate_post("/minicloud/storage/storage2/stop").status_code == 403
    assert swift.nodes["storage2"].running
    nodes = admin.simulate_get("/minicloud/storage").json["nodes"]
    assert [n["name"] for n in nodes] == ["storage1", "storage2", "storage3"]
    assert admin.simulate_post("/minicloud/storage/storage2/stop").json["running"] is False
    assert not swift.nodes["storage2"].running
