"""Token validation middleware (the role keystonemiddleware plays in front of every API).

Every request to a resource needs a valid `X-Auth-Token`, except the methods a resource
lists in `public_methods` (version documents, `POST /v3/auth/tokens`). The validator turns
a token into a RequestContext, or raises Unauthorized; the context lands on
`req.context.ctx` with the request's id and trace ids.
"""

from __future__ import annotations

from typing import Callable

from minicloud.common import errors, trace
from minicloud.common.context import RequestContext

Validator = Callable[[str], RequestContext]


class AuthMiddleware:
    def __init__(self, validate: Validator):
        self.validate = validate

    def process_resource(self, req, resp, resource, params):
        if resource is None or req.method in getattr(resource, "public_methods", ()):
            return
        token = req.get_header("X-Auth-Token")
        if not token:
            raise errors.Unauthorized()
        ctx = self.validate(token)
        ctx.request_id = req.context.request_id
        span = trace.current()
        if span is not None:
            ctx.trace_id, ctx.span_id = span.trace_id, span.span_id
        req.context.ctx = ctx
