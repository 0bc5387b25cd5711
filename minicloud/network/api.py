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
# minicloud does not have). The list also decides which attributes exist: a resource
# shows exactly the keys of these extensions (docs/services/neutron.md, "Response shapes"),
# and any other attribute in a request is "Unrecognized" (schemas.py). Each entry:
# alias, updated (Neutron's timestamp for it), name, description.
EXTENSIONS = [
    ("aap-reject-multicast", "2026-04-01T00:00:00-00:00", "Allowed address pairs reject multicast extension",
     "Reject multicast addresses in Allowed Address Pairs"),
    ("agent", "2013-02-03T10:00:00-00:00", "agent",
     "The agent management extension."),
    ("allowed-address-pairs", "2013-07-23T10:00:00-00:00", "Allowed Address Pairs",
     "Provides allowed address pairs"),
    ("binding", "2014-02-03T10:00:00-00:00", "Port Binding",
     "Expose port bindings of a virtual port to external application"),
    ("ext-gw-mode", "2013-03-28T10:00:00-00:00", "Neutron L3 Configurable external gateway mode",
     "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
    ("external-net", "2013-01-14T10:00:00-00:00", "Neutron external network",
     "Adds external network attribute to network resource."),
    ("fip-port-details", "2018-04-09T10:00:00-00:00", "Floating IP Port Details Extension",
     "Add port_details attribute to Floating IP resource"),
    ("net-mtu", "2015-03-25T10:00:00-00:00", "Network MTU",
     "Provides MTU attribute for a network resource."),
    ("net-mtu-writable", "2017-07-12T00:00:00-00:00", "Network MTU (writable)",
     "Provides a writable MTU attribute for a network resource."),
    ("pagination", "2016-06-12T00:00:00-00:00", "Pagination support",
     "Extension that indicates that pagination is enabled."),
    ("port-security", "2012-07-23T10:00:00-00:00", "Port Security",
     "Provides port security"),
    ("project-id", "2016-09-09T09:09:09-09:09", "project_id field enabled",
     "Extension that indicates that project_id field is enabled."),
    ("provider", "2012-09-07T10:00:00-00:00", "Provider Network",
     "Expose mapping of virtual networks to physical networks"),
    ("quota-check-limit", "2021-09-08T16:00:00-00:00", "Quota engine limit check",
     "Support for checking the resource usage before applying a new quota limit"),
    ("quota_details", "2017-02-10T10:00:00-00:00", "Quota details management support",
     "Expose functions for quotas usage statistics per project"),
    ("quotas", "2012-07-29T10:00:00-00:00", "Quota management support",
     "Expose functions for quotas management per tenant"),
    ("router", "2012-07-20T10:00:00-00:00", "Neutron L3 Router",
     "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
    ("security-group", "2012-10-05T10:00:00-00:00", "security-group",
     "The security groups extension."),
    ("security-groups-normalized-cidr", "2020-07-28T10:00:00-00:00", "Normalized CIDR field for security group rules",
     "Add new field with normalized remote_ip_prefix cidr in SG rule"),
    ("security-groups-rules-belongs-to-default-sg", "2023-05-23T10:00:00-00:00", "Security group rule belongs to the project's default security group",
     "Flag to determine if the security group rule belongs to the project's default security group"),
    ("standard-attr-description", "2016-02-10T10:00:00-00:00", "standard-attr-description",
     "Extension to add descriptions to standard attributes"),
    ("standard-attr-revisions", "2016-04-11T10:00:00-00:00", "Resource revision numbers",
     "This extension will display the revision number of neutron resources."),
    ("standard-attr-timestamp", "2016-09-12T10:00:00-00:00", "Resource timestamps",
     "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
    ("stateful-security-group", "2019-11-26T09:00:00-00:00", "Stateful security group",
     "Indicates if the security group is stateful or not"),
    ("subnet-external-network", "2024-02-05T18:00:00-00:00", "Subnet belongs to an external network",
     "Informs if the subnet belongs to an external network"),
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


def _extension(alias: str, updated: str, name: str, description: str) -> dict:
    return {"alias": alias, "name": name, "description": description, "updated": updated,
            "links": []}


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


def routes(neutron: Neutron) -> list[tuple[str, object]]:
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
        ("/v2.0/minicloud/dataplane", agents.Dataplane(neutron)),
    ]


def create_app(neutron: Neutron, tracer: trace.Tracer, validator) -> falcon.App:
    app = wsgi.create_app("neutron-server", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator)])
    for path, resource in routes(neutron):
        app.add_route(path, resource)
    return app
