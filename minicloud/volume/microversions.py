"""Microversions of the block-storage API: `OpenStack-API-Version: volume 3.70`.

No header means 3.0, `latest` means the maximum, anything outside [3.0, MAX] is 406. A
header that is there but names no volume version (empty, `volume` alone, only another
service's version) is a 400, as Cinder answers. The answer echoes the header (and
`Vary`); `req.context.microversion` is a tuple like (3, 70) that views.py compares with
`at_least(req, "3.48")`.

The same middleware also accepts both URL forms of the catalog (`/v3/{project_id}/volumes`
and `/v3/volumes`): it takes the project id out of the path before routing, so the route
table lists each resource once, and refuses a project id that is not the token's (400
"Malformed request url", as Cinder does).
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.common.microversions import HEADER, Microversions, at_least

MIN_VERSION, MAX_VERSION = "3.0", "3.70"
# The first path segment after /v3 that names a resource; anything else is a project id.
COLLECTIONS = {"volumes", "snapshots", "types", "attachments", "os-quota-sets", "limits",
               "extensions", "os-availability-zone", "os-services", "scheduler-stats"}


def require(version: str):
    """A `before` hook: below `version` the route does not exist (404, as in Cinder)."""

    def hook(req, resp, resource, params):
        if not at_least(req, version):
            raise errors.NotFound(f"The resource could not be found: this API needs "
                                  f"microversion {version} or later (OpenStack-API-Version: "
                                  f"volume {version}).")

    return hook


class MicroversionMiddleware(Microversions):
    def __init__(self):
        super().__init__("volume", MIN_VERSION, MAX_VERSION)

    def requested(self, req) -> str | None:
        header = req.get_header(HEADER)
        if header is None:
            return None
        for part in header.split(","):
            words = part.split()
            if words and words[0].lower() == "volume":
                if len(words) == 2:
                    return words[1]
                break
        raise errors.BadRequest(f"Invalid {HEADER} header {header.strip()!r}: it must name a "
                                f"volume API version, e.g. 'volume {MAX_VERSION}'.")

    def process_request(self, req, resp):
        req.context.url_project_id = None
        parts = req.path.split("/")
        if len(parts) > 2 and parts[1] == "v3" and parts[2] and parts[2] not in COLLECTIONS:
            req.context.url_project_id = parts[2]
            req.path = "/".join(parts[:2] + parts[3:])
        super().process_request(req, resp)

    def process_resource(self, req, resp, resource, params):
        ctx, wanted = req.context.get("ctx"), req.context.url_project_id
        if ctx is not None and wanted and wanted != ctx.project_id:
            raise errors.BadRequest(f"Malformed request url: the project id {wanted} in the URL "
                                    f"is not the project of your token ({ctx.project_id}).")
        super().process_resource(req, resp, resource, params)
