"""Bulk create: `POST /v2.0/networks {"networks": [{...}, {...}]}` (also subnets, ports,
routers, floating IPs, security groups and rules), as Neutron does it: all or none.

Every item goes through the same `create` function as a single POST, inside one
transaction: if item k fails (bad input, quota, a taken address), the transaction rolls
back and nothing of items 1..k-1 remains; the answer is item k's error. The messages to
the agents wait until the transaction committed, so no agent ever hears of a resource
that was rolled back.
"""

from __future__ import annotations

import copy

import falcon


class DeferredNotifier:
    """Records the notifier's messages instead of sending them; `flush` sends them."""

    def __init__(self, notifier):
        self._notifier = notifier
        self._calls: list[tuple] = []

    def __getattr__(self, name: str):
        method = getattr(self._notifier, name)
        if not callable(method):
            return method

        def later(*args, **kwargs):
            self._calls.append((method, args, kwargs))
        return later

    def flush(self) -> None:
        for method, args, kwargs in self._calls:
            method(*args, **kwargs)


def create_all(neutron, ctx, create, items: list[dict]) -> list[dict]:
    """`create(neutron, ctx, fields)` for every item, in one transaction."""
    if len(items) == 1:
        return [create(neutron, ctx, items[0])]
    deferred = DeferredNotifier(neutron.notify)
    staged = copy.copy(neutron)  # the same store and config, a notifier that waits
    staged.notify = deferred
    with neutron.store.transaction():
        rows = [create(staged, ctx, item) for item in items]
    deferred.flush()
    return rows


def answer(resp, body, rows: list[dict], render, many: bool) -> None:
    """201 with `{"network": {...}}`, or `{"networks": [...]}` for a bulk create."""
    resp.status = falcon.HTTP_201
    rendered = [render(row) for row in rows]
    resp.media = {body.collection: rendered} if many else {body.key: rendered[0]}
