"""Microversions of the block-storage API: `OpenStack-API-Version: volume 3.70`.

No header means 3.0, `latest` means the maximum, anything outside [3.0, MAX] is 406. The
answer echoes the header (and `Vary`); `req.context.microversion` is a tuple like (3, 70)
that views.py compares with `at_least(req, "3.48")`.

The same middleware also accepts both URL forms of the catalog (`/v3/{project_id}/volumes`
and `/v3/volumes`): it takes the project id out of the path before routing, so the route
table lists each resource once, and refuses a project id that is not the token's (400
"Malformed request url", as Cinder does).
"""

from __future__ import annotations

import re

import falcon

from minicloud.common import errors

MIN_VERSION, MAX_VERSION = "3.0", "3.70"
HEADER = "OpenStack-API-Version"
# The first path segment after /v3 that names a resource; anything else is a project id.
COLLECTIONS = {"volumes", "snapshots", "types", "attachments", "os-quota-sets", "limits",
               "extensions", "os-availability-zone", "os-services", "scheduler-stats"}


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
    for part in (req.get_header(HEADER) or "").split(","):
        words = part.strip().split()
        if len(words) == 2 and words[0].lower() == "volume":
            return words[1]
    return None


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


def at_least(req, version: str) -> bool:
    return getattr(req.context, "microversion", MIN) >= parse(version)


def require(version: str):
    """A `before` hook: below `version` the route does not exist (404, as in Cinder)."""

    def hook(req, resp, resource, params):
        if not at_least(req, version):
            raise errors.NotFound(f"The resource could not be found: this API needs "
                                  f"microversion {version} or later (OpenStack-API-Version: "
                                  f"volume {version}).")

    return hook


class MicroversionMiddleware:
    def process_request(self, req, resp):
        req.context.microversion = MIN
        req.context.url_project_id = None
        parts = req.path.split("/")
        if len(parts) > 2 and parts[1] == "v3" and parts[2] and parts[2] not in COLLECTIONS:
            req.context.url_project_id = parts[2]
            req.path = "/".join(parts[:2] + parts[3:])
        req.context.microversion = negotiate(requested(req))

    def process_resource(self, req, resp, resource, params):
        ctx, wanted = req.context.get("ctx"), req.context.url_project_id
        if ctx is not None and wanted and wanted != ctx.project_id:
            raise errors.BadRequest(f"Malformed request url: the project id {wanted} in the URL "
                                    f"is not the project of your token ({ctx.project_id}).")

    def process_response(self, req, resp, resource, req_succeeded):
        major, minor = getattr(req.context, "microversion", MIN)
        resp.set_header(HEADER, f"volume {major}.{minor}")
        resp.append_header("Vary", HEADER)
