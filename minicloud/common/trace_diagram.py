"""A trace drawn for a learner: who called whom, in order (`minicloud trace show|last`).

`hops()` turns spans into the messages of a sequence diagram: an HTTP request or RPC
message into another service and its reply; a cast or fanout (no reply); an SQL write of a
service into its database (`=>`); a call that never reached its peer, or a message nobody
took (`-x`); and notes (a scheduler's decision, a state change, a token checked from a
cache, a build that failed and is tried elsewhere). With `reads=True` the SELECTs each
span made are summed up too (`~>`): a boot reads hundreds of rows, which would bury the
writes, so they are left out unless asked for.

Lines fit WIDTH columns: ids in labels are cut to their first 8 characters and a long label
wraps under itself. `format_tree` shows every span (and every attribute) as an indented
tree; `format_mermaid` a `sequenceDiagram` to paste into a ```mermaid block.
"""

from __future__ import annotations

import dataclasses
import textwrap

from minicloud.common.trace import Span
from minicloud.common.trace_sql import shorten_ids

WIDTH = 120
LABEL_ROOM = 50  # columns a label needs beside the names before labels stop lining up
RPC_PREFIXES = ("call ", "cast ", "fanout ")
CLIENT = "client"
TOKEN_CHECK = "GET /v3/auth/tokens"  # a service asking Keystone whether a token is valid
ARROWS = {"sync": "->", "async": "-)", "reply": "<-", "db": "=>", "read": "~>", "failed": "-x"}
LEGEND = ("-> request  <- reply  -) cast/fanout (no reply)  => SQL write  ~> SQL reads (--all)"
          "  -x failed or not delivered")


@dataclasses.dataclass
class Hop:
    """One message of a sequence diagram (or a note, when `source` is None)."""
    at: float
    source: str | None
    target: str
    label: str
    kind: str = "sync"  # sync, async (cast/fanout), reply, db, read, failed, note
    duration_ms: float | None = None


def _is_rpc_client(span: Span) -> bool:
    return span.operation.startswith(RPC_PREFIXES)


def _error(span: Span) -> str | None:
    status = span.status or ""
    return status.removeprefix("error:").strip() if status.startswith("error") else None


def hops(spans: list[Span], reads: bool = False) -> list[Hop]:
    """The messages between services (and into databases) in a trace, in time order."""
    by_id = {s.span_id: s for s in spans}
    answered = {s.parent_id for s in spans if s.parent_id in by_id
                and _is_rpc_client(by_id[s.parent_id]) and not _is_rpc_client(s)}
    out: list[Hop] = []
    for s in sorted(spans, key=lambda s: s.start):
        parent = by_id.get(s.parent_id)
        if "db" in s.attrs:
            out.append(Hop(s.start, s.service, s.attrs["db"], s.operation, "db"))
        elif "peer" in s.attrs:
            out.append(Hop(s.start, s.service, s.attrs["peer"],
                           f"{s.operation}  {_error(s) or 'failed'}", "failed"))
        elif _is_rpc_client(s):
            if s.span_id not in answered:
                out.append(_unanswered(s))
        elif parent is None or parent.service != s.service:
            out += _request(s, parent)
        out += _notes(s)
        if reads and s.attrs.get("db_reads"):
            out += [Hop(s.end or s.start, s.service, db, "SELECT " + ", ".join(
                f"{t} x{n}" if n > 1 else t for t, n in tables.items()), "read")
                for db, tables in s.attrs["db_reads"].items()]
    return _collapse(sorted(out, key=lambda h: h.at))


