"""Microversions: which version of a service's API one request speaks (Nova, Cinder).

A client names it per service type in `OpenStack-API-Version: compute 2.96` (Nova also
reads the older `X-OpenStack-Nova-API-Version: 2.96`). No header means the minimum,
`latest` the maximum, anything outside [min, max] is 406. Responses echo the header(s) and
`Vary`; `req.context.microversion` is a comparable tuple such as (2, 96), and views decide
formats with `at_least(req, "2.47")`.
"""

from __future__ import annotations

import re

import falcon

from minicloud.common import errors

HEADER = "OpenStack-API-Version"


class NotAcceptable(errors.ApiError):
    status, title, kind = falcon.HTTP_406, "Not Acceptable", "notAcceptable"


def parse(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
    if not match:
        raise errors.BadRequest(f"API Version String {text} is of invalid format. Must be of "
                                "format MajorNum.MinorNum.")
    return int(match.group(1)), int(match.group(2))


def at_least(req, version: str) -> bool:
    return req.context.microversion >= parse(version)


class Microversions:
    """The version range of one service type, and the Falcon middleware that applies it."""

    def __init__(self, service_type: str, min_version: str, max_version: str,
                 legacy_header: str | None = None):
        self.service_type = service_type
        self.min_version, self.max_version = min_version, max_version
        self.min, self.max = parse(min_version), parse(max_version)
        self.legacy_header = legacy_header

    def requested(self, req) -> str | None:
        for part in (req.get_header(HEADER) or "").split(","):
            words = part.strip().split()
            if len(words) == 2 and words[0].lower() == self.service_type:
                return words[1]
        return req.get_header(self.legacy_header) if self.legacy_header else None

    def negotiate(self, text: str | None) -> tuple[int, int]:
        if text is None:
            return self.min
        if text.strip().lower() == "latest":
            return self.max
        version = parse(text)
        if not self.min <= version <= self.max:
            raise NotAcceptable(f"Version {text} is not supported by the API. Minimum is "
                                f"{self.min_version} and maximum is {self.max_version}.")
        return version

    # -- middleware (placed after AuthMiddleware) --------------------------------------------
    # Falcon runs every middleware's process_request before any process_resource, and the
    # token is checked in process_resource: the version is negotiated there too, so a
    # request without a valid token is 401 whatever version it asks for, as keystonemiddleware
    # answers ahead of Nova and Cinder.
    def process_request(self, req, resp):
        req.context.microversion = self.min  # what an error answer echoes

    def process_resource(self, req, resp, resource, params):
        req.context.microversion = self.negotiate(self.requested(req))

    def process_response(self, req, resp, resource, req_succeeded):
        major, minor = getattr(req.context, "microversion", self.min)
        resp.set_header(HEADER, f"{self.service_type} {major}.{minor}")
        vary = HEADER
        if self.legacy_header:
            resp.set_header(self.legacy_header, f"{major}.{minor}")
            vary += f", {self.legacy_header}"
        resp.append_header("Vary", vary)
