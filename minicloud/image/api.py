"""Glance's HTTP API (image v2): the route table below is the table of contents.

Callers are the CLI and SDK (`openstack image ...`) and nova-compute (downloading an image
to boot a server). Every route needs a token, which Keystone validates, except version
discovery; who may see or change an image is decided in access.py.
"""

from __future__ import annotations

import time

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware, Validator
from minicloud.image import data, images, tags
from minicloud.image.files import FileStore
from minicloud.image.store import ImageStore

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


def routes(store: ImageStore, files: FileStore, size_limit: int,
           clock) -> list[tuple[str, object]]:
    return [
        ("/", wsgi.VersionResource(versions)),
        ("/v2", wsgi.VersionResource(versions)),
        ("/v2/images", images.Images(store, clock)),
        ("/v2/images/{image_id}", images.Image(store, files, clock)),
        ("/v2/images/{image_id}/file", data.ImageData(store, files, size_limit, clock)),
        ("/v2/images/{image_id}/tags/{tag}", tags.ImageTag(store, clock)),
    ]


def create_app(config, store: ImageStore, files: FileStore, tracer: trace.Tracer,
               validator: Validator, clock=time.time) -> falcon.App:
    app = wsgi.create_app("glance", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator)])
    for path, resource in routes(store, files, config.image_size_limit, clock):
        app.add_route(path, resource)
    return app
