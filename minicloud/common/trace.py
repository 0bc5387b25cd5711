"""Request-flow tracing: every HTTP request and RPC message records a span.

A span is one hop of a user's request (service, operation, parent, start, end, status).
Spans of one request share a trace id, carried between services in the
`X-Minicloud-Trace-Id`/`X-Minicloud-Span-Id` headers and in the RPC envelope. Spans are
written to `trace.db` in the data directory by a background thread, so recording costs
the request path a queue put. `minicloud trace list|show|last` reads them back.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import queue
import sqlite3
import threading
import time
import uuid
from pathlib import Path

TRACE_HEADER = "X-Minicloud-Trace-Id"
SPAN_HEADER = "X-Minicloud-Span-Id"

_current: contextvars.ContextVar["Span | None"] = contextvars.ContextVar("span", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


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
    context_token: object = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def duration_ms(self) -> float:
        return ((self.end or time.time()) - self.start) * 1000


def current() -> Span | None:
    return _current.get()


def outgoing_headers() -> dict:
    """Headers that make a REST call to another service a child of the current span."""
    span = current()
    if span is None:
        return {}
    return {TRACE_HEADER: span.trace_id, SPAN_HEADER: span.span_id}


SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, parent_id TEXT,
    service TEXT, operation TEXT, start REAL, "end" REAL, status TEXT,
    request_id TEXT, attrs TEXT);
CREATE INDEX IF NOT EXISTS spans_trace ON spans(trace_id);
CREATE INDEX IF NOT EXISTS spans_request ON spans(request_id);
CREATE INDEX IF NOT EXISTS spans_start ON spans(start);
"""


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    return conn


class TraceStore:
    """Spans in SQLite, written in batches by one background thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, span: Span) -> None:
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_loop, name="trace-writer",
                                                    daemon=True)
                    self._writer.start()
        self._queue.put(span)

    def _write_loop(self) -> None:
        conn = _connect(self.path)
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            self._write(conn, [s for s in batch if s is not None])
            for _ in batch:
                self._queue.task_done()

    @staticmethod
    def _write(conn: sqlite3.Connection, spans: list[Span]) -> None:
        rows = [(s.span_id, s.trace_id, s.parent_id, s.service, s.operation, s.start, s.end,
                 s.status, s.request_id, json.dumps(s.attrs)) for s in spans]
        conn.execute("BEGIN")
        conn.executemany("INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")

    def flush(self) -> None:
        """Wait until every recorded span is on disk."""
        if self._writer is not None:
            self._queue.join()

    # -- reading --------------------------------------------------------------------------
    def _read(self, sql: str, params=()) -> list[Span]:
        if not self.path.exists():
            return []
        conn = _connect(self.path)
        try:
            rows = conn.execute(sql, params).fetchall()
        finally:
            conn.close()
        return [Span(trace_id=r["trace_id"], span_id=r["span_id"], parent_id=r["parent_id"],
                     service=r["service"], operation=r["operation"], start=r["start"],
                     end=r["end"], status=r["status"], request_id=r["request_id"],
                     attrs=json.loads(r["attrs"] or "{}")) for r in rows]

    def roots(self, limit: int = 20) -> list[Span]:
        """The first span of the most recent traces, newest last."""
        spans = self._read("SELECT * FROM spans WHERE parent_id IS NULL "
                           "ORDER BY start DESC LIMIT ?", (limit,))
        return list(reversed(spans))

    def trace(self, trace_id: str) -> list[Span]:
        return self._read("SELECT * FROM spans WHERE trace_id = ? ORDER BY start", (trace_id,))

    def find(self, ident: str) -> list[Span]:
        """The spans of the trace named by a trace id (or unique prefix) or a request id."""
        hit = self._read("SELECT * FROM spans WHERE request_id = ? OR trace_id = ? LIMIT 1",
                         (ident, ident))
        if not hit:
            hit = self._read("SELECT * FROM spans WHERE trace_id LIKE ? LIMIT 1", (ident + "%",))
        return self.trace(hit[0].trace_id) if hit else []


class Tracer:
    """Opens and closes spans for one process; the current span lives in a context variable."""

    def __init__(self, store: TraceStore | None = None, clock=time.time):
        self.store = store
        self.clock = clock

    def start(self, service: str, operation: str, *, trace_id: str | None = None,
              parent_id: str | None = None, request_id: str | None = None, **attrs) -> Span:
        parent = current()
        if trace_id is None and parent is not None:
            trace_id, parent_id = parent.trace_id, parent_id or parent.span_id
        span = Span(trace_id=trace_id or new_id(), span_id=new_id(), parent_id=parent_id,
                    service=service, operation=operation, start=self.clock(),
                    request_id=request_id, attrs=attrs)
        span.context_token = _current.set(span)
        return span

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
        if self.store is not None:
            self.store.record(span)

    @contextlib.contextmanager
    def span(self, service: str, operation: str, **kw):
        span = self.start(service, operation, **kw)
        try:
            yield span
        except BaseException as exc:
            self.finish(span, status=f"error: {type(exc).__name__}: {exc}")
            raise
        self.finish(span)


def format_tree(spans: list[Span]) -> str:
    """A trace as an indented tree: one line per span with its service, timing and status."""
    if not spans:
        return "(no spans)"
    t0 = min(s.start for s in spans)
    children: dict[str | None, list[Span]] = {}
    ids = {s.span_id for s in spans}
    for s in spans:
        children.setdefault(s.parent_id if s.parent_id in ids else None, []).append(s)
    lines = [f"trace {spans[0].trace_id}"]

    def walk(parent_id, depth):
        for s in sorted(children.get(parent_id, []), key=lambda s: s.start):
            extra = " ".join(f"{k}={v}" for k, v in s.attrs.items())
            lines.append(f"{'  ' * depth}+{(s.start - t0) * 1000:7.1f} ms  {s.duration_ms:7.1f} ms  "
                         f"{s.service:<10} {s.operation}  [{s.status}]" + (f"  {extra}" if extra else ""))
            walk(s.span_id, depth + 1)

    walk(None, 1)
    return "\n".join(lines)
