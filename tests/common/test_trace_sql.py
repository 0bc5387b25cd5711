"""SQL statements as a trace shows them: each statement a service's connection runs passes
trace.statement with its parameters; a write becomes a span of the service that made it
(parameters written in, values cut short), a read only a count on that service's span, and
nothing at all outside a request."""

import pytest

from minicloud.common import trace
from minicloud.common.db import Database
from minicloud.common.trace_sql import expand, shorten_ids, summary, table_read


@pytest.mark.parametrize("sql, shown", [
    ("UPDATE [instances] SET [vm_state] = 'active', [task_state] = NULL, [updated] = 1.5 "
     "WHERE [id] = 'x'", "UPDATE instances vm_state=active task_state=NULL"),
    ("UPDATE t SET a = 'it''s, fine', b = json('[1, 2]') WHERE c = 1", "UPDATE t a=it's,fine "
     "b=json('[1,2]')"),
    ("UPDATE ports SET device_id = '3cb2ecd4-36bd-4300-b15c-197e6fdbc392' WHERE id = 'p'",
     "UPDATE ports device_id=3cb2ecd4..."),
    ("INSERT INTO [ports] ([id], [name]) VALUES ('a', 'b')", "INSERT ports"),
    ('INSERT OR REPLACE INTO "quotas" (a) VALUES (1)', "INSERT OR REPLACE quotas"),
    ("REPLACE INTO t VALUES (1)", "REPLACE t"),
    ("DELETE FROM [ip_allocations] WHERE port_id = 'p'", "DELETE FROM ip_allocations"),
    ("ROLLBACK", "ROLLBACK"),
    ("insert into t0123456789abcdef0123456789abcdef (id) values (1)", None),  # sqlite-utils' probe
])
def test_a_write_is_its_verb_table_and_the_columns_it_set(sql, shown):
    assert summary(sql) == shown


def test_parameters_are_written_in_as_literals():
    assert expand("UPDATE t SET a = ?, b = COALESCE(?, b), c = 'why?' WHERE id = ?",
                  ("it's", None, 7)) == ("UPDATE t SET a = 'it''s', b = COALESCE(NULL, b), "
                                         "c = 'why?' WHERE id = 7")
    assert expand("DELETE FROM t WHERE id = :id", {"id": "x"}) == "DELETE FROM t WHERE id = 'x'"


def test_long_values_and_ids_are_cut():
    text = summary("UPDATE instances SET network_info = '" + "x" * 200 + "' WHERE id = 'i'")
    assert text == "UPDATE instances network_info=" + "x" * 21 + "..."
    assert shorten_ids("GET /v1/AUTH_fca71d2a0cb84e1a8b550e95ffa898bd/c") == "GET /v1/AUTH_fca71d2a.../c"


def test_the_table_a_select_reads():
    assert table_read("SELECT * FROM [instances] WHERE id = 1") == "instances"
    assert table_read("select name from sqlite_master") is None


class Recorder:
    def __init__(self):
        self.spans = []

    def record(self, span):
        self.spans.append(span)


def schema(db):
    db.executescript("CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY, state TEXT)")


def test_writes_in_a_request_are_spans_of_its_service(tmp_path):
    store = Recorder()
    tracer = trace.Tracer(store)
    database = Database(tmp_path / "compute.db", schema)
    database.write("INSERT INTO things VALUES ('a', 'new')")  # no request: no span
    assert store.spans == []
    with tracer.span("nova-conductor", "instance_update") as parent:
        with database.transaction() as db:
            db["things"].update("a", {"state": "active"})
        database.query("SELECT * FROM things")
        database.query("SELECT * FROM things")
    writes = [s for s in store.spans if s.attrs.get("db")]
    assert [(s.service, s.operation, s.attrs["db"], s.parent_id) for s in writes] == [
        ("nova-conductor", "UPDATE things state=active", "compute.db", parent.span_id)]
    assert parent.attrs["db_reads"]["compute.db"]["things"] >= 2


def test_a_refused_call_is_a_failed_hop_of_the_caller():
    store = Recorder()
    tracer = trace.Tracer(store)
    trace.failed_hop("swift-object-storage2", "PUT /sdb1/1/x", "nobody is listening")  # no span
    with tracer.span("swift", "PUT /v1/AUTH_p/c/o"):
        trace.failed_hop("swift-object-storage2", "PUT /sdb1/1/x", "Connection refused")
    [failed] = [s for s in store.spans if s.attrs.get("peer")]
    assert failed.service == "swift" and failed.status == "error: Connection refused"
    assert failed.attrs["peer"] == "swift-object-storage2"


def test_a_write_that_fires_triggers_is_one_span(tmp_path):
    """What a trigger does is part of the statement (Swift's listing counters): one span."""
    def with_trigger(db):
        db.executescript("CREATE TABLE IF NOT EXISTS c (n INT); INSERT INTO c VALUES (0);"
                         "CREATE TABLE IF NOT EXISTS o (name TEXT);"
                         "CREATE TRIGGER IF NOT EXISTS o_ins AFTER INSERT ON o "
                         "BEGIN UPDATE c SET n = n + 1; END;")
    store = Recorder()
    tracer = trace.Tracer(store)
    database = Database(tmp_path / "object.db", with_trigger)
    with tracer.span("swift", "PUT /v1/AUTH_p/c/o"):
        database.write("INSERT INTO o VALUES ('a')")
        database.write("INSERT INTO o VALUES ('b')")
    assert [s.operation for s in store.spans if s.attrs.get("db")] == ["INSERT o", "INSERT o"]
    assert database.query("SELECT n FROM c") == [{"n": 2}]
