"""nova-api (compute v2.1, port 8774): the route table below is the table of contents.

Every route needs a token except version discovery; once the token is checked,
microversions.py negotiates the microversion of the request; errors use Nova's envelope, e.g.
`{"itemNotFound": {"code": 404, "message": "..."}}`. Work off the HTTP path goes over RPC
to the conductor (builds, migrations) or to a compute host (power actions, delete, console).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware
from minicloud.compute import (external_events, flavors, hypervisors, ips, keypairs,
                               microversions, migrations, quotas, server_actions, servers,
                               services, volume_attachments)
from minicloud.compute import interfaces
from minicloud.compute.core import Nova

KINDS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
         405: "badMethod", 406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit"}


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    """Nova's error format: {kind: {"code": n, "message": m}}."""
    kind = getattr(exc, "kind", None) or KINDS.get(code, "computeFault")
    return {kind: {"code": code, "message": errors.message_of(exc)}}


def _v21(req) -> dict:
    """The v2.1 entry as `GET /` lists it (Nova's root lists only self links)."""
    return {"id": "v2.1", "status": "CURRENT", "version": microversions.MAX_VERSION,
            "min_version": microversions.MIN_VERSION, "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{wsgi.base_url(req)}/v2.1/"}]}


def _v20(req) -> dict:
    return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
            "updated": "2011-01-21T11:33:21Z",
            "links": [{"rel": "self", "href": f"{wsgi.base_url(req)}/v2/"}]}


def versions(req):
    """`GET /`: 200 with every major version (Nova keeps 300 for unknown paths)."""
    return falcon.HTTP_200, {"versions": [_v20(req), _v21(req)]}


def version(req):
    """`GET /v2.1`: the v2.1 document, with its describedby link and media types."""
    doc = _v21(req)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "http://docs.openstack.org/"})
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
    return falcon.HTTP_200, {"version": doc}


def routes(api: Nova) -> list[tuple[str, object]]:
    v = "/v2.1"
    return [
        ("/", wsgi.VersionResource(versions)),
        (v, wsgi.VersionResource(version)),
        (f"{v}/flavors", flavors.Flavors(api)),
        (f"{v}/flavors/detail", flavors.Flavors(api, detail=True)),
        (f"{v}/flavors/{{flavor_id}}", flavors.Flavor(api)),
        (f"{v}/flavors/{{flavor_id}}/os-extra_specs", flavors.FlavorExtraSpecs(api)),
        (f"{v}/flavors/{{flavor_id}}/os-extra_specs/{{key}}", flavors.FlavorExtraSpec(api)),
        (f"{v}/os-keypairs", keypairs.Keypairs(api)),
        (f"{v}/os-keypairs/{{name}}", keypairs.Keypair(api)),
        (f"{v}/servers", servers.Servers(api)),
        (f"{v}/servers/detail", servers.Servers(api, detail=True)),
        (f"{v}/servers/{{server_id}}", servers.Server(api)),
        (f"{v}/servers/{{server_id}}/action", server_actions.ServerAction(api)),
        (f"{v}/servers/{{server_id}}/ips", ips.ServerIPs(api)),
        (f"{v}/servers/{{server_id}}/ips/{{network_label}}", ips.ServerIPs(api)),
        (f"{v}/servers/{{server_id}}/metadata", servers.ServerMetadata(api)),
        (f"{v}/servers/{{server_id}}/metadata/{{key}}", servers.ServerMetadataItem(api)),
        (f"{v}/servers/{{server_id}}/os-instance-actions", server_actions.InstanceActions(api)),
        (f"{v}/servers/{{server_id}}/os-instance-actions/{{request_id}}",
         server_actions.InstanceAction(api)),
        (f"{v}/servers/{{server_id}}/os-volume_attachments",
         volume_attachments.VolumeAttachments(api)),
        (f"{v}/servers/{{server_id}}/os-volume_attachments/{{volume_id}}",
         volume_attachments.VolumeAttachment(api)),
        (f"{v}/servers/{{server_id}}/os-interface", interfaces.Interfaces(api)),
        (f"{v}/servers/{{server_id}}/os-interface/{{port_id}}", interfaces.Interface(api)),
        (f"{v}/os-hypervisors", hypervisors.Hypervisors(api)),
        (f"{v}/os-hypervisors/detail", hypervisors.Hypervisors(api, detail=True)),
        (f"{v}/os-hypervisors/statistics", hypervisors.HypervisorStatistics(api)),
        (f"{v}/os-hypervisors/{{hypervisor_id}}", hypervisors.Hypervisor(api)),
        (f"{v}/os-services", services.Services(api)),
        (f"{v}/os-services/{{service_id}}", services.Service(api)),
        (f"{v}/os-availability-zone", services.AvailabilityZones(api)),
        (f"{v}/os-availability-zone/detail", services.AvailabilityZones(api, detail=True)),
        (f"{v}/os-migrations", migrations.Migrations(api)),
        (f"{v}/os-server-external-events", external_events.ServerExternalEvents(api)),
        (f"{v}/os-aggregates", services.Aggregates()),
        (f"{v}/limits", quotas.Limits(api)),
        (f"{v}/os-quota-sets/{{project_id}}", quotas.QuotaSet(api)),
        (f"{v}/os-quota-sets/{{project_id}}/defaults", quotas.QuotaSet(api, defaults=True)),
        (f"{v}/os-quota-sets/{{project_id}}/detail", quotas.QuotaSet(api, detail=True)),
    ]


def create_app(nova: Nova, tracer: trace.Tracer, validator) -> falcon.App:
    """nova-api around `nova`; `validator` turns a token into a RequestContext. Tokens are
    checked before the microversion is read, as keystonemiddleware's authtoken runs ahead
    of Nova in its paste pipeline."""
    app = wsgi.create_app("nova-api", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator),
                                      microversions.MicroversionMiddleware()])
    for path, resource in routes(nova):
        app.add_route(path, resource)
    return app
