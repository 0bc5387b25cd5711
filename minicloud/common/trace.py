"""Request-flow tracing: every HTTP request and RPC message records a span.

A span is one hop of a user's request (service, operation, parent, start, end, status).
Spans of one request share a trace id, carried between services in the
`X-Minicloud-Trace-Id`/`X-Minicloud-Span-Id` headers and in the RPC envelope. Spans are
written to `trace.db` in the data directory by a background thread (trace_store.py), so recording costs
the request path a queue put. `minicloud trace list|show|last` reads them back and prints
them as a sequence diagram (text, or mermaid with `--mermaid`) or as a tree (`--tree`).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import time
from typing import TYPE_CHECKING

from minicloud.common import ids

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
                    request_id=request_id, attrs={**self.stamp, **attrs})
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
