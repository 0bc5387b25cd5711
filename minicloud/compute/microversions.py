"""Nova's microversion range (2.1 to 2.96), read from `OpenStack-API-Version: compute X.Y`
or the older `X-OpenStack-Nova-API-Version`. The negotiation is common/microversions.py;
response formats that change with the version are decided in views.py with
`at_least(req, "2.47")`.
"""

from __future__ import annotations

from minicloud.common.microversions import Microversions, at_least  # noqa: F401 (views use it)

MIN_VERSION, MAX_VERSION = "2.1", "2.96"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"


class MicroversionMiddleware(Microversions):
    """Placed after AuthMiddleware (api.py). Falcon runs every middleware's
    process_request before any process_resource, and the token is checked in
    process_resource: the version is negotiated there too, so that a request without a
    token is 401 whatever version it asks for, as authtoken answers ahead of Nova."""

    def __init__(self):
        super().__init__("compute", MIN_VERSION, MAX_VERSION, legacy_header=LEGACY_HEADER)

    def process_request(self, req, resp):
        req.context.microversion = self.min  # what an error answer echoes

    def process_resource(self, req, resp, resource, params):
        req.context.microversion = self.negotiate(self.requested(req))
