"""Swift's account and container layer in `object.db`: which containers an account has,
which objects a container lists, and their metadata and counts.

Real Swift keeps these listings in SQLite files of their own, replicated three times on
the account and container servers; here one SQLite database on the controller holds them
(the objects' bytes are on the storage nodes). The proxy updates a listing after a write
reached a quorum of object servers.
"""

from __future__ import annotations

import json

from minicloud.common.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS containers (
    account TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL,
    put_timestamp TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}',
    object_count INTEGER NOT NULL DEFAULT 0, bytes_used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, name));
CREATE TABLE IF NOT EXISTS objects (
    account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
    timestamp TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    content_type TEXT NOT NULL, delete_at INTEGER, PRIMARY KEY (account, container, name));
-- A container's object count and bytes follow its rows, as in Swift's container broker.
CREATE TRIGGER IF NOT EXISTS object_insert AFTER INSERT ON objects BEGIN
    UPDATE containers SET object_count = object_count + 1, bytes_used = bytes_used + new.size
    WHERE account = new.account AND name = new.container;
END;
CREATE TRIGGER IF NOT EXISTS object_update AFTER UPDATE OF size ON objects BEGIN
    UPDATE containers SET bytes_used = bytes_used - old.size + new.size
    WHERE account = new.account AND name = new.container;
END;
CREATE TRIGGER IF NOT EXISTS object_delete AFTER DELETE ON objects BEGIN
    UPDATE containers SET object_count = object_count - 1, bytes_used = bytes_used - old.size
    WHERE account = old.account AND name = old.container;