def _request(s: Span, parent: Span | None) -> list[Hop]:
    """A request into service `s` from its parent's service (or the client), and its reply."""
    source = parent.service if parent is not None else CLIENT
    rpc = parent is not None and _is_rpc_client(parent)
    label = parent.operation if rpc else s.operation
    if parent is not None and s.operation.startswith(TOKEN_CHECK):
        label = f"token check: {s.operation}"
    async_ = s.attrs.get("kind") in ("cast", "fanout")
    out = [Hop(s.start, source, s.service, label, "async" if async_ else "sync", s.duration_ms)]
    if not async_ and s.end is not None:
        status = s.attrs.get("http_status") or s.status
        out.append(Hop(s.end, s.service, source, f"{status} ({s.duration_ms:.1f} ms)", "reply"))
    return out


def _unanswered(s: Span) -> Hop:
    """An RPC message no server span answers: it timed out, or still waits in its queue."""
    target = s.attrs.get("target") or s.operation.split()[-1].rsplit(".", 1)[0]
    error = _error(s)
    if error:
        return Hop(s.start, s.service, target, f"{s.operation}  {error}", "failed")
    return Hop(s.start, s.service, target, f"{s.operation}  (not taken from the queue yet)",
               "failed")


def _notes(s: Span) -> list[Hop]:
    at = s.end or s.start
    out = []
    if s.attrs.get("token") == "cache":
        out.append(Hop(s.start, None, s.service, "token check: from its cache, no call to "
                                                 "Keystone", "note"))
    if s.attrs.get("note"):
        out.append(Hop(at, None, s.service, str(s.attrs["note"]), "note"))
    error = _error(s)
    if error and s.attrs.get("kind") in ("cast", "fanout"):  # no reply line says it
        out.append(Hop(at, None, s.service, f"failed: {error}", "note"))
    return out


def _collapse(items: list[Hop]) -> list[Hop]:
    """The same SQL write repeated in a row (rows inserted one by one) as one line: (x3)."""
    out: list[Hop] = []
    count = 1
    for h in items:
        last = out[-1] if out else None
        if (last is not None and h.kind == last.kind == "db" and h.source == last.source
                and h.target == last.target and h.label == last.label.rsplit("  (x", 1)[0]):
            count += 1
            last.label = f"{h.label}  (x{count})"
            continue
        count = 1
        out.append(h)
    return out


def participants(items: list[Hop]) -> list[str]:
    seen: list[str] = []
    for h in items:
        for name in (h.source, h.target):
            if name and name not in seen:
                seen.append(name)
    return seen


def fit(prefix: str, text: str, width: int = WIDTH, indent: int = 14) -> list[str]:
    """`prefix` + `text`, wrapped so no line is wider than `width`: the text goes on under
    itself, or, where a word would not fit there, under an `indent`."""
    room = width - len(prefix)
    lines = textwrap.wrap(text, room, break_on_hyphens=False, break_long_words=False) or [""]
    if all(len(line) <= room for line in lines):
        return [prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]]
    first, _, rest = text.partition(" ")
    if len(first) > room:  # not even its first word beside the prefix
        first, rest = "", text
    lines = textwrap.wrap(rest, width - indent, break_on_hyphens=False)
    return [(prefix + first).rstrip()] + [" " * indent + line for line in lines]


def _title(spans: list[Span]) -> str:
    root = min(spans, key=lambda s: s.start)
    who = f"  request {root.request_id}" if root.request_id else ""
    more = len({s.trace_id for s in spans}) - 1
    also = f"  (+{more} more request{'s' if more > 1 else ''})" if more else ""
    return f"trace {root.trace_id}: {root.service} {shorten_ids(root.operation)}{who}{also}"


