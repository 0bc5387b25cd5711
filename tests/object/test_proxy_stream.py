"""A PUT's body streamed through the proxy: each chunk goes to every replica as it
arrives; a body that ends early, or does not match the client's ETag, is kept by no node."""

import hashlib
import io
import os
import time

import pytest

from minicloud.common.trace import Tracer
from minicloud.object.proxy import STREAM_CHUNK, Incoming, Incomplete, ObjectController

PATH = ("AUTH_p", "c", "o")


@pytest.fixture
def proxy(ring_file):
    return ObjectController(ring_file, Tracer(None))


def stored(nodes) -> list[bytes]:
    """The bytes of every .data file on every node."""
    return [f.read_bytes() for n in nodes.values()
            for f in sorted((n.disk.root / "objects").rglob("*.data"))]


def test_a_body_of_many_chunks_reaches_every_replica_whole(proxy, nodes):
    data = os.urandom(2 * STREAM_CHUNK + 123)
    body = Incoming(io.BytesIO(data), len(data))
    assert proxy.put(PATH, body, {})[0] == 201
    assert body.etag == hashlib.md5(data).hexdigest()  # as the nodes hashed it
    assert stored(nodes) == [data] * 3
    assert proxy.get(PATH).read() == data


def test_a_body_that_ends_early_is_kept_by_no_node(proxy, nodes):
    with pytest.raises(Incomplete):
        proxy.put(PATH, Incoming(io.BytesIO(b"x" * (STREAM_CHUNK + 10)), 3 * STREAM_CHUNK), {})
    time.sleep(0.2)  # the nodes see the connection end and drop what they had
    assert stored(nodes) == []
    assert all(not list(n.disk.tmp.glob("[0-9a-f]*")) for n in nodes.values())


def test_bytes_that_do_not_match_the_clients_etag_are_refused_everywhere(proxy, nodes):
    data = os.urandom(2 * STREAM_CHUNK)
    status, _ = proxy.put(PATH, Incoming(io.BytesIO(data), len(data), "0" * 32), {})
    assert status == 422 and stored(nodes) == []


def test_a_restarted_node_gets_a_streamed_body_on_a_fresh_connection(proxy, nodes):
    data = os.urandom(STREAM_CHUNK + 1)
    assert proxy.put(PATH, Incoming(io.BytesIO(data), len(data)), {})[0] == 201
    for node in nodes.values():  # every pooled keep-alive is now closed by its node
        node.stop()
        node.start()
    assert proxy.put(("AUTH_p", "c", "o2"), Incoming(io.BytesIO(data), len(data)), {})[0] == 201
    assert stored(nodes).count(data) == 6  # both objects on all three nodes


def lying(node, etag: str) -> None:
    """The node stores what it got but answers another ETag (as if other bytes reached it)."""
    put = node.disk.put
    node.disk.put = lambda *args: (put(*args), etag)[1]


def test_a_node_whose_etag_differs_from_the_others_counts_as_failed(proxy, nodes):
    data = os.urandom(1000)
    lying(nodes["storage1"], "0" * 32)
    body = Incoming(io.BytesIO(data), len(data))
    assert proxy.put(PATH, body, {})[0] == 201  # two of three agree: a quorum
    assert body.etag == hashlib.md5(data).hexdigest()
    lying(nodes["storage2"], "1" * 32)  # now each node names another ETag: no quorum
    assert proxy.put(PATH, Incoming(io.BytesIO(data), len(data)), {})[0] == 503
