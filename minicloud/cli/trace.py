"""`minicloud trace`: the request traces of a running (or stopped) cloud, from trace.db.

    minicloud trace list [--match TEXT] [--service NAME] [--status ok|error|404|4xx]
                         [--limit N] [--marker TRACE_ID]   the newest requests, newest last
    minicloud trace show ID                a trace, by trace id or request id (or their start)
    minicloud trace last                   what the last `openstack` command did
    minicloud trace last create            the last request of a kind (create, action,
                                           update, delete, login, read), or of an operation:
    minicloud trace last --match "POST /v2.1/servers"

`show` and `last` draw a sequence diagram (trace_diagram.py): `--all` adds the SQL reads,
`--hide agent` leaves services out, `--tree` lists every span, `--mermaid` prints mermaid.
"""

from __future__ import annotations

import sys
import time

from minicloud.common import trace_diagram as diagram
from minicloud.common.trace_store import KINDS, TraceStore

LIST_WIDTH = 120


def cmd_trace(config, args) -> int:
    store = TraceStore(config.path("trace.db"))
    try:
        if args.trace_command == "list":
            return _list(store, args)
        return _draw(store, args)
    except BrokenPipeError:  # `minicloud trace last | head`
        sys.stderr.close()
        return 0


def _list(store: TraceStore, args) -> int:
    try:
        roots = store.roots(args.limit, args.marker, match=args.match, service=args.service,
                            status=args.status)
    except KeyError:
        print(f"No trace {args.marker} to page from.", file=sys.stderr)
        return 1
    for root in roots:
        print(list_line(root))
    if roots and len(roots) == args.limit:
        more = " ".join(f"{flag} '{value}'" for flag, value in (
            ("--match", args.match), ("--service", args.service), ("--status", args.status))
            if value)
        print(f"(older: minicloud trace list --limit {args.limit} --marker "
              f"{roots[0].trace_id[:12]}{' ' + more if more else ''})", file=sys.stderr)
    return 0


def list_line(root) -> str:
    """One request: when, trace id and request id (their starts are enough for `trace
    show`), service, operation, time taken and status; cut to LIST_WIDTH columns."""
    stamp = time.strftime("%H:%M:%S", time.localtime(root.start))
    status = root.status if root.status == "ok" else (root.status or "?").split(":")[0]
    head = f"{stamp}  {root.trace_id[:12]}  {(root.request_id or '-')[:12]:<12}  {root.service} "
    tail = f"  {root.duration_ms:.1f} ms  [{status}]"
    operation = diagram.shorten_ids(root.operation)
    room = LIST_WIDTH - len(head) - len(tail)
    if len(operation) > room:
        operation = operation[:max(room - 3, 8)] + "..."
    return head + operation + tail


def _draw(store: TraceStore, args) -> int:
    spans, missing = _pick(store, args)
    if not spans:
        print(missing, file=sys.stderr)
        return 1
    spans = diagram.prune(spans, args.hide or [])
    if args.mermaid:
        print(diagram.format_mermaid(spans, reads=args.all))
    elif args.tree:
        print(diagram.format_tree(spans))
    else:
        print(diagram.format_sequence(spans, reads=args.all))
    return 0


def _pick(store: TraceStore, args) -> tuple[list, str]:
    """The spans to draw, and what to say when there are none."""
    if args.trace_command == "show":
        return store.find(args.id), "No such trace."
    if args.kind or args.match:
        kind = args.kind if args.kind in KINDS else None
        text = args.match or (None if kind else args.kind)
        return store.last(kind=kind, match=text), "No such request in the traces."
    if args.any:
        roots = store.roots(1)
        return (store.trace(roots[-1].trace_id) if roots else []), "No traces yet."
    return store.last_command(), "No traces yet."  # see TraceStore.last_command


def add_parser(sub, func) -> None:
    tr = sub.add_parser("trace", help="request traces: list, show, last")
    trs = tr.add_subparsers(dest="trace_command", required=True)
    lst = trs.add_parser("list", help="the most recent requests, newest last")
    lst.add_argument("--limit", type=int, default=20, help="this many (default 20)")
    lst.add_argument("--marker", metavar="TRACE_ID",
                     help="the page before this trace (the first line of the last page)")
    lst.add_argument("--service", help="only requests into a service whose name has this")
    lst.add_argument("--status", help="ok, error, or an HTTP status (404, 4xx)")
    show = trs.add_parser("show", help="one trace, by trace id or request id (or their start)")
    show.add_argument("id")
    last = trs.add_parser("last", help="what the last `openstack` command did: its requests "
                          "that changed something, else all it asked; or the last request "
                          "of a KIND")
    last.add_argument("kind", nargs="?", metavar="KIND",
                      help=f"the last request of this kind ({', '.join(KINDS)}), or whose "
                           "operation has this text (e.g. servers)")
    last.add_argument("--any", action="store_true",
                      help="the most recent trace of any kind (often a GET or an agent report)")
    for sp in (lst, last):
        sp.add_argument("--match", metavar="TEXT",
                        help='requests whose operation matches: "POST /v2.1/servers" is that '
                             "request exactly, * is any text, other text is found anywhere")
    for sp in (show, last):
        sp.add_argument("--all", action="store_true",
                        help="also the SQL reads each service made (SELECTs, summed per table)")
        sp.add_argument("--mermaid", action="store_true", help="a mermaid sequenceDiagram")
        sp.add_argument("--tree", action="store_true", help="the spans as an indented tree")
        sp.add_argument("--hide", action="append", metavar="SERVICE",
                        help="leave out services (or databases) whose name contains this "
                             "(repeatable), e.g. --hide agent --hide keystone --hide .db")
    show.set_defaults(match=None, kind=None, any=False)
    tr.set_defaults(func=func)
