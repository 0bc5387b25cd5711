"""A full disk: the object server answers 507 Insufficient Storage and keeps nothing of
the write; the proxy answers 503 when too few replicas could store it (Swift's quorum),
and both work again once there is room. ENOSPC is injected into a device's writes."""

import errno
import hashlib
import time

import pytest
import requests

from minicloud.common.trace import Tracer
from minicloud.object.proxy import Body, ObjectController
from minicloud.object.storage import normalize_timestamp

H = "0123456789abcdef0123456789abcdef"


def full_disk(fd, data):
    raise OSError(errno.ENOSPC, "No space left on device")


def fill(node, monkeypatch):
    monkeypatch.setattr(node.disk, "write_chunk", full_disk)


def put(node, body=b"data", ts=None):
    return requests.put(f"http://127.0.0.1:{node.port}/sdb1/3/{H}", data=body, headers={
        "X-Timestamp": normalize_timestamp(ts or time.time()), "X-Object-Name": "/AUTH_p/c/o"})


def leftovers(node) -> list:
    return [p.name for p in node.disk.tmp.iterdir() if not p.name.startswith("spare-")]


def test_object_server_answers_507_and_keeps_nothing(nodes, monkeypatch):
    node = nodes["storage1"]
    fill(node, monkeypatch)
    assert put(node, b"x" * 200_000).status_code == 507
    assert node.object_files() == 0 and leftovers(node) == []
    assert requests.get(f"http://127.0.0.1:{node.port}/sdb1/3/{H}").status_code == 404
    monkeypatch.undo()  # room again
    assert put(node, b"x" * 200_000).status_code == 201
    assert node.object_files() == 1


def test_a_full_disk_keeps_the_previous_version(nodes, monkeypatch):
    node = nodes["storage1"]
    assert put(node, b"v1", ts=1000).status_code == 201
    fill(node, monkeypatch)
    assert put(node, b"v2", ts=2000).status_code == 507
    got = requests.get(f"http://127.0.0.1:{node.port}/sdb1/3/{H}")
    assert got.status_code == 200 and got.content == b"v1"


@pytest.fixture
def proxy(ring_file):
    return ObjectController(ring_file, Tracer(None))


def body(data: bytes) -> Body:
    return Body(data, None, len(data), hashlib.md5(data).hexdigest())


def test_proxy_needs_a_quorum_of_disks_with_room(proxy, nodes, monkeypatch):
    storage1, storage2, storage3 = nodes.values()
    fill(storage1, monkeypatch)
    status, _ = proxy.put(("AUTH_p", "c", "one-full"), body(b"x"), {})
    assert status == 201  # two of three stored it
    fill(storage2, monkeypatch)
    status, _ = proxy.put(("AUTH_p", "c", "two-full"), body(b"y"), {})
    assert status == 503
    # the one disk with room keeps its copy, as in Swift; the API lists nothing on a 503
    assert [n.object_files() for n in nodes.values()] == [0, 1, 2]
    assert all(leftovers(n) == [] for n in nodes.values())
    monkeypatch.undo()
    status, _ = proxy.put(("AUTH_p", "c", "two-full"), body(b"y"), {})
    assert status == 201
    assert proxy.get(("AUTH_p", "c", "two-full")).read() == b"y"
