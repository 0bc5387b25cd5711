"""Microversion negotiation: which version of the compute API a request speaks.

Clients send `OpenStack-API-Version: compute 2.96` and/or `X-OpenStack-Nova-API-Version:
2.96`; no header means 2.1, `latest` means the maximum, anything outside [MIN, MAX] is
406. The answer echoes both headers and `Vary`, and `req.context.microversion` is a
comparable tuple such as (2, 96). Response formats that change with the version are
decided in views.py by `at_least(req, "2.47")`.
"""

from __future__ import annotations

import re

import falcon

from minicloud.common import errors

MIN_VERSION = "2.1"
MAX_VERSION = "2.96"
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"


def parse(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
    if not match:
        raise errors.BadRequest(f"API Version String {text} is of invalid format. Must be of "
                                "format MajorNum.MinorNum.")
    return int(match.group(1)), int(match.group(2))


MIN, MAX = parse(MIN_VERSION), parse(MAX_VERSION)


class NotAcceptable(errors.ApiError):
    status, title, kind = falcon.HTTP_406, "Not Acceptable", "notAcceptable"


def requested(req) -> str | None:
    value = req.get_header(HEADER)
    if value:
        for part in value.split(","):
            words = part.strip().split()
            if len(words) == 2 and words[0].lower() == "compute":
                return words[1]
    return req.get_header(LEGACY_HEADER)


def negotiate(text: str | None) -> tuple[int, int]:
    if text is None:
        return MIN
    if text.strip().lower() == "latest":
        return MAX
    version = parse(text)
    if not MIN <= version <= MAX:
        raise NotAcceptable(f"Version {text} is not supported by the API. Minimum is "
                            f"{MIN_VERSION} and maximum is {MAX_VERSION}.")
    return version


class MicroversionMiddleware:
    def process_request(self, req, resp):
        req.context.microversion = MIN
        req.context.microversion = negotiate(requested(req))

    def process_response(self, req, resp, resource, req_succeeded):
        major, minor = getattr(req.context, "microversion", MIN)
        resp.set_header(HEADER, f"compute {major}.{minor}")
        resp.set_header(LEGACY_HEADER, f"{major}.{minor}")
        resp.append_header("Vary", f"{HEADER}, {LEGACY_HEADER}")


def at_least(req, version: str) -> bool:
    return req.context.microversion >= parse(version)
