"""Glance's HTTP API (image v2): the route table below is the table of contents.

Callers are the CLI and SDK (`openstack image ...`) and nova-compute (downloading an image
to boot a server). Every route needs a token, which Keystone validates, except version
discovery; who may see or change an image is decided in core.py (the `Glance` facade every
resource is built around).

Two rules of Glance's router hold for every route (RouteRules below): paths match
exactly, so `/v2/images/` (trailing slash) is no route, a 404, whatever the method (only
the version documents answer with or without the slash); and a request that must not
carry a body (a resource's `bodyless` methods: GET of an image, DELETE, the actions, ...)
is a 400 when it does.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware, Validator
from minicloud.image import actions, data, images, schemadocs, tags
from minicloud.image.core import Glance

# Glance lists every v2.x it ever shipped, newest (CURRENT) first; the client takes the
# newest one it knows. All of them are the same API here.
API_VERSIONS = [f"2.{minor}" for minor in range(17, -1, -1)]


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    """Glance's error format: {"message", "code": "404 Not Found", "title": "Not Found"}."""
    title = exc.title if isinstance(exc, errors.ApiError) else \
        falcon.code_to_http_status(code).split(" ", 1)[1]  # Falcon's own 404/405
    return {"message": errors.message_of(exc), "code": f"{code} {title}", "title": title}


def versions(req):
    href = f"{wsgi.base_url(req)}/v2/"
    return falcon.HTTP_300, {"versions": [
        {"id": f"v{v}", "status": "CURRENT" if i == 0 else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]} for i, v in enumerate(API_VERSIONS)]}


def routes(glance: Glance) -> list[tuple[str, object]]:
    return [
        ("/", wsgi.VersionResource(versions)),
        ("/v2", wsgi.VersionResource(versions)),
        ("/v2/images", images.Images(glance)),
        ("/v2/images/{image_id}", images.Image(glance)),
        ("/v2/images/{image_id}/file", data.ImageData(glance)),
        ("/v2/images/{image_id}/tags/{tag}", tags.ImageTag(glance)),
        ("/v2/images/{image_id}/actions/deactivate", actions.ImageAction(glance, "deactivate")),
        ("/v2/images/{image_id}/actions/reactivate", actions.ImageAction(glance, "reactivate")),
        ("/v2/schemas/image", schemadocs.Schema("image")),
        ("/v2/schemas/images", schemadocs.Schema("images")),
        ("/v2/schemas/member", schemadocs.Schema("member")),
        ("/v2/schemas/members", schemadocs.Schema("members")),
    ]


class RouteRules:
    """Glance's exact paths and bodyless methods, checked after the token (as Glance's
    router runs behind keystonemiddleware)."""

    DISCOVERY = ("/", "/v2/")

    def process_resource(self, req, resp, resource, params):
        path = req.env.get("PATH_INFO") or "/"
        if path.endswith("/") and path not in self.DISCOVERY:
            raise errors.NotFound("The resource could not be found.")
        if req.method in getattr(resource, "bodyless", ()) and _has_body(req):
            raise errors.BadRequest("A body is not expected with this request.")


def _has_body(req) -> bool:
    chunked = (req.get_header("Transfer-Encoding") or "").lower() == "chunked"
    return chunked or (req.content_length or 0) > 0


def create_app(glance: Glance, tracer: trace.Tracer, validator: Validator) -> falcon.App:
    app = wsgi.create_app("glance", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator), RouteRules()])
    for path, resource in routes(glance):
        app.add_route(path, resource)
    return app
