"""A boot's trace as a sequence diagram: nova-api -> conductor -> scheduler (with its
decision) -> compute host -> driver -> ACTIVE, in text and as mermaid; with the SQL writes
of the services that own compute.db, and a failed build tried again elsewhere."""

from minicloud.common.trace_diagram import (WIDTH, format_mermaid, format_sequence,
                                            format_tree, hops, participants)


def boot_trace(nova):
    server = nova.boot("vm1")
    nova.tracer.store.flush()
    roots = nova.tracer.store._read("SELECT * FROM spans WHERE operation = 'POST /v2.1/servers'")
    return server, nova.tracer.store.trace(roots[0].trace_id)


def test_boot_trace_follows_the_request_through_every_hop(nova):
    server, spans = boot_trace(nova)
    assert len({s.trace_id for s in spans}) == 1
    items = hops(spans)
    order = [p for p in participants(items) if not p.endswith(".db")]
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
    alias = {line.split(" as ")[1]: line.split()[1] for line in mermaid.splitlines()
             if line.strip().startswith("participant")}
    assert f"{alias['nova-api']}-){alias['nova-conductor']}: cast conductor.build_instances" \
        in mermaid
    assert f"{alias['nova-conductor']}->>{alias['compute.db']}: UPDATE instances " in mermaid
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


def test_sql_writes_are_hops_of_the_service_that_wrote(nova):
    """nova-api writes the new row, the conductor every state after it; nova-compute never
    touches compute.db. Reads are left out unless asked for, then summed per table."""
    server, spans = boot_trace(nova)
    writes = [(h.source, h.label) for h in hops(spans) if h.kind == "db"]
    assert all(h.target == "compute.db" for h in hops(spans) if h.kind == "db")
    assert ("nova-api", "INSERT instances") in writes
    assert ("nova-conductor", "UPDATE instances task_state=networking") in writes
    assert any(who == "nova-conductor" and label.startswith("UPDATE instances vm_state=active")
               for who, label in writes)
    assert not any(who.startswith("nova-compute") for who, _ in writes)
    assert not any(h.kind == "read" for h in hops(spans))
    reads = [h for h in hops(spans, reads=True) if h.kind == "read"]
    assert any(h.source == "nova-api" and "instances" in h.label for h in reads)
    text = format_sequence(spans)
    assert "nova-conductor => compute.db" in text and "vm_state=active" in text


def test_a_failed_build_shows_as_a_failed_attempt_then_the_other_host(nova):
    nova.hosts["compute1"].driver.fail_spawn = True
    nova.config.scheduler_weigher = "ram_spread"
    server, spans = boot_trace(nova)
    assert nova.server(server["id"])["OS-EXT-SRV-ATTR:host"] == "compute2"
    notes = [(h.target, h.label) for h in hops(spans) if h.kind == "note"]
    assert any(who == "nova-compute@compute1" and label.startswith(
        "failed: build failed on compute1, rescheduled") for who, label in notes), notes
    assert ("nova-conductor", "scheduled on compute2 (attempt 2)") in notes
    replies = [h.label for h in hops(spans) if h.kind == "reply"
               and h.source == "fake-driver@compute1"]
    assert replies and replies[0].startswith("error")


def test_every_line_fits_the_width(nova):
    server, spans = boot_trace(nova)
    for text in (format_sequence(spans), format_sequence(spans, reads=True),
                 format_tree(spans)):
        assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert server["id"] not in format_sequence(spans)  # ids are cut to 8 characters
    assert server["id"][:8] + "..." in format_tree(spans)
