"""Where spans are kept: `trace.db` in the data directory (one table, `spans`).

Spans are written in batches by one background thread, so recording costs the request
path a queue put; `minicloud trace` reads them back through the named queries below.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
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
