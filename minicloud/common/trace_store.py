"""Where spans are kept: `trace.db` in the data directory (one table, `spans`).

Spans are written in batches by one background thread, so recording costs the request
path a queue put; `minicloud trace` reads them back through the named queries below.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import re
import sqlite3
import threading
import time
from pathlib import Path

from minicloud.common.trace import Span

LOG = logging.getLogger(__name__)

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
_CLOSE = object()  # queued by close(): the writer writes what came before it, then ends


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
        closing = False
        while not closing:
            batch = [self._queue.get()]
            time.sleep(BATCH_WINDOW)  # let a request's other spans arrive: one commit for all
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            closing = any(s is _CLOSE for s in batch)
            try:
                self._write(conn, [s for s in batch if isinstance(s, Span)])
            except Exception as exc:  # a full disk, say: traces are lost, never the writer
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
                LOG.warning("trace: %d spans not written: %s", len(batch), exc)
            for _ in batch:
                self._queue.task_done()
        conn.close()

    @staticmethod
    def _write(conn: sqlite3.Connection, spans: list[Span]) -> None:
        rows = [(s.span_id, s.trace_id, s.parent_id, s.service, s.operation, s.start, s.end,
                 s.status, s.request_id, json.dumps(s.attrs, default=str)) for s in spans]
        conn.execute("BEGIN")
        conn.executemany("INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")

    def flush(self) -> None:
        """Wait until every recorded span is on disk."""
        if self._writer is not None:
            self._queue.join()

    def close(self) -> None:
        """Every recorded span on disk, then the writer thread and its connection end (a
        span recorded later starts another)."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(_CLOSE)
            writer.join(timeout=10)

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

    def roots(self, limit: int = 20, marker: str | None = None, **filters) -> list[Span]:
        """The first span of the most recent traces that pass `filters` (see `matches`),
        newest last; with `marker` (a trace id or its prefix), those older than its trace:
        the page before the one that marker began."""
        before = float("inf")
        if marker:
            found = self.find(marker)
            if not found:
                raise KeyError(marker)
            before = min(s.start for s in found)
        out: list[Span] = []
        for page in self._roots_before(before):
            out += [r for r in page if matches(r, **filters)]
            if len(out) >= limit:
                break
        return list(reversed(out[:limit]))

    def _roots_before(self, before: float, page: int = 500):
        """Root spans, newest first, read a page at a time."""
        while True:
            spans = self._read("SELECT * FROM spans WHERE parent_id IS NULL AND start < ? "
                               "ORDER BY start DESC LIMIT ?", (before, page))
            if not spans:
                return
            yield spans
            before = spans[-1].start

    def last(self, **filters) -> list[Span]:
        """The spans of the most recent trace whose root passes `filters`."""
        roots = self.roots(1, **filters)
        return self.trace(roots[-1].trace_id) if roots else []

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
        """The spans of the trace named by a trace id or a request id, or the start of one
        (`trace list` shows 12 characters of each)."""
        hit = self._read("SELECT * FROM spans WHERE request_id = ? OR trace_id = ? LIMIT 1",
                         (ident, ident))
        if not hit and len(ident) >= 6:
            column = "request_id" if ident.startswith("req-") else "trace_id"
            hit = self._read(f"SELECT * FROM spans WHERE {column} LIKE ? ORDER BY start DESC "
                             f"LIMIT 1", (ident.replace("%", "").replace("_", "") + "%",))
        return self.trace(hit[0].trace_id) if hit else []


# -- which requests: `trace list --match/--service/--status`, `trace last KIND` ----------
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# `minicloud trace last create`: a kind of request, as the words a learner would use
KINDS = {
    "create": lambda op: op.startswith("POST ") and not op.endswith(("/action", "/auth/tokens")),
    "action": lambda op: op.startswith("POST ") and op.endswith("/action"),
    "update": lambda op: op.startswith(("PUT ", "PATCH ")),
    "delete": lambda op: op.startswith("DELETE "),
    "login": lambda op: op.startswith("POST ") and op.endswith("/auth/tokens"),
    "read": lambda op: op.startswith(("GET ", "HEAD ")),
}


def match_operation(pattern: str, operation: str) -> bool:
    """Does a root's operation match a `--match` pattern? Case does not matter and `*` is
    any text. A pattern that starts with an HTTP method is the whole request: "POST
    /v2.1/servers" is a server create, not an action on one ("POST /v2.1/servers/*" is);
    anything else is found anywhere ("servers", "build_instances")."""
    regex = ".*".join(re.escape(part) for part in pattern.strip().split("*"))
    if pattern.split(" ", 1)[0].upper() in METHODS:
        return re.fullmatch(regex + r"/?(\?.*)?", operation, re.I) is not None
    return re.search(regex, operation, re.I) is not None


def matches(root: Span, match: str | None = None, kind: str | None = None,
            service: str | None = None, status: str | None = None) -> bool:
    """`kind`: one of KINDS; `service`: part of the service's name; `status`: "ok",
    "error", or an HTTP status ("404", "4xx")."""
    if kind is not None and not KINDS[kind](root.operation):
        return False
    if match and not match_operation(match, root.operation):
        return False
    if service and service.lower() not in root.service.lower():
        return False
    return not status or _status_is(root, status.lower())


def _status_is(root: Span, wanted: str) -> bool:
    code = str(root.attrs.get("http_status", ""))
    if wanted in ("ok", "error"):
        return (root.status or "").startswith(wanted)
    if wanted.endswith("xx"):
        return code[:1] == wanted[:1]
    return code == wanted
