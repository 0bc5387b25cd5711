"""Request-flow tracing: every HTTP request and RPC message records a span.

A span is one hop of a user's request (service, operation, parent, start, end, status).
Spans of one request share a trace id, carried between services in the
`X-Minicloud-Trace-Id`/`X-Minicloud-Span-Id` headers and in the RPC envelope. Spans are
written to `trace.db` in the data directory by a background thread, so recording costs
the request path a queue put. `minicloud trace list|show|last` reads them back and prints
them as a sequence diagram (text, or mermaid with `--mermaid`) or as a tree (`--tree`).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path

from minicloud.common import ids

LOG = logging.getLogger(__name__)

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
    context_token: object = dataclasses.field(default=None, repr=False, compare=False)

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


BATCH_WINDOW = 0.05  # seconds the writer waits after a span before it commits


class TraceStore:
    """Spans in SQLite, written in batches by one background thread: a busy cloud makes
    a commit every BATCH_WINDOW, not one per span."""

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
            time.sleep(BATCH_WINDOW)  # let a request's other spans arrive: one commit for all
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            try:
                self._write(conn, [s for s in batch if s is not None])
            except sqlite3.Error as exc:  # a full disk, say: traces are lost, the cloud is not
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
                LOG.warning("trace: %d spans not written: %s", len(batch), exc)
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

    def last_command(self) -> list[Span]:
        """The spans of what the last CLI command did (what `minicloud trace last` shows).

        A command is every HTTP request since its login (`POST /v3/auth/tokens`, each
        `openstack` run logs in first). Of those, the requests that changed something
        (POST/PUT/PATCH/DELETE) are the command's work: `server create --wait` is its
        `POST /servers` with everything it set off, not the status polls and name look-ups
        around it. A command that only read shows all its requests; a bare login shows
        itself. Agents' reports (no HTTP) never count.
        """
        login = self._read("SELECT * FROM spans WHERE parent_id IS NULL AND "
                           "operation LIKE 'POST %/auth/tokens' ORDER BY start DESC LIMIT 1")
        since = login[0].start if login else 0.0
        roots = self._read("SELECT * FROM spans WHERE parent_id IS NULL AND start >= ? AND "
                           "operation GLOB '[A-Z]* /*' ORDER BY start", (since,))
        if not roots:
            return []
        writes = [r for r in roots if r.operation.split()[0] in ("POST", "PUT", "PATCH",
                                                                 "DELETE")
                  and not r.operation.endswith("/auth/tokens")]
        if writes:
            return [s for r in writes for s in self.trace(r.trace_id)]
        reads = [r for r in roots if not r.operation.endswith("/auth/tokens")] or roots
        return [s for r in reads for s in self.trace(r.trace_id)]

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


# -- sequence diagrams: who called whom, in order ----------------------------------------
RPC_PREFIXES = ("call ", "cast ", "fanout ")
CLIENT = "client"


@dataclasses.dataclass
class Hop:
    """One message of a sequence diagram (or a note, when `source` is None)."""
    at: float
    source: str | None
    target: str
    label: str
    kind: str = "sync"  # sync, async (cast/fanout), reply, note
    duration_ms: float | None = None


def _is_rpc_client(span: Span) -> bool:
    return span.operation.startswith(RPC_PREFIXES)


def hops(spans: list[Span]) -> list[Hop]:
    """The messages between services in a trace, in time order: a request into a service
    whose parent span is in another service (or the client), its reply, and the notes that
    spans carry (`attrs["note"]`: a scheduler decision, a state change)."""
    by_id = {s.span_id: s for s in spans}
    out: list[Hop] = []
    for s in sorted(spans, key=lambda s: s.start):
        parent = by_id.get(s.parent_id)
        if _is_rpc_client(s) and parent is not None:
            pass  # the server span draws this message
        elif parent is None or parent.service != s.service:
            source = parent.service if parent is not None else CLIENT
            rpc = parent is not None and _is_rpc_client(parent)
            label = parent.operation if rpc else s.operation
            async_ = s.attrs.get("kind") in ("cast", "fanout")
            out.append(Hop(s.start, source, s.service, label, "async" if async_ else "sync",
                           s.duration_ms))
            if not async_ and s.end is not None:
                status = s.attrs.get("http_status") or s.status
                out.append(Hop(s.end, s.service, source, f"{status} ({s.duration_ms:.1f} ms)",
                               "reply"))
        if s.attrs.get("note"):
            out.append(Hop(s.end or s.start, None, s.service, str(s.attrs["note"]), "note"))
    return sorted(out, key=lambda h: h.at)


def participants(items: list[Hop]) -> list[str]:
    seen: list[str] = []
    for h in items:
        for name in (h.source, h.target):
            if name and name not in seen:
                seen.append(name)
    return seen


def _title(spans: list[Span]) -> str:
    root = min(spans, key=lambda s: s.start)
    who = f"  request {root.request_id}" if root.request_id else ""
    more = len({s.trace_id for s in spans}) - 1
    also = f"  (+{more} more request{'s' if more > 1 else ''})" if more else ""
    return f"trace {root.trace_id}: {root.service} {root.operation}{who}{also}"


def format_sequence(spans: list[Span]) -> str:
    """A trace as a text sequence diagram: one line per message, with its time offset."""
    if not spans:
        return "(no spans)"
    items = hops(spans)
    t0 = min(s.start for s in spans)
    width = max(len(p) for p in participants(items))
    arrows = {"sync": "->", "async": "-)", "reply": "<-"}
    lines = [_title(spans), "participants: " + ", ".join(participants(items)), ""]
    for h in items:
        at = f"{(h.at - t0) * 1000:8.1f} ms"
        if h.kind == "note":
            lines.append(f"{at}  {'':>{width}}    [{h.target}] {h.label}")
        elif h.kind == "reply":
            lines.append(f"{at}  {h.target:>{width}} <- {h.source:<{width}}  {h.label}")
        else:
            took = f"  ({h.duration_ms:.1f} ms)" if h.kind == "sync" else ""
            lines.append(f"{at}  {h.source:>{width}} {arrows[h.kind]} {h.target:<{width}}  "
                         f"{h.label}{took}")
    total = (max((s.end or s.start) for s in spans) - t0) * 1000
    lines.append(f"{total:8.1f} ms  end ({len(spans)} spans)")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace(";", ",").replace("#", "").replace("\n", " ")


def format_mermaid(spans: list[Span]) -> str:
    """A trace as a mermaid `sequenceDiagram` (paste it into a ```mermaid block)."""
    items = hops(spans)
    names = participants(items)
    alias = {name: f"P{i}" for i, name in enumerate(names)}
    lines = ["sequenceDiagram"]
    lines += [f"    participant {alias[n]} as {n}" for n in names]
    arrows = {"sync": "->>", "async": "-)", "reply": "-->>"}
    for h in items:
        if h.kind == "note":
            text = "<br/>".join(_mermaid_text(part) for part in h.label.split("; "))
            lines.append(f"    Note over {alias[h.target]}: {text}")
        else:
            lines.append(f"    {alias[h.source]}{arrows[h.kind]}{alias[h.target]}: "
                         f"{_mermaid_text(h.label)}")
    return "\n".join(lines)


def prune(spans: list[Span], hide: list[str]) -> list[Span]:
    """The spans without those whose service contains one of `hide` (and what they caused):
    `--hide agent` keeps a boot's diagram to Nova, Glance and Neutron's API."""
    if not hide:
        return spans
    by_id = {s.span_id: s for s in spans}
    dropped: set[str] = set()

    def gone(s: Span) -> bool:
        if s.span_id in dropped or any(h in s.service for h in hide):
            return True
        parent = by_id.get(s.parent_id)
        return parent is not None and gone(parent)

    for s in spans:
        if gone(s):
            dropped.add(s.span_id)
    return [s for s in spans if s.span_id not in dropped]
