"""A PUT while a storage node is down: the proxy's trace shows the write to that node as a
refused connection (`swift -x swift-object-storage2`), next to the two that stored it."""

import hashlib

from minicloud.common.trace import Tracer
from minicloud.common.trace_diagram import format_sequence, hops
from minicloud.object.proxy import Body, ObjectController


class Spans:
    def __init__(self):
        self.spans = []

    def record(self, span):
        self.spans.append(span)


def test_a_put_to_a_stopped_node_is_a_refused_hop(nodes, ring_file):
    store = Spans()
    tracer = Tracer(store)
    nodes["storage2"].stop()
    data = b"hello"
    body = Body(data, None, len(data), hashlib.md5(data).hexdigest())
    with tracer.span("swift", "PUT /v1/AUTH_p/c/o"):
        status, _ = ObjectController(ring_file, tracer).put(("AUTH_p", "c", "o"), body, {})
    assert status == 201  # 2 of 3: a quorum
    [failed] = [h for h in hops(store.spans) if h.kind == "failed"]
    assert (failed.source, failed.target) == ("swift", "swift-object-storage2")
    assert failed.label.startswith("PUT /sdb1/") and failed.label.endswith("Connection refused")
    assert "swift -x swift-object-storage2" in format_sequence(store.spans)
