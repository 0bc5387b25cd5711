"""The proxy's quorum and fallback, and the replicator bringing a lost node back."""

import hashlib

import pytest

from minicloud.common.trace import Tracer
from minicloud.object.proxy import Body, ObjectController
from minicloud.object.replicator import Replicator


def body(data: bytes) -> Body:
    return Body(data, None, len(data), hashlib.md5(data).hexdigest())


@pytest.fixture
def proxy(ring_file):
    return ObjectController(ring_file, Tracer(None))



def read(proxy, path):
    answer = proxy.get(path)
    return None if answer is None else answer.read()


def test_write_reaches_three_replicas(proxy, nodes):
    status, _ = proxy.put(("AUTH_p", "c", "o"), body(b"x"), {})
    assert status == 201
    assert [n.object_files() for n in nodes.values()] == [1, 1, 1]


def test_one_node_down_writes_on_quorum_reads_fall_back(proxy, nodes):
    nodes["storage1"].stop()
    assert proxy.put(("AUTH_p", "c", "o"), body(b"x"), {})[0] == 201
    assert read(proxy, ("AUTH_p", "c", "o")) == b"x"
    nodes["storage2"].stop()
    assert proxy.put(("AUTH_p", "c", "o2"), body(b"y"), {})[0] == 503  # 1 of 3: no quorum
    assert read(proxy, ("AUTH_p", "c", "o")) == b"x"


def test_replicator_restores_a_wiped_node(proxy, nodes, ring_file):
    for i in range(20):
        assert proxy.put(("AUTH_p", "c", f"o{i}"), body(b"%d" % i), {})[0] == 201
    proxy.delete(("AUTH_p", "c", "o0"))
    nodes["storage3"].stop()
    nodes["storage3"].wipe()
    proxy.put(("AUTH_p", "c", "o1"), body(b"new"), {})  # an overwrite it misses
    stats = Replicator(ring_file).run_once()
    assert stats.devices_unreachable == ["storage3"]
    nodes["storage3"].start()
    stats = Replicator(ring_file).run_once()
    assert stats.objects_copied == 19 and stats.tombstones_copied == 1
    assert [n.object_files() for n in nodes.values()] == [19, 19, 19]
    for other in ("storage1", "storage2"):
        nodes[other].stop()
    assert read(proxy, ("AUTH_p", "c", "o1")) == b"new"  # storage3 alone has the newest
    assert read(proxy, ("AUTH_p", "c", "o0")) is None  # and the tombstone
    assert Replicator(ring_file).run_once().objects_copied == 0


def test_newer_metadata_wins(proxy, nodes, ring_file):
    proxy.put(("AUTH_p", "c", "o"), body(b"x"), {"X-Object-Meta-A": "1"})
    nodes["storage1"].stop()
    assert proxy.post(("AUTH_p", "c", "o"), {"X-Object-Meta-A": "2"}) == 202
    nodes["storage1"].start()
    Replicator(ring_file).run_once()
    for other in ("storage2", "storage3"):
        nodes[other].stop()
    answer = proxy.get(("AUTH_p", "c", "o"), "HEAD")
    assert answer.headers["X-Object-Meta-A"] == "2"


def test_replicas_get_the_allowed_headers_too(proxy, nodes, ring_file):
    proxy.put(("AUTH_p", "c", "o"), body(b"x"), {"Content-Disposition": "inline",
                                                 "X-Delete-At": "9999999999"})
    nodes["storage1"].stop()
    assert proxy.post(("AUTH_p", "c", "o"), {"Content-Encoding": "gzip"}) == 202
    nodes["storage1"].start()
    Replicator(ring_file).run_once()
    for other in ("storage2", "storage3"):
        nodes[other].stop()
    headers = proxy.get(("AUTH_p", "c", "o"), "HEAD").headers
    assert headers["Content-Encoding"] == "gzip"
    assert "Content-Disposition" not in headers and "X-Delete-At" not in headers  # POST's
