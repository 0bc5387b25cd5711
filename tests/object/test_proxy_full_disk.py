"""The whole proxy app (in-process, a fake token validator) over storage nodes whose disks
are full: a PUT is 503 without a quorum, nothing is listed or readable, and it works again
once there is room."""

import errno

import falcon.testing
import pytest

from minicloud.common.context import RequestContext
from minicloud.common.trace import Tracer
from minicloud.object import api

ACCOUNT = "/v1/AUTH_p"
TOKEN = {"X-Auth-Token": "t"}


def full_disk(fd, data):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def client(swift):
    app = api.create_app(swift, Tracer(None),
                         lambda token: RequestContext(project_id="p", roles=["member"]))
    client = falcon.testing.TestClient(app, headers=TOKEN)
    assert client.simulate_put(f"{ACCOUNT}/c").status_code == 201
    return client


def test_full_disks_give_503_and_nothing_visible_until_there_is_room(client, nodes,
                                                                    monkeypatch, tmp_path):
    for node in nodes.values():
        monkeypatch.setattr(node.disk, "write_chunk", full_disk)
    r = client.simulate_put(f"{ACCOUNT}/c/o", body=b"x" * 100_000)
    assert r.status_code == 503 and r.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert client.simulate_get(f"{ACCOUNT}/c/o").status_code == 404
    assert client.simulate_get(f"{ACCOUNT}/c", params={"format": "json"}).json == []
    assert sum(n.object_files() for n in nodes.values()) == 0
    for node in nodes.values():
        assert [p for p in node.disk.tmp.iterdir() if not p.name.startswith("spare-")] == []
    assert list((tmp_path / "proxy-tmp").iterdir()) == []
    monkeypatch.undo()
    assert client.simulate_put(f"{ACCOUNT}/c/o", body=b"x" * 100_000).status_code == 201
    assert client.simulate_get(f"{ACCOUNT}/c/o").content == b"x" * 100_000
    assert [o["name"] for o in client.simulate_get(f"{ACCOUNT}/c", params={"format": "json"}
                                                   ).json] == ["o"]


def test_one_full_disk_of_three_still_stores(client, nodes, monkeypatch):
    monkeypatch.setattr(nodes["storage2"].disk, "write_chunk", full_disk)
    assert client.simulate_put(f"{ACCOUNT}/c/o", body=b"abc").status_code == 201
    assert [n.object_files() for n in nodes.values()] == [1, 0, 1]
