"""`minicloud db`: the services' SQL state, read-only, beside a running cloud.

    minicloud db list                      each service's database file, its tables, row counts
    minicloud db tables compute            one database's tables and their row counts
    minicloud db schema compute instances  the table's CREATE statement
    minicloud db query compute "select id, host, vm_state, task_state from instances"

Every service keeps its own SQLite database in the data directory, as each OpenStack
service keeps its own schema in MySQL (keystone, glance, nova, neutron, cinder); Swift's
proxy keeps its accounts and containers in object.db, where real Swift has an SQLite file
per account and per container on the storage nodes. A service may be named as minicloud
names it (`compute`) or as OpenStack does (`nova`).

The file is opened with a SQLite URI in mode=ro and `PRAGMA query_only`: a statement that
would write (INSERT, UPDATE, DELETE, CREATE, ATTACH ... of another file included) is
refused with an error, and nothing of the cloud changes. A query reads the committed
state (WAL mode: readers never wait for the writer and never block it).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from contextlib import closing
from pathlib import Path

# service -> (its file, the OpenStack project, who reads and writes it)
DATABASES = {
    "identity": ("identity.db", "keystone", "keystone (users, projects, role assignments, "
                 "revoked tokens)"),
    "image": ("image.db", "glance", "glance-api (images, their locations and members)"),
    "network": ("network.db", "neutron", "neutron-server (networks, subnets, ports, IP "
                "allocations, routers, agents); the agents never touch it"),
    "compute": ("compute.db", "nova", "nova-api and nova-conductor (instances, actions, "
                "services); nova-compute never touches it: it asks the conductor over RPC"),
    "volume": ("volume.db", "cinder", "cinder-api and cinder-scheduler (volumes, "
               "attachments, snapshots); cinder-volume reports over RPC"),
    "object": ("object.db", "swift", "swift-proxy (accounts and containers: the listings)"),
    "trace": ("trace.db", "minicloud", "every service's trace spans (minicloud trace)"),
}
# What SQLite says when mode=ro, query_only or the authorizer (ATTACH) stops a statement.
READ_ONLY_WORDS = ("readonly", "read-only", "query_only", "not authorized")
ALIASES = {project: service for service, (_, project, _) in DATABASES.items()
           if project != "minicloud"}


class DbError(Exception):
    """Said to the user as it is, with exit status 1 (2 for a name not known)."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def service_of(name: str) -> str:
    name = name.lower()
    if name in DATABASES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    known = ", ".join(f"{s} ({DATABASES[s][1]})" for s in DATABASES)
    raise DbError(f"no database for service '{name}'; the services are: {known}", status=2)


def connect(home: Path, service: str) -> sqlite3.Connection:
    """The service's database, opened read-only; DbError if it does not exist yet."""
    path = Path(home) / DATABASES[service][0]
    if not path.exists():
        raise DbError(f"{path} does not exist: has this cloud been started? (`minicloud up`)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_no_attach)  # ATTACH would open another file, perhaps writable
    return conn


def _no_attach(action: int, *_) -> int:
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_ATTACH else sqlite3.SQLITE_OK


def tables(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return [(name, conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names]


def schema(conn: sqlite3.Connection, table: str) -> str:
    rows = conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                        "ORDER BY type = 'index', name", (table,)).fetchall()
    if not rows:
        known = ", ".join(name for name, _ in tables(conn))
        raise DbError(f"no table '{table}'; the tables are: {known}", status=2)
    return ";\n".join(row[0] for row in rows) + ";"


def query(conn: sqlite3.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    """The columns and rows of one read-only statement."""
    try:
        cursor = conn.execute(sql)
        rows = cursor.fetchall()
    except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:  # two statements at once
        raise DbError(f"one statement at a time, please: {exc}") from None
    except sqlite3.DatabaseError as exc:
        if any(word in str(exc) for word in READ_ONLY_WORDS):
            raise DbError("refused: `minicloud db` only reads. Change the cloud through its "
                          "APIs (the openstack CLI), never behind a service's back "
                          f"(SQLite said: {exc})") from None
        raise DbError(f"SQLite refused the query: {exc}") from None
    columns = [d[0] for d in cursor.description or ()]
    return columns, rows


def format_table(columns: list[str], rows: list) -> str:
    cells = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def cmd_db(config, args) -> int:
    try:
        return _run(config.home, args)
    except DbError as exc:
        print(f"minicloud db: {exc}", file=sys.stderr)
        return exc.status


def _run(home: Path, args) -> int:
    as_json = args.format == "json"
    if args.db_command == "list":
        found = []
        for service, (file, project, owner) in DATABASES.items():
            path = Path(home) / file
            if not path.exists():
                continue
            with closing(connect(home, service)) as conn:
                found.append({"service": service, "openstack": project, "file": str(path),
                              "used_by": owner,
                              "tables": dict(tables(conn))})
        if as_json:
            print(json.dumps(found, indent=2))
        elif not found:
            raise DbError(f"no database in {home}: has this cloud been started? (`minicloud up`)")
        else:
            for db in found:
                counts = ", ".join(f"{name}\xa0{count}" for name, count in db["tables"].items())
                print(f"{db['service']} ({db['openstack']}): {db['file']}")
                for text in (f"used by {db['used_by']}", f"tables (rows): {counts}"):
                    print(textwrap.fill(text, 96, initial_indent="    ",
                                        subsequent_indent="    ").replace("\xa0", " "))
        return 0
    service = service_of(args.service)
    with closing(connect(home, service)) as conn:
        if args.db_command == "tables":
            found = tables(conn)
            print(json.dumps(dict(found), indent=2) if as_json
                  else format_table(["table", "rows"], found))
        elif args.db_command == "schema":
            print(schema(conn, args.table))
        else:
            columns, rows = query(conn, args.sql)
            if as_json:
                print(json.dumps([dict(zip(columns, row)) for row in rows], indent=2,
                                 default=str))
            else:
                print(format_table(columns, rows))
                print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return 0


def add_parser(sub, func) -> None:
    db = sub.add_parser("db", help="the services' databases, read-only: list, tables, "
                        "schema, query")
    dbs = db.add_subparsers(dest="db_command", required=True)
    lst = dbs.add_parser("list", help="each service's database file and tables, row counts")
    tbl = dbs.add_parser("tables", help="one service's tables and row counts")
    tbl.add_argument("service", help="identity, image, network, compute, volume, object, "
                     "trace (or keystone, glance, neutron, nova, cinder, swift)")
    sch = dbs.add_parser("schema", help="a table's CREATE statement and its indexes")
    sch.add_argument("service")
    sch.add_argument("table")
    qry = dbs.add_parser("query", help="one read-only SQL statement")
    qry.add_argument("service")
    qry.add_argument("sql")
    for p in (lst, tbl, sch, qry):
        p.add_argument("-f", "--format", choices=("table", "json"), default="table")
    db.set_defaults(func=func)
