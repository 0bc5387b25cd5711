"""The trace store's writer thread: close() writes what was recorded, then ends the thread
and its connection (a cloud that stops leaves neither behind in its process)."""

import threading

from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore


def writers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "trace-writer")


def test_close_writes_every_span_then_ends_the_writer(tmp_path):
    before = writers()
    store = TraceStore(tmp_path / "trace.db")
    tracer = Tracer(store)
    with tracer.span("nova-api", "GET /servers") as span:
        tracer.event(span, "compute.db UPDATE instances")
    assert writers() == before + 1
    store.close()
    assert writers() == before
    assert [s.operation for s in store.trace(span.trace_id)] == \
        ["GET /servers", "compute.db UPDATE instances"]
    with tracer.span("nova-api", "GET /flavors"):  # a late span: a new writer takes it
        pass
    store.close()
    assert len(store.roots(10)) == 2 and writers() == before
