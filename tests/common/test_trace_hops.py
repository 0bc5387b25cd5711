"""What a trace shows beside requests and replies: the token check a service made (asked
Keystone, or answered from its cache), an RPC message nobody answered (timed out, or still
in its queue), and a call that never reached its peer."""

from __future__ import annotations

import pytest

from minicloud.common import rpc
from minicloud.common.keystone import RemoteTokenValidator, ServiceAuth
from minicloud.common.trace import Tracer, failed_hop
from minicloud.common.trace_diagram import format_sequence, hops
from tests.common.fakes import FakeClock, FakeCloud


class Spans:
    def __init__(self):
        self.spans = []

    def record(self, span):
        self.spans.append(span)


@pytest.fixture
def recorded():
    store = Spans()
    return store, Tracer(store)


def test_a_token_from_the_cache_is_a_note_a_token_asked_for_is_not(recorded):
    store, tracer = recorded
    clock = FakeClock()
    cloud = FakeCloud(clock).start()
    try:
        validate = RemoteTokenValidator(ServiceAuth(cloud.auth_url, "nova", "secret",
                                                    clock=clock), cache_seconds=5, clock=clock)
        token = cloud.user_token("alice")
        for _ in range(2):
            with tracer.span("nova-api", "GET /v2.1/servers"):
                validate(token)
    finally:
        cloud.stop()
    first, second = [s for s in store.spans if s.service == "nova-api"]
    assert "token" not in first.attrs and second.attrs["token"] == "cache"
    notes = [h for h in hops(store.spans) if h.kind == "note"]
    assert [(h.target, h.label) for h in notes] == [
        ("nova-api", "token check: from its cache, no call to Keystone")]


def test_an_rpc_call_nobody_answered_is_drawn_as_failed(recorded):
    store, tracer = recorded
    transport = rpc.get_transport("memory://")
    try:
        client = rpc.RPCClient(transport, "conductor", service="nova-api", tracer=tracer,
                               timeout=0.2)
        with tracer.span("nova-api", "POST /v2.1/servers"):
            with pytest.raises(rpc.RPCError):
                client.call(None, "build_instances")
    finally:
        transport.close()
    text = format_sequence(store.spans)
    [failed] = [h for h in hops(store.spans) if h.kind == "failed"]
    assert (failed.source, failed.target) == ("nova-api", "conductor")
    assert failed.label.startswith("call conductor.build_instances  ")
    assert "nova-api -x conductor" in text


def test_a_refused_connection_is_a_failed_hop_to_the_peer(recorded):
    store, tracer = recorded
    with tracer.span("swift", "PUT /v1/AUTH_p/c/o"):
        failed_hop("swift-object-storage2", "PUT /sdb1/7/0a1b", "Connection refused")
    text = format_sequence(store.spans)
    assert "swift -x swift-object-storage2" in text
    assert "PUT /sdb1/7/0a1b  Connection refused" in text
