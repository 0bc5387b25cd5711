"""The Falcon app factory every service uses, and the middleware every request passes.

`create_app` gives a service: trailing slashes ignored (clients ask for both), JSON by
default, errors rendered in the service's own format, an `X-Openstack-Request-Id` on every
response, and a trace span around every request. A header line longer than
MAX_HEADER_LINE is a 400 in the service's format, as the eventlet WSGI server in front of
Nova, Glance or Cinder answers "Line is too long"; JSON bodies get their own guard in
validation.py.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Callable

import falcon

from minicloud.common import errors, trace
from minicloud.common.context import new_request_id

LOG = logging.getLogger(__name__)

ErrorBody = Callable[[int, falcon.HTTPError], dict]

MAX_HEADER_LINE = 16384  # oslo.service's max_header_line default
# Trace ids travel between our own services; anything else a client sends is ignored.
_TRACE_ID = re.compile(r"[0-9a-f]{1,64}")


def _check_headers(req) -> None:
    for name, value in req.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_LINE:
            raise errors.BadRequest(
                f"Header {name[:64]} is too long: a header line may hold at most "
                f"{MAX_HEADER_LINE} bytes.")


def _trace_header(req, name: str) -> str | None:
    value = req.get_header(name)
    return value if value and _TRACE_ID.fullmatch(value) else None


class RequestMiddleware:
    """Gives each request its id and its trace span, and stamps the id on the response."""

    def __init__(self, service: str, tracer: trace.Tracer):
        self.service = service
        self.tracer = tracer

    def process_request(self, req, resp):
        req.context.request_id = new_request_id()
        req.context.ctx = None
        if req.get_header(trace.UNTRACED_HEADER):
            req.context.span = None
        else:
            req.context.span = self.tracer.start(
                self.service, f"{req.method} {req.path}",
                trace_id=_trace_header(req, trace.TRACE_HEADER),
                parent_id=_trace_header(req, trace.SPAN_HEADER),
                request_id=req.context.request_id)
        _check_headers(req)

    def process_response(self, req, resp, resource, req_succeeded):
        resp.set_header("X-Openstack-Request-Id", req.context.request_id)
        span = getattr(req.context, "span", None)
        if span is None:
            return
        ctx = getattr(req.context, "ctx", None)
        attrs = {"http_status": resp.status_code}
        if ctx is not None and ctx.user_name:
            attrs["user"] = ctx.user_name
        if span.parent_id is None and req.user_agent:  # which client: the CLI, the dashboard
            attrs["user_agent"] = req.user_agent[:200]
        status = "ok" if resp.status_code < 400 else f"error {resp.status_code}"
        self.tracer.finish(span, status=status, **attrs)


def create_app(service: str, *, error_body: ErrorBody, tracer: trace.Tracer,
               middleware: list | tuple = ()) -> falcon.App:
    app = falcon.App(middleware=[RequestMiddleware(service, tracer), *middleware])
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.keep_blank_qs_values = True

    def serialize(req, resp, exc: falcon.HTTPError):
        resp.content_type = falcon.MEDIA_JSON
        resp.data = json.dumps(error_body(errors.status_code(exc), exc)).encode()

    def unexpected(req, resp, exc, params):
        if errors.disk_full(exc):
            # Not a bug but the machine: say so. The write's transaction was rolled back.
            LOG.warning("%s: disk full on %s %s", service, req.method, req.path)
            serialize(req, resp, errors.InsufficientStorage())
            resp.status = errors.InsufficientStorage.status
            return
        LOG.exception("%s: unexpected error on %s %s", service, req.method, req.path)
        serialize(req, resp, errors.ApiError(
            "An unexpected error prevented the server from fulfilling your request."))
        resp.status = falcon.HTTP_500

    app.set_error_serializer(serialize)
    # Falcon picks the most specific handler: API errors (HTTPError) keep Falcon's own,
    # which calls `serialize`; anything else is a bug, logged and answered with a 500.
    app.add_error_handler(Exception, unexpected)
    return app


class VersionResource:
    """An unauthenticated version document (discovery is fetched without a token)."""

    public_methods = frozenset({"GET", "HEAD"})

    def __init__(self, document: Callable[[falcon.Request], tuple[str, dict]]):
        self.document = document

    def on_get(self, req, resp):
        status, body = self.document(req)
        resp.status = status
        resp.media = body

    on_head = on_get


def base_url(req) -> str:
    """scheme://host:port of this request, as the client addressed it."""
    return f"{req.scheme}://{req.netloc}"
