"""Request flow: one request's trace (the spans every service recorded for it) drawn as a
sequence diagram, from the same data and the same reading as `minicloud trace show ID`
(trace_diagram.hops), with the CLI's text rendering beside it.

The dashboard reads the controller's trace store (trace.db) itself rather than through an
HTTP route: traces are minicloud's teaching aid, not part of any OpenStack API, so no
OpenStack service should serve them; the dashboard runs on the controller in every mode,
where every node's spans are collected; and that is where `minicloud trace` reads them.
Who may see a flow is decided here: an admin any; anyone else a request this session made
(its API calls panel links) or a request made with their own user's token (the trace's
first span names the user), so an instance's Action Log links work for CLI-made servers too.
"""

from __future__ import annotations

import time

from minicloud.common.trace_diagram import format_sequence, hops, participants, prune
from minicloud.dashboard.app import Forbidden
from minicloud.dashboard.views.base import Panel

COL_W, LEFT, TOP, ROW_H = 200, 150, 60, 28
# What a learner may leave out of a busy diagram, as `minicloud trace show --hide NAME`.
HIDEABLE = ("agent", "keystone", "driver")
LIVE_FOR = 30.0  # seconds after a request during which the page follows its trace


def may_see(session, spans, request_id: str) -> bool:
    if session.is_admin or request_id in session.recent_ids:
        return True
    root = min(spans, key=lambda s: s.start)
    return root.attrs.get("user") == session.user


def diagram(spans) -> dict:
    """Coordinates of the sequence diagram: a column per participant, a row per message."""
    items = hops(spans)
    names = participants(items)
    x = {name: LEFT + i * COL_W for i, name in enumerate(names)}
    t0 = min(s.start for s in spans)
    rows = []
    for i, h in enumerate(items):
        y = TOP + 40 + i * ROW_H
        row = {"kind": h.kind, "label": h.label, "y": y, "at": f"{(h.at - t0) * 1000:.1f}",
               "target": h.target, "source": h.source or "", "x2": x[h.target]}
        row["x1"] = x[h.source] if h.source else x[h.target]
        if h.kind == "sync" and h.duration_ms is not None:
            row["label"] = f"{h.label} ({h.duration_ms:.1f} ms)"
        rows.append(row)
    height = TOP + 60 + len(items) * ROW_H
    return {"participants": [{"name": n, "x": x[n]} for n in names], "rows": rows,
            "width": LEFT + max(len(names), 1) * COL_W + 120, "height": height,
            "bottom": height - 10}


class Flow(Panel):
    def on_get(self, req, resp, request_id):
        store = self.dash.trace_store
        store.flush()
        spans = store.find(request_id) if len(request_id) >= 8 else []
        if not spans or not may_see(req.context.session, spans, request_id):
            raise Forbidden(f"No request flow you may see for {request_id}: it is not one "
                            "of your requests, or its trace has not been recorded.")
        root = min(spans, key=lambda s: s.start)
        live = time.time() - root.start < LIVE_FOR
        hide = [h for h in req.get_param_as_list("hide") or [] if h in HIDEABLE]
        spans = prune(spans, hide) or spans
        self.render(req, resp, "flow.html", title=f"Request flow: {root.operation}",
                    request_id=request_id, root=root, spans=spans, live=live, hide=hide,
                    hideable=HIDEABLE,
                    d=diagram(spans), text=format_sequence(spans))
