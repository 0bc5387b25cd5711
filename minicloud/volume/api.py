"""cinder-api (block-storage v3, port 8776): the route table below is the table of contents.

The catalog URL is `http://H:8776/v3/<project_id>`; clients also use `/v3/...` without the
project id, so microversions.py takes the project id out of the path before routing and
each route is listed once. Every route needs a token except version discovery; errors use
the Nova-style envelope, e.g. `{"itemNotFound": {"code": 404, "message": "..."}}`. Work off
the HTTP path goes over RPC to cinder-scheduler (new volumes) and to the cinder-volume of a
storage node (everything else); their reports come back to reports.py.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware
from minicloud.volume import (attachments, extensions, microversions, quotas, services,
                              snapshots, types, volumes)
from minicloud.volume.core import Cinder

KINDS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
         405: "badMethod", 406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit"}


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    """Cinder's error format: {kind: {"code": n, "message": m}}."""
    kind = getattr(exc, "kind", None) or KINDS.get(code, "computeFault")
    if kind == "internalServerError" and code != 500:
        kind = KINDS.get(code, "computeFault")
    return {kind: {"code": code, "message": errors.message_of(exc)}}


def _v3(req) -> dict:
    return {"id": "v3.0", "status": "CURRENT", "version": microversions.MAX_VERSION,
            "min_version": microversions.MIN_VERSION, "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "describedby", "type": "text/html",
                       "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": f"{wsgi.base_url(req)}/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


def versions(req):
    return falcon.HTTP_300, {"versions": [_v3(req)]}


def v3_versions(req):
    return falcon.HTTP_200, {"versions": [_v3(req)]}


def routes(cinder: Cinder) -> list[tuple[str, object]]:
    v = "/v3"
    return [
        ("/", wsgi.VersionResource(versions)),
        (v, wsgi.VersionResource(v3_versions)),
        (f"{v}/volumes", volumes.Volumes(cinder)),
        (f"{v}/volumes/detail", volumes.Volumes(cinder, detail=True)),
        (f"{v}/volumes/{{volume_id}}", volumes.Volume(cinder)),
        (f"{v}/volumes/{{volume_id}}/action", volumes.VolumeAction(cinder)),
        (f"{v}/volumes/{{volume_id}}/metadata", volumes.VolumeMetadata(cinder)),
        (f"{v}/volumes/{{volume_id}}/metadata/{{key}}", volumes.VolumeMetadataItem(cinder)),
        (f"{v}/snapshots", snapshots.Snapshots(cinder)),
        (f"{v}/snapshots/detail", snapshots.Snapshots(cinder, detail=True)),
        (f"{v}/snapshots/{{snapshot_id}}", snapshots.Snapshot(cinder)),
        (f"{v}/types", types.VolumeTypes(cinder)),
        (f"{v}/types/{{type_id}}", types.VolumeType(cinder)),
        (f"{v}/types/{{type_id}}/extra_specs", types.VolumeTypeExtraSpecs(cinder)),
        (f"{v}/attachments", attachments.Attachments(cinder)),
        (f"{v}/attachments/detail", attachments.Attachments(cinder, detail=True)),
        (f"{v}/attachments/{{attachment_id}}", attachments.Attachment(cinder)),
        (f"{v}/attachments/{{attachment_id}}/action", attachments.AttachmentAction(cinder)),
        (f"{v}/os-quota-sets/{{project_id}}", quotas.QuotaSet(cinder)),
        (f"{v}/os-quota-sets/{{project_id}}/defaults", quotas.QuotaSet(cinder, defaults=True)),
        (f"{v}/limits", quotas.Limits(cinder)),
        (f"{v}/os-services", services.Services(cinder)),
        (f"{v}/os-availability-zone", services.AvailabilityZones(cinder)),
        (f"{v}/extensions", extensions.Extensions()),
        (f"{v}/extensions/{{alias}}", extensions.Extension()),
        (f"{v}/scheduler-stats/get_pools", services.Pools(cinder)),
    ]


def create_app(cinder: Cinder, tracer: trace.Tracer, validator) -> falcon.App:
    """cinder-api around `cinder`; `validator` turns a token into a RequestContext. The
    microversion middleware runs after auth, as in Cinder's paste pipeline."""
    app = wsgi.create_app("cinder-api", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator),
                                      microversions.MicroversionMiddleware()])
    for path, resource in routes(cinder):
        app.add_route(path, resource)
    return app
