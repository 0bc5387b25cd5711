"""Swift's proxy server (object storage v1, port 8080): the route table below is the
table of contents.

Callers are `openstack container|object ...`, openstacksdk and the `swift` CLI, with a
Keystone token; `GET /info` needs none. Accounts are `AUTH_<project_id>`; containers and
their listings live in store.py (accounts.py serves them), objects go through proxy.py to
the storage nodes the ring names (objects.py); every resource is built from the one
`Swift` (core.py). Every response carries Swift's transaction id, `X-Trans-Id` (also as
`X-Openstack-Request-Id`), assigned before the token is checked, so a 401 has one too.
Errors are short HTML: the clients only look at the status code.

Admin-only routes under `/minicloud/` let `minicloud swift ...` (and tests, and labs)
stop, start and wipe a storage node and run the replicator now. The storage routes reach
each node over RPC (nodes.py), in every mode, with a short timeout: a node that does not
answer is listed as unreachable (`"reachable": false`), and an action on it is a 503.
"""

from __future__ import annotations

import time

import falcon

from minicloud.common import errors, ids, trace, wsgi
from minicloud.common.auth import AuthMiddleware, Validator
from minicloud.object import constraints
from minicloud.object.accounts import Account, Container
from minicloud.object.core import Swift, check_admin
from minicloud.object.objects import Object


HTML = "text/html; charset=UTF-8"


def new_trans_id(clock=time.time) -> str:
    """Swift's transaction id: tx + 21 hex digits + '-' + the time in 10 hex digits."""
    return f"tx{ids.random_hex(21)}-{int(clock()):010x}"


class TransIdMiddleware:
    """Swift names each request by its transaction id; it doubles as the request id. Then
    what Swift's proxy refuses before anything else: a header line or a path it cannot
    read (400 / 412). Every answer has a Content-Type, as Swift's do (bodiless ones too:
    `text/html; charset=UTF-8` unless the handler said otherwise)."""

    def process_request(self, req, resp):
        req.context.request_id = new_trans_id()
        span = getattr(req.context, "span", None)
        if span is not None:
            span.request_id = req.context.request_id
        constraints.check_headers(req)
        constraints.check_path(req.env.get("PATH_INFO", ""))

    def process_response(self, req, resp, resource, req_succeeded):
        trans_id = getattr(req.context, "request_id", None) or new_trans_id()
        resp.set_header("X-Trans-Id", trans_id)
        resp.set_header("X-Openstack-Request-Id", trans_id)
        if resp.content_type is None and resp.media is None:
            resp.content_type = HTML


def error_body(code: int, exc: falcon.HTTPError) -> dict:  # only for unexpected errors
    return {"message": errors.message_of(exc)}


def serialize_error(req, resp, exc: falcon.HTTPError) -> None:
    """Swift's error bodies: a line of HTML (none at all for HEAD)."""
    code = errors.status_code(exc)
    title = falcon.code_to_http_status(code).split(" ", 1)[1]
    resp.content_type = HTML
    if req.method != "HEAD" and code not in (204, 304):
        detail = exc.description or title
        resp.data = f"<html><h1>{title}</h1><p>{detail}</p></html>".encode()


class Info:
    """`GET /info`: what this cluster supports (no token needed)."""

    public_methods = frozenset({"GET", "HEAD"})

    def __init__(self, swift: Swift):
        self.ring = swift.ring

    def on_get(self, req, resp):
        resp.media = {"swift": constraints.info(),
                      "tempurl": {"methods": ["GET", "HEAD", "PUT", "POST", "DELETE"]},
                      "container_quotas": {},
                      "minicloud": {"replicas": self.ring.get().replicas,
                                    "part_power": self.ring.get().part_power}}

    on_head = on_get


class StorageNodes:
    """`GET /minicloud/storage`: each storage node of the ring, up, down or unreachable,
    and its object count (null when it does not answer)."""

    def __init__(self, swift: Swift):
        self.storage = swift.storage

    def on_get(self, req, resp):
        check_admin(req)
        resp.media = {"nodes": self.storage.statuses(req.context.ctx)}


class StorageNodeAction:
    """`POST /minicloud/storage/<node>/stop|start|wipe`: fail, revive or wipe a node."""

    def __init__(self, swift: Swift):
        self.storage = swift.storage

    def on_post(self, req, resp, node, action):
        check_admin(req)
        resp.media = self.storage.act(req.context.ctx, node, action)


class Replicate:
    """`POST /minicloud/replicate`: one replication pass now; its statistics."""

    def __init__(self, swift: Swift):
        self.replicator = swift.replicator

    def on_post(self, req, resp):
        check_admin(req)
        resp.media = self.replicator.run_once().to_dict()


def routes(swift: Swift) -> list[tuple[str, object]]:
    return [
        ("/info", Info(swift)),
        ("/v1/{account}", Account(swift)),
        ("/v1/{account}/{container}", Container(swift)),
        ("/v1/{account}/{container}/{obj:path}", Object(swift)),
        ("/minicloud/storage", StorageNodes(swift)),
        ("/minicloud/storage/{node}/{action}", StorageNodeAction(swift)),
        ("/minicloud/replicate", Replicate(swift)),
    ]


def create_app(swift: Swift, tracer: trace.Tracer, validator: Validator) -> falcon.App:
    """The proxy: Swift's transaction id first (every answer has one, a 401 too), then the
    token (AuthMiddleware), then the route table."""
    app = wsgi.create_app("swift", error_body=error_body, tracer=tracer,
                          middleware=[TransIdMiddleware(), AuthMiddleware(validator)])
    app.set_error_serializer(serialize_error)
    for path, resource in routes(swift):
        app.add_route(path, resource)
    return app
