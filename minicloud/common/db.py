"""One SQLite database per service (the service's own tables, never shared).

WAL mode with `synchronous=NORMAL`: readers never block the writer and a commit costs a
write to the log, not an fsync. sqlite3 connections must stay on their thread, so each
thread gets its own; writes that read-then-write (allocating an IP, a name check) run in
`transaction()`, which serialises them.

Within a traced request, each write is a span of the service that made it (`nova-conductor
=> compute.db UPDATE instances vm_state=active`): the connections are trace.TracedConnection.

Opened `read_only`, a database is only read (`minicloud check` beside a live cloud): no
schema is created, no write is possible, a missing file stays missing.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Callable

import sqlite_utils

from minicloud.common import trace


class Database:
    def __init__(self, path: str | Path, schema: Callable[[sqlite_utils.Database], None],
                 read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._pks: dict[str, list[str]] = {}
        if read_only:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:  # executescript commits by itself: no transaction() here
            schema(self.db)

    def _connect(self) -> sqlite_utils.Database:
        if self.read_only:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10,
                                   isolation_level=None, check_same_thread=False)
            return sqlite_utils.Database(conn)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                               check_same_thread=False, factory=trace.TracedConnection)
        conn.db_name = self.path.name  # within a request, each write becomes a span
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, for reads and single-statement writes."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @contextlib.contextmanager
    def transaction(self):
        """All statements in the block commit together, or none does; one writer at a time."""
        with self._write_lock:
            db = self.db
            if db.conn.in_transaction:  # nested: the outer block commits
                yield db
                return
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            db.conn.execute("COMMIT")

    def write(self, sql: str, params=()) -> int:
        """One statement that changes rows (with what its triggers do), committed on its
        own; the number of rows it changed."""
        with self._write_lock:
            return self.db.conn.execute(sql, params).rowcount

    def integrity_problem(self) -> str | None:
        """None if SQLite's own quick check passes, else its verdict (or why the file
        cannot even be read)."""
        try:
            verdict = self.db.conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None if verdict == "ok" else verdict

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def query(self, sql: str, params=()) -> list[dict]:
        return list(self.db.query(sql, params))

    def get(self, table: str, pk) -> dict | None:
        """The row of `table` whose primary key is `pk` (a value, or a tuple for a compound
        key), or None."""
        columns = self._primary_keys(table)
        values = pk if isinstance(pk, (tuple, list)) else (pk,)
        where = " AND ".join(f"[{c}] = ?" for c in columns)
        found = self.query(f"SELECT * FROM [{table}] WHERE {where} LIMIT 1", tuple(values))
        return found[0] if found else None

    def _primary_keys(self, table: str) -> list[str]:
        # Looked up once per table: asking SQLite on every get() costs more than the get.
        keys = self._pks.get(table)
        if keys is None:
            keys = self._pks[table] = self.db[table].pks
        return keys
