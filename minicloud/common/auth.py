"""Token validation middleware (the role keystonemiddleware plays in front of every API).

Every request to a resource needs a valid `X-Auth-Token`, except the methods a resource
lists in `public_methods` (version documents, `POST /v3/auth/tokens`). The validator turns
a token into a RequestContext, or raises Unauthorized; the context lands on
`req.context.ctx` with the request's id and trace ids.

`well_formed` is the check every real validator (Keystone's own, and the services'
RemoteTokenValidator in keystone.py) makes first: a token must be exactly the text Keystone
issued, because lenient base64 decoding ignores anything after the padding, so `<token>x`
would otherwise decrypt like `<token>`. (Unit tests plug in fake validators with fake
tokens, which is why the check is the validator's and not this middleware's.)
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Callable

from minicloud.common import errors, trace
from minicloud.common.context import RequestContext

Validator = Callable[[str], RequestContext]

# A Fernet token is URL-safe base64 with its `=` padding; far below this length in practice.
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]+={0,2}")
MAX_TOKEN_LENGTH = 4096


def well_formed(token: str) -> bool:
    """True only for the canonical URL-safe base64 text of some bytes: the one form Keystone
    issues. Trailing characters, missing or extra padding, and a last character whose unused
    bits differ (which decodes to the same bytes) are all refused."""
    if not token or len(token) > MAX_TOKEN_LENGTH or len(token) % 4:
        return False
    if not TOKEN_FORM.fullmatch(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw).decode("ascii") == token


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