def format_sequence(spans: list[Span], reads: bool = False, width: int = WIDTH) -> str:
    """A trace as a text sequence diagram: one message per line, wrapped to `width`. The
    arrows line up; so do the labels, unless the longest names would leave them less than
    LABEL_ROOM columns (then each label follows its target)."""
    if not spans:
        return "(no spans)"
    items = hops(spans, reads)
    t0 = min(s.start for s in spans)
    names = participants(items)
    w = max(len(p) for p in names)
    pad = w if 11 + 2 * w + 6 + LABEL_ROOM <= width else 0
    lines = _wrap(_title(spans), width) + _wrap("participants: " + ", ".join(names), width)
    lines += _wrap("arrows: " + LEGEND, width) + [""]
    for h in items:
        at = f"{(h.at - t0) * 1000:8.1f} ms  "
        label = shorten_ids(h.label)
        indent = len(at) + w + 4  # under the target
        if h.kind == "note":
            lines += fit(f"{at}{'':>{w}}    ", f"[{h.target}] {label}", width, indent)
        elif h.kind == "reply":
            lines += fit(f"{at}{h.target:>{w}} <- {h.source:<{pad}}  ", label, width, indent)
        else:
            took = f"  ({h.duration_ms:.1f} ms)" if h.kind == "sync" else ""
            lines += fit(f"{at}{h.source:>{w}} {ARROWS[h.kind]} {h.target:<{pad}}  ",
                         label + took, width, indent)
    total = (max((s.end or s.start) for s in spans) - t0) * 1000
    lines.append(f"{total:8.1f} ms  end ({len(spans)} span{'s' if len(spans) > 1 else ''})")
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent="  ", break_on_hyphens=False)


def format_tree(spans: list[Span], width: int = WIDTH) -> str:
    """A trace as an indented tree: one span per entry, its service, timing, status and
    attributes (wrapped to `width`)."""
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
            prefix = f"{'  ' * min(depth, 12)}+{(s.start - t0) * 1000:7.1f} ms {s.duration_ms:7.1f} ms  "
            text = f"{s.service} {s.operation}  [{s.status}]" + (f"  {extra}" if extra else "")
            lines.extend(fit(prefix, shorten_ids(text), width))
            walk(s.span_id, depth + 1)

    walk(None, 1)
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return shorten_ids(text).replace(";", ",").replace("#", "").replace("\n", " ")


def format_mermaid(spans: list[Span], reads: bool = False) -> str:
    """A trace as a mermaid `sequenceDiagram` (paste it into a ```mermaid block)."""
    items = hops(spans, reads)
    names = participants(items)
    alias = {name: f"P{i}" for i, name in enumerate(names)}
    lines = ["sequenceDiagram"]
    lines += [f"    participant {alias[n]} as {n}" for n in names]
    arrows = {"sync": "->>", "async": "-)", "reply": "-->>", "db": "->>", "read": "-->>",
              "failed": "-x"}
    for h in items:
        if h.kind == "note":
            text = "<br/>".join(_mermaid_text(part) for part in h.label.split("; "))
            lines.append(f"    Note over {alias[h.target]}: {text}")
        else:
            lines.append(f"    {alias[h.source]}{arrows[h.kind]}{alias[h.target]}: "
                         f"{_mermaid_text(h.label)}")
    return "\n".join(lines)


def prune(spans: list[Span], hide: list[str]) -> list[Span]:
    """The spans without those whose service (or database) contains one of `hide`, and
    what they caused: `--hide agent` keeps a boot's diagram to Nova, Glance and Neutron's
    API; `--hide .db` leaves out the SQL writes."""
    if not hide:
        return spans
    by_id = {s.span_id: s for s in spans}
    dropped: set[str] = set()

    def gone(s: Span) -> bool:
        names = (s.service, s.attrs.get("db") or "", s.attrs.get("peer") or "")
        if s.span_id in dropped or any(h in n for h in hide for n in names if n):
            return True
        parent = by_id.get(s.parent_id)
        return parent is not None and gone(parent)

    for s in spans:
        if gone(s):
            dropped.add(s.span_id)
    # a message whose every receiver is hidden goes too (else it would look undelivered)
    children: dict[str, list[str]] = {}
    for s in spans:
        children.setdefault(s.parent_id, []).append(s.span_id)
    dropped |= {s.span_id for s in spans if _is_rpc_client(s) and s.span_id in children
                and all(c in dropped for c in children[s.span_id])}
    return [s for s in spans if s.span_id not in dropped]
