"""Request-flow tracing: every HTTP request, RPC message and SQL write records a span.

A span is one hop of a user's request (service, operation, parent, start, end, status).
Spans of one request share a trace id, carried between services in the
`X-Minicloud-Trace-Id`/`X-Minicloud-Span-Id` headers and in the RPC envelope. Spans are
written to `trace.db` in the data directory by a background thread (trace_store.py), so
recording costs the request path a queue put. `minicloud trace list|show|last` reads them
back and prints them as a sequence diagram (trace_diagram.py).

Besides the spans of requests, a span can hold events that happen inside it:
- `statement()` sees each SQL statement a service runs (db.py's connections are
  TracedConnections): a write (INSERT, UPDATE, DELETE) is a span of the service that wrote
  it, naming its database (`attrs["db"]`); reads are only counted on the enclosing span
  (`attrs["db_reads"]`), shown by `trace show --all`;
- `failed_hop()`: a call that never reached its peer (a refused connection);
- `annotate()`: what a service decided (a note, the token check it made, a failure).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import sqlite3
import time
from typing import TYPE_CHECKING

from minicloud.common import ids, trace_sql

if TYPE_CHECKING:
    from minicloud.common.trace_store import TraceStore

TRACE_HEADER = "X-Minicloud-Trace-Id"
SPAN_HEADER = "X-Minicloud-Span-Id"
# Housekeeping that runs by itself (periodic replication) sends this instead, so the
# requests it makes do not bury the learner's own in `minicloud trace list`.
UNTRACED_HEADER = "X-Minicloud-Untraced"

_current: contextvars.ContextVar["Span | None"] = contextvars.ContextVar("span", default=None)


def new_id() -> str:
    return ids.random_hex()


@dataclasses.dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start: float
    end: float | None = None
    status: str | None = None
    request_id: str | None = None
    attrs: dict = dataclasses.field(default_factory=dict)
    # In this process only (never stored nor forwarded): the context variable's token, and
    # the tracer that records the span's events (its SQL writes).
    context_token: object = dataclasses.field(default=None, repr=False, compare=False,
                                              metadata={"local": True})
    tracer: "Tracer | None" = dataclasses.field(default=None, repr=False, compare=False,
                                                metadata={"local": True})

    @property
    def duration_ms(self) -> float:
        return ((self.end or time.time()) - self.start) * 1000


def current() -> Span | None:
    return _current.get()


def outgoing_headers(background: bool = False) -> dict:
    """Headers that make a REST call to another service a child of the current span. With
    no current span, a `background` caller asks the callee not to trace the call at all."""
    span = current()
    if span is None:
        return {UNTRACED_HEADER: "1"} if background else {}
    return {TRACE_HEADER: span.trace_id, SPAN_HEADER: span.span_id}


class Tracer:
    """Opens and closes spans for one process; the current span lives in a context variable."""

    def __init__(self, store: TraceStore | None = None, clock=time.time):
        self.store = store
        self.clock = clock
        # Attributes every span of this process carries: where nodes run in processes of
        # their own, the launcher sets {"pid": ...}, so a trace shows which process did what.
        self.stamp: dict = {}

    def start(self, service: str, operation: str, *, trace_id: str | None = None,
              parent_id: str | None = None, request_id: str | None = None, **attrs) -> Span:
        parent = current()
        if trace_id is None and parent is not None:
            trace_id, parent_id = parent.trace_id, parent_id or parent.span_id
        span = Span(trace_id=trace_id or new_id(), span_id=new_id(), parent_id=parent_id,
                    service=service, operation=operation, start=self.clock(),
                    request_id=request_id, attrs={**self.stamp, **attrs}, tracer=self)
        span.context_token = _current.set(span)
        return span

    def event(self, parent: Span, operation: str, status: str = "ok", **attrs) -> None:
        """A finished child of `parent` that took no time worth measuring (an SQL write, a
        connection refused), recorded without becoming the current span."""
        now = self.clock()
        self.record(Span(trace_id=parent.trace_id, span_id=new_id(), parent_id=parent.span_id,
                         service=parent.service, operation=operation, start=now, end=now,
                         status=status, request_id=parent.request_id,
                         attrs={**self.stamp, **attrs}))

    def record(self, span: Span) -> None:
        if self.store is not None:
            self.store.record(span)

    def finish(self, span: Span, status: str = "ok", **attrs) -> None:
        token, span.context_token = span.context_token, None
        if token is not None:
            try:
                _current.reset(token)
            except ValueError:  # finished in another context than it started in
                _current.set(None)
        span.end = self.clock()
        span.status = span.status or status
        span.attrs.update(attrs)
        self.record(span)

    @contextlib.contextmanager
    def span(self, service: str, operation: str, **kw):
        span = self.start(service, operation, **kw)
        try:
            yield span
        except BaseException as exc:
            self.finish(span, status=f"error: {type(exc).__name__}: {exc}")
            raise
        self.finish(span)


def annotate(*, status: str | None = None, **attrs) -> None:
    """Add to the current span (if any) what the service decided: a `note` the diagram
    shows, `token="cache"` for a token checked without asking Keystone, or a failed
    `status` ("error: ...") for work that went wrong without raising (a build that goes
    back to the conductor to be tried on another host)."""
    span = current()
    if span is None:
        return
    span.attrs.update(attrs)
    if status is not None:
        span.status = status


def failed_hop(peer: str, operation: str, error: str) -> None:
    """A call from the current span's service that never reached `peer` (connection
    refused, timed out): the peer has no span of its own, so the caller records one."""
    span = current()
    if span is not None and span.tracer is not None:
        span.tracer.event(span, operation, status=f"error: {error}", peer=peer)


# -- SQL statements (every connection db.py opens is a TracedConnection) ------------------
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "ROLLBA")


class TracedConnection(sqlite3.Connection):
    """A connection to the database `db_name` (e.g. "compute.db") whose statements pass
    `statement()` once they ran. (SQLite's own trace callback would do it too, but it
    writes every statement's parameters into its text first, reads included: a cost on
    every statement, where this one costs a method call.)"""

    db_name = "?"

    def execute(self, sql, parameters=(), /):
        cursor = super().execute(sql, parameters)
        statement(self.db_name, sql, parameters)
        return cursor

    def executemany(self, sql, seq_of_parameters, /):
        rows = list(seq_of_parameters)
        cursor = super().executemany(sql, rows)
        for parameters in rows:
            statement(self.db_name, sql, parameters)
        return cursor


def statement(db: str, sql: str, parameters=()) -> None:
    """A statement that ran on `db`, within the current span (if any): a write becomes a
    span of the span's service, a read is counted on the span. With no current span
    (start-up, housekeeping) it costs a context-variable lookup."""
    span = _current.get()
    if span is None or span.tracer is None:
        return
    verb = sql[:40].lstrip()[:6].upper()
    if verb in WRITES:
        operation = trace_sql.summary(trace_sql.expand(sql, parameters))
        if operation:
            span.tracer.event(span, operation, db=db)
    elif verb == "SELECT" or verb.startswith("WITH"):
        table = trace_sql.table_read(sql)
        if table:
            reads = span.attrs.setdefault("db_reads", {}).setdefault(db, {})
            reads[table] = reads.get(table, 0) + 1