END;
"""


UPSERT_OBJECT = (
    "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (account, container, name) DO UPDATE SET timestamp = excluded.timestamp, "
    "size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, "
    "delete_at = excluded.delete_at WHERE excluded.timestamp > objects.timestamp")
# Only expiring objects are in it, so the expirer's question costs nothing when none are.
EXPIRING_INDEX = ("CREATE INDEX IF NOT EXISTS objects_expiring ON objects (delete_at) "
                  "WHERE delete_at IS NOT NULL")


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)
    columns = {row[1] for row in db.conn.execute("PRAGMA table_info(objects)")}
    if "delete_at" not in columns:  # a data directory from before expiring objects
        db.conn.execute("ALTER TABLE objects ADD COLUMN delete_at INTEGER")
    db.conn.execute(EXPIRING_INDEX)


class ObjectStore:
    def __init__(self, path, read_only: bool = False, shared: bool = False):
        self.database = Database(path, create_schema, read_only)
        # Containers known to exist, as Swift's proxy caches container info: an object
        # PUT need not read the database to learn its container is there. When this store
        # is the only writer, deleting a container forgets it here at once; when proxies
        # in other processes write it too (`shared`: API workers), nothing is cached.
        self.shared = shared
        self._known: set[tuple[str, str]] = set()
        # Each container's quotas (bytes, count), read once: a PUT asks for them.
        self._quotas: dict[tuple[str, str], tuple[int | None, int | None]] = {}

    @property
    def db(self):
        return self.database.db

    def integrity_problem(self) -> str | None:
        return self.database.integrity_problem()

    def close(self) -> None:
        self.database.close()

    def _one(self, sql: str, params: tuple) -> dict | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # -- accounts --------------------------------------------------------------------------

    def account(self, name: str, now: str) -> dict:
        """The account with its totals; created on first use, as Swift's are."""
        row = self._one("SELECT * FROM accounts WHERE name = ?", (name,))
        if row is None:
            with self.database.transaction() as db:
                db.execute("INSERT OR IGNORE INTO accounts (name, created_at) VALUES (?, ?)",
                           (name, now))
            row = self._one("SELECT * FROM accounts WHERE name = ?", (name,))
        totals = self._one("SELECT COUNT(*) AS containers, COALESCE(SUM(object_count), 0) AS "
                           "objects, COALESCE(SUM(bytes_used), 0) AS bytes FROM containers "
                           "WHERE account = ?", (name,))
        return {**row, "meta": json.loads(row["meta"]), **totals}

    def set_account_meta(self, name: str, meta: dict, now: str) -> None:
        current = self.account(name, now)["meta"]
        merged = {k: v for k, v in {**current, **meta}.items() if v != ""}
        with self.database.transaction() as db:
            db.execute("UPDATE accounts SET meta = ? WHERE name = ?", (json.dumps(merged), name))

    # -- containers ------------------------------------------------------------------------

    def container_exists(self, account: str, name: str) -> bool:
        if (account, name) not in self._known:
            if self.container(account, name) is None:
                return False
            if not self.shared:
                self._known.add((account, name))
        return True

    def quotas(self, account: str, name: str) -> tuple[int | None, int | None]:
        """The container's X-Container-Meta-Quota-Bytes and -Count (None: no quota)."""
        key = (account, name)
        found = self._quotas.get(key)
        if found is None:
            row = self.container(account, name)
            meta = row["meta"] if row else {}
            found = tuple(
                int(v) if (v := meta.get(f"X-Container-Meta-Quota-{what}", "")).isdigit()
                else None for what in ("Bytes", "Count"))
            if not self.shared:
                self._quotas[key] = found
        return found

    def container(self, account: str, name: str) -> dict | None:
        row = self._one("SELECT * FROM containers WHERE account = ? AND name = ?",
                        (account, name))
        return {**row, "meta": json.loads(row["meta"])} if row else None

    def create_container(self, account: str, name: str, timestamp: str, meta: dict) -> bool:
        """True if it was created, False if it existed (its metadata is then updated: a
        value "" removes an item)."""
        with self.database.transaction() as db:
            cur = db.execute("INSERT OR IGNORE INTO containers (account, name, created_at, "
                             "put_timestamp, meta) VALUES (?, ?, ?, ?, ?)",
                             (account, name, timestamp, timestamp,
                              json.dumps({k: v for k, v in meta.items() if v != ""})))
            created = cur.rowcount == 1
        if not created and meta:
            self.set_container_meta(account, name, meta)
        self._quotas.pop((account, name), None)
        return created

    def set_container_meta(self, account: str, name: str, meta: dict) -> None:
        with self.database.transaction() as db:
            row = list(db.query("SELECT meta FROM containers WHERE account = ? AND name = ?",
                                (account, name)))
            if not row:
                return
            merged = {k: v for k, v in {**json.loads(row[0]["meta"]), **meta}.items() if v != ""}
            db.execute("UPDATE containers SET meta = ? WHERE account = ? AND name = ?",
                       (json.dumps(merged), account, name))
        self._quotas.pop((account, name), None)

    def delete_container(self, account: str, name: str) -> str:
        """"deleted", "missing" or "not empty" (Swift answers 204, 404, 409)."""
        with self.database.transaction() as db:
            row = list(db.query("SELECT object_count FROM containers WHERE account = ? AND "
                                "name = ?", (account, name)))
            if not row:
                return "missing"
            if row[0]["object_count"]:
                return "not empty"
            db.execute("DELETE FROM containers WHERE account = ? AND name = ?", (account, name))
            self._known.discard((account, name))
            self._quotas.pop((account, name), None)
        return "deleted"

    def list_containers(self, account: str, **query) -> list[dict]:
        return _listing(self.db, "containers", "account = ?", (account,), **query)

    # -- objects ---------------------------------------------------------------------------

    def put_object(self, account: str, container: str, name: str, timestamp: str, size: int,
                   etag: str, content_type: str, delete_at: int | None = None) -> None:
        """Record an object in its container's listing (a newer timestamp wins)."""
        self.database.write(UPSERT_OBJECT, (account, container, name, timestamp, size, etag,
                                            content_type, delete_at))

    def update_object(self, account: str, container: str, name: str, content_type: str | None,
                      delete_at: int | None) -> None:
        """After a POST: its content type (None: unchanged) and expiry (None: none)."""
        self.database.write("UPDATE objects SET content_type = COALESCE(?, content_type), "
                            "delete_at = ? WHERE account = ? AND container = ? AND name = ?",
                            (content_type, delete_at, account, container, name))

    def due_objects(self, now: float, account: str | None = None,
                    container: str | None = None, limit: int = 1000) -> list[dict]:
        """Listed objects whose X-Delete-At has come (in one account or container)."""
        sql, args = "SELECT * FROM objects WHERE delete_at IS NOT NULL AND delete_at <= ?", [now]
        if account is not None:
            sql, args = sql + " AND account = ?", args + [account]
        if container is not None:
            sql, args = sql + " AND container = ?", args + [container]
        return list(self.db.query(sql + " ORDER BY delete_at LIMIT ?", (*args, limit)))

    def expire_object(self, account: str, container: str, name: str, delete_at: int) -> int:
        """Drop an expired object from its listing, unless it has another expiry by now."""
        return self.database.write("DELETE FROM objects WHERE account = ? AND container = ? "
                                   "AND name = ? AND delete_at = ?",
                                   (account, container, name, delete_at))

    def delete_object(self, account: str, container: str, name: str) -> bool:
        """Drop an object from its listing; False when it was not listed."""
        return self.database.write("DELETE FROM objects WHERE account = ? AND container = ? AND "
                                   "name = ?", (account, container, name)) == 1

    def all_objects(self) -> list[dict]:
        """Every object listed in any container (`minicloud check`)."""
        return list(self.db.query("SELECT * FROM objects ORDER BY account, container, name"))

    def list_objects(self, account: str, container: str, **query) -> list[dict]:
        return _listing(self.db, "objects", "account = ? AND container = ?",
                        (account, container), **query)


def _listing(db, table: str, where: str, params: tuple, *, limit: int, marker: str = "",
             end_marker: str = "", prefix: str = "", delimiter: str = "") -> list[dict]:
    """Rows by name (strictly after `marker`, before `end_marker`, starting with `prefix`),
    at most `limit`; with a delimiter, names that go on past it after the prefix collapse
    into one `{"subdir": ...}` entry, as in Swift."""
    out: list[dict] = []
    after = marker
    while len(out) < limit:
        sql = f"SELECT * FROM {table} WHERE {where} AND name > ?"
        args = [*params, after]
        if end_marker:
            sql, args = sql + " AND name < ?", args + [end_marker]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            args += [len(prefix), prefix]
        rows = list(db.query(sql + " ORDER BY name LIMIT ?", (*args, limit - len(out))))
        if not rows:
            break
        for row in rows:
            name = row["name"]
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                subdir = name[:cut + len(delimiter)]
                out.append({"subdir": subdir})
                after = subdir + "\U0010ffff"  # skip every name under that subdir
                break
            out.append(row)
            after = name
        else:
            continue
        if len(out) >= limit:
            break
    return out[:limit]
