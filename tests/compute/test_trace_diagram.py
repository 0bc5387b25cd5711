"""A boot's trace as a sequence diagram: nova-api -> conductor -> scheduler (with its
decision) -> compute host -> driver -> ACTIVE, in text and as mermaid."""

from minicloud.common.trace import format_mermaid, format_sequence, hops, participants


def boot_trace(nova):
    server = nova.boot("vm1")
    nova.tracer.store.flush()
    roots = nova.tracer.store._read("SELECT * FROM spans WHERE operation = 'POST /v2.1/servers'")
    return server, nova.tracer.store.trace(roots[0].trace_id)


def test_boot_trace_follows_the_request_through_every_hop(nova):
    server, spans = boot_trace(nova)
    assert len({s.trace_id for s in spans}) == 1
    items = hops(spans)
    order = participants(items)
    assert order[:4] == ["client", "nova-api", "nova-conductor", "nova-scheduler"]
    host = nova.server(server["id"])["OS-EXT-SRV-ATTR:host"]
    assert order.index(f"nova-compute@{host}") < order.index(f"fake-driver@{host}")
    notes = [h.label for h in items if h.kind == "note"]
    assert any(n.startswith("2 of 2 hosts passed the filters") and f"chose {host}" in n
               for n in notes)
    assert notes[-1] == "server ACTIVE"
    decision = [s for s in spans if s.operation == "filter and weigh hosts"][0]
    assert decision.attrs["chosen_host"] == host


def test_text_and_mermaid_renderings(nova):
    server, spans = boot_trace(nova)
    text = format_sequence(spans)
    assert "client -> nova-api" in text and "POST /v2.1/servers" in text
    assert "nova-api -) nova-conductor" in text and "cast conductor.build_instances" in text
    assert "202" in text
    mermaid = format_mermaid(spans)
    assert mermaid.startswith("sequenceDiagram\n    participant P0 as client")
    assert "P1-)P2: cast conductor.build_instances" in mermaid
    assert "Note over" in mermaid and ";" not in mermaid.split("\n", 1)[1]


def test_trace_last_is_the_last_commands_work(tmp_path):
    from minicloud.common.trace import Tracer
    from minicloud.common.trace_store import TraceStore

    store = TraceStore(tmp_path / "trace.db")
    tracer = Tracer(store)

    def request(service, operation):
        with tracer.span(service, operation):
            pass

    request("keystone", "POST /v3/auth/tokens")       # command 1 logs in...
    request("nova-api", "GET /v2.1")
    request("nova-api", "POST /v2.1/servers")          # ...and does its work
    request("nova-api", "GET /v2.1/servers/x")         # --wait polls
    with tracer.span("neutron-agent", "report_state"):  # an agent, no HTTP
        pass
    store.flush()
    assert [s.operation for s in store.last_command()] == ["POST /v2.1/servers"]
    request("keystone", "POST /v3/auth/tokens")       # command 2 only reads
    request("glance", "GET /v2/images")
    request("nova-api", "GET /v2.1/flavors/detail")
    store.flush()
    assert [s.operation for s in store.last_command()] == ["GET /v2/images",
                                                           "GET /v2.1/flavors/detail"]
    request("keystone", "POST /v3/auth/tokens")       # command 3: `token issue`
    store.flush()
    assert [s.operation for s in store.last_command()] == ["POST /v3/auth/tokens"]
