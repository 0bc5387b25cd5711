"""Spans from a node in another process reach the controller's trace store over the bus;
with the controller away they are dropped and counted, and recording never fails."""

from __future__ import annotations

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.common.trace_forward import TraceForwarder, start_collector
from minicloud.common.trace_store import TraceStore
from tests.fakes import wait_for


def test_spans_travel_to_the_collectors_store(tmp_path):
    transport = rpc.get_transport("memory://")
    store = TraceStore(tmp_path / "trace.db")
    collector = start_collector(transport, store, "controller")
    forwarder = TraceForwarder(transport, window=0.01)
    tracer = Tracer(forwarder)
    with tracer.span("nova-compute@compute3", "build_and_run_instance", request_id="req-1"):
        with tracer.span("nova-compute@compute3", "spawn"):
            pass
    forwarder.flush()
    store.flush()
    spans = wait_for(lambda: store.find("req-1"))
    assert sorted(s.operation for s in spans) == ["build_and_run_instance", "spawn"]
    root = [s for s in spans if s.operation == "build_and_run_instance"][0]
    assert [s.parent_id for s in spans if s.operation == "spawn"] == [root.span_id]
    assert forwarder.dropped == 0
    collector.stop()
    transport.close()


def test_with_the_controller_away_spans_are_dropped_and_counted(tmp_path):
    transport = rpc.get_transport("memory://")
    transport.close()  # the bus is gone: every cast fails
    forwarder = TraceForwarder(transport, window=0.01)
    tracer = Tracer(forwarder)
    for i in range(3):
        with tracer.span("nova-compute@compute3", f"op{i}"):
            pass
    forwarder.flush()
    assert forwarder.dropped == 3


def test_a_full_queue_drops_instead_of_blocking(tmp_path):
    transport = rpc.get_transport("memory://")
    forwarder = TraceForwarder(transport, window=5, max_queued=2)  # nothing leaves for 5 s
    tracer = Tracer(forwarder)
    for i in range(6):
        with tracer.span("svc", f"op{i}"):
            pass
    assert forwarder.dropped >= 3
    transport.close()
