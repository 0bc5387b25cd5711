"""SQL statements, shortened for a trace: what a learner needs to see of a write is the
table and the columns it set (`UPDATE instances vm_state=active task_state=NULL`), not the
row's JSON blobs or its timestamps.

`expand` first writes a statement's parameters into its text as literals ('text', 12,
NULL, X'00ff'), as SQLite's own tracing shows statements; then a small tokenizer that knows
SQL's quoting is enough to split it. Statements are those of sqlite-utils and of the
stores: table and column names bare or in [brackets], "double quotes" or `backticks`.
"""

from __future__ import annotations

import re

MAX_VALUE = 24  # characters of a value shown before it is cut
SKIPPED = {"updated", "updated_at"}  # set on every write: noise in a diagram
# sqlite-utils tries a throw-away table once per connection (does SQLite know STRICT, upsert?)
PROBE = re.compile(r"t[0-9a-f]{32}")
# a UUID, or an id of 20 hex digits or more (trace and request ids, Swift hashes)
_ID = re.compile(r"(?<![0-9a-f])([0-9a-f]{8})(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?![0-9a-f])"
                 r"|(?<![0-9a-f])([0-9a-f]{8})[0-9a-f]{12,}(?![0-9a-f])")

_NAME = r'(?:\[([^\]]+)\]|"([^"]+)"|`([^`]+)`|(\w+))'
_UPDATE = re.compile(r"\s*UPDATE\s+(?:OR\s+\w+\s+)?" + _NAME + r"\s+SET\s+", re.I)
_INSERT = re.compile(r"\s*(?:INSERT(?:\s+OR\s+(\w+))?|REPLACE)\s+INTO\s+" + _NAME, re.I)
_DELETE = re.compile(r"\s*DELETE\s+FROM\s+" + _NAME, re.I)
_NAME_AT = re.compile(r"\s*" + _NAME)
_PARAM = re.compile(r"\w+")


def _name(match: re.Match, first: int) -> str:
    return next(g for g in match.groups()[first:first + 4] if g)


def shorten_ids(text: str) -> str:
    """UUIDs and long hex ids cut to their first 8 characters: `GET /v2/images/7e3e12ed...`."""
    return _ID.sub(lambda m: (m.group(1) or m.group(2)) + "...", text)


def expand(sql: str, parameters=()) -> str:
    """The statement with its parameters (`?`, `:name`) written in as SQL literals."""
    if not parameters:
        return sql
    named = isinstance(parameters, dict)
    values = iter(()) if named else iter(parameters)
    out, quote, i = [], None, 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "?" and not named:
            out.append(_literal(next(values, None)))
            i += 1
            continue
        elif ch == ":" and named and (m := _PARAM.match(sql, i + 1)):
            out.append(_literal(parameters.get(m.group(0))))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"X'{bytes(value[:16]).hex()}'"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def summary(sql: str) -> str | None:
    """`UPDATE instances vm_state=active`, `INSERT ports`, `DELETE FROM ipallocations`,
    `ROLLBACK`: a write's verb, table and (for an UPDATE) the columns it set; None for
    sqlite-utils' own probes."""
    m = _UPDATE.match(sql) or _INSERT.match(sql) or _DELETE.match(sql)
    if m and any(g and PROBE.fullmatch(g) for g in m.groups()):
        return None
    if m := _UPDATE.match(sql):
        sets = " ".join(f"{col}={short(val)}" for col, val in assignments(sql[m.end():])
                        if col not in SKIPPED)
        return f"UPDATE {_name(m, 0)} {sets}".rstrip()
    if m := _INSERT.match(sql):
        verb = "REPLACE" if sql.lstrip()[:1].upper() == "R" else "INSERT"
        if m.group(1):  # INSERT OR REPLACE / OR IGNORE
            verb = f"INSERT OR {m.group(1).upper()}"
        return f"{verb} {_name(m, 1)}"
    if m := _DELETE.match(sql):
        return f"DELETE FROM {_name(m, 0)}"
    return sql.split(None, 1)[0].upper() if sql.strip() else "?"


def table_read(sql: str) -> str | None:
    """The first table a SELECT reads (None for SQLite's own catalog). Called for every
    read in a request: str.find first, a regex only where the name starts."""
    at = sql.find("FROM ")
    if at < 0:
        at = sql.find("from ")
    m = _NAME_AT.match(sql, at + 5) if at >= 0 else None
    if m is None:
        return None
    table = _name(m, 0)
    return None if table.startswith(("sqlite_", "pragma_")) else table


def short(value: str) -> str:
    """A literal as a learner reads it: text without its quotes, ids cut to 8 characters,
    anything else cut after MAX_VALUE."""
    if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        value = value[1:-1].replace("''", "'")
    value = shorten_ids(value).replace(" ", "")
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE - 3] + "..."


def assignments(text: str) -> list[tuple[str, str]]:
    """`[a] = 'x', b = 2 WHERE ...` -> [("a", "'x'"), ("b", "2")]: the SET list up to its
    WHERE (or the statement's end), split at the commas outside quotes and parentheses."""
    out, parts = [], _split_top(text)
    for part in parts:
        col, sep, value = part.partition("=")
        if sep:
            out.append((col.strip().strip('[]"`'), value.strip()))
    return out


def _split_top(text: str) -> list[str]:
    parts, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
        elif depth == 0 and text[i:i + 7].upper() in (" WHERE ", "\nWHERE ", " WHERE\n"):
            break
        i += 1
    parts.append(text[start:i])
    return parts
