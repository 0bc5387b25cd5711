"""Neutron's HTTP API (network v2.0): the route table below is the table of contents.

Requests come from the CLI (`openstack network|subnet|port|router|floating ip|security
group ...`) and from Nova (ports for servers). The SDK never discovers Neutron: it appends
`/v2.0` to the catalog URL itself; `GET /` and `GET /v2.0` are here for humans and curl.
Errors are `{"NeutronError": {"type", "message", "detail"}}`.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware
from minicloud.network import (agents, floatingips, networks, ports, quotas,
                               router_interfaces, routers, security_group_rules,
                               security_groups, subnets)
from minicloud.network.core import Neutron, not_found

# Neutron's error type when a responder gave none, by status.
DEFAULT_TYPES = {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden",
                 404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 409: "HTTPConflict",
                 413: "HTTPRequestEntityTooLarge", 500: "HTTPInternalServerError",
                 503: "HTTPServiceUnavailable"}

# What is implemented, and only that: clients change behaviour on what they find here
# (`external-gateway-multihoming` would make `router set --external-gateway` use an API
# minicloud does not have).
EXTENSIONS = [
    ("agent", "agent", "The agent management extension."),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
    ("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute to Floating IP resource"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("port-security", "Port Security", "Provides port security"),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("quotas", "Quota management support", "Expose functions for quotas management per tenant"),
    ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
    ("security-group", "security-group", "The security groups extension."),
    ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
    ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
]


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    kind = exc.__dict__.get("kind") or DEFAULT_TYPES.get(code, "HTTPError")
    return {"NeutronError": {"type": kind, "message": errors.message_of(exc), "detail": ""}}


def _version_entry(req) -> dict:
    return {"id": "v2.0", "status": "CURRENT",
            "links": [{"rel": "self", "href": f"{wsgi.base_url(req)}/v2.0/"}]}


def versions(req):
    return falcon.HTTP_200, {"versions": [_version_entry(req)]}


def version(req):
    resources = ["networks", "subnets", "ports", "routers", "floatingips", "security-groups",
                 "security-group-rules", "quotas", "agents", "extensions"]
    return falcon.HTTP_200, {"resources": [
        {"name": r.rstrip("s"), "collection": r,
         "links": [{"rel": "self", "href": f"{wsgi.base_url(req)}/v2.0/{r}"}]}
        for r in resources]}


def _extension(alias: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description,
            "updated": "2013-01-01T00:00:00-00:00", "links": []}


class Extensions:
    def on_get(self, req, resp):
        resp.media = {"extensions": [_extension(*e) for e in EXTENSIONS]}


class Extension:
    def on_get(self, req, resp, alias):
        for entry in EXTENSIONS:
            if entry[0] == alias:
                resp.media = {"extension": _extension(*entry)}
                return
        raise not_found("extension", alias)


def routes(neutron: Neutron, transport, tracer) -> list[tuple[str, object]]:
    return [
        ("/", wsgi.VersionResource(versions)),
        ("/v2.0", wsgi.VersionResource(version)),
        ("/v2.0/extensions", Extensions()),
        ("/v2.0/extensions/{alias}", Extension()),
        ("/v2.0/networks", networks.Networks(neutron)),
        ("/v2.0/networks/{network_id}", networks.Network(neutron)),
        ("/v2.0/subnets", subnets.Subnets(neutron)),
        ("/v2.0/subnets/{subnet_id}", subnets.Subnet(neutron)),
        ("/v2.0/ports", ports.Ports(neutron)),
        ("/v2.0/ports/{port_id}", ports.Port(neutron)),
        ("/v2.0/routers", routers.Routers(neutron)),
        ("/v2.0/routers/{router_id}", routers.Router(neutron)),
        ("/v2.0/routers/{router_id}/add_router_interface",
         router_interfaces.AddInterface(neutron)),
        ("/v2.0/routers/{router_id}/remove_router_interface",
         router_interfaces.RemoveInterface(neutron)),
        ("/v2.0/floatingips", floatingips.FloatingIPs(neutron)),
        ("/v2.0/floatingips/{floatingip_id}", floatingips.FloatingIP(neutron)),
        ("/v2.0/security-groups", security_groups.SecurityGroups(neutron)),
        ("/v2.0/security-groups/{security_group_id}", security_groups.SecurityGroup(neutron)),
        ("/v2.0/security-group-rules", security_group_rules.SecurityGroupRules(neutron)),
        ("/v2.0/security-group-rules/{rule_id}",
         security_group_rules.SecurityGroupRule(neutron)),
        ("/v2.0/quotas", quotas.Quotas(neutron)),
        ("/v2.0/quotas/{project_id}", quotas.Quota(neutron)),
        ("/v2.0/quotas/{project_id}/default", quotas.QuotaDefault(neutron)),
        ("/v2.0/quotas/{project_id}/details", quotas.QuotaDetails(neutron)),
        ("/v2.0/agents", agents.Agents(neutron)),
        ("/v2.0/agents/{agent_id}", agents.Agent(neutron)),
        ("/v2.0/minicloud/dataplane", agents.Dataplane(neutron, transport, tracer)),
    ]


def create_app(neutron: Neutron, validator, tracer: trace.Tracer, transport=None):
    app = wsgi.create_app("neutron-server", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator)])
    for path, resource in routes(neutron, transport, tracer):
        app.add_route(path, resource)
    return app
