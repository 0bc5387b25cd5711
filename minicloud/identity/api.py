"""Keystone's HTTP API (identity v3): the route table below is the table of contents.

Requests come from the CLI (logging in, admin commands) and from the other services
(validating the tokens their callers present). Every route needs a token except version
discovery and `POST /v3/auth/tokens`; what role a route needs is on its responder.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware, Validator
from minicloud.identity import (assignments, auth, catalog, domains, groups, implied_roles,
                                projects, roles, users)
from minicloud.identity.core import Keystone

API_VERSION = "v3.14"


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    """Keystone's error format, which keystoneauth parses: {"error": {code, title, message}}."""
    return {"error": {"code": code, "title": exc.title, "message": errors.message_of(exc)}}


def _version_entry(req) -> dict:
    return {"id": API_VERSION, "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{wsgi.base_url(req)}/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


def versions(req):
    return falcon.HTTP_300, {"versions": {"values": [_version_entry(req)]}}


def version(req):
    return falcon.HTTP_200, {"version": _version_entry(req)}


def routes(keystone: Keystone) -> list[tuple[str, object]]:
    # Falcon needs one field name per path level, so grant routes name their ids like the
    # entity routes do (project_id, domain_id, user_id, group_id); a RoleGrant(s) resource
    # is told which two of them are its target and actor.
    return [
        ("/", wsgi.VersionResource(versions)),
        ("/v3", wsgi.VersionResource(version)),
        ("/v3/auth/tokens", auth.AuthTokens(keystone)),
        ("/v3/auth/catalog", auth.AuthCatalog(keystone)),
        ("/v3/auth/projects", auth.AuthProjects(keystone)),
        ("/v3/auth/domains", auth.AuthDomains(keystone)),
        ("/v3/auth/system", auth.AuthSystem(keystone)),
        ("/v3/domains", domains.Domains(keystone)),
        ("/v3/domains/{domain_id}", domains.Domain(keystone)),
        ("/v3/projects", projects.Projects(keystone)),
        ("/v3/projects/{project_id}", projects.Project(keystone)),
        ("/v3/users", users.Users(keystone)),
        ("/v3/users/{user_id}", users.User(keystone)),
        ("/v3/users/{user_id}/password", users.UserPassword(keystone)),
        ("/v3/users/{user_id}/projects", users.UserProjects(keystone)),
        ("/v3/users/{user_id}/groups", users.UserGroups(keystone)),
        ("/v3/groups", groups.Groups(keystone)),
        ("/v3/groups/{group_id}", groups.Group(keystone)),
        ("/v3/groups/{group_id}/users", groups.GroupUsers(keystone)),
        ("/v3/groups/{group_id}/users/{user_id}", groups.GroupUser(keystone)),
        ("/v3/roles", roles.Roles(keystone)),
        ("/v3/roles/{role_id}", roles.Role(keystone)),
        ("/v3/roles/{role_id}/implies", implied_roles.ImpliedRoles(keystone)),
        ("/v3/roles/{role_id}/implies/{implied_role_id}", implied_roles.ImpliedRole(keystone)),
        ("/v3/role_inferences", implied_roles.RoleInferences(keystone)),
        ("/v3/projects/{project_id}/users/{user_id}/roles",
         assignments.RoleGrants(keystone, "Project", "User")),
        ("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(keystone, "Project", "User")),
        ("/v3/projects/{project_id}/groups/{group_id}/roles",
         assignments.RoleGrants(keystone, "Project", "Group")),
        ("/v3/projects/{project_id}/groups/{group_id}/roles/{role_id}",
         assignments.RoleGrant(keystone, "Project", "Group")),
        ("/v3/domains/{domain_id}/users/{user_id}/roles",
         assignments.RoleGrants(keystone, "Domain", "User")),
        ("/v3/domains/{domain_id}/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(keystone, "Domain", "User")),
        ("/v3/domains/{domain_id}/groups/{group_id}/roles",
         assignments.RoleGrants(keystone, "Domain", "Group")),
        ("/v3/domains/{domain_id}/groups/{group_id}/roles/{role_id}",
         assignments.RoleGrant(keystone, "Domain", "Group")),
        ("/v3/system/users/{user_id}/roles", assignments.RoleGrants(keystone, "System", "User")),
        ("/v3/system/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(keystone, "System", "User")),
        ("/v3/role_assignments", assignments.RoleAssignments(keystone)),
        ("/v3/regions", catalog.Regions(keystone)),
        ("/v3/regions/{region_id}", catalog.Region(keystone)),
        ("/v3/services", catalog.Services(keystone)),
        ("/v3/services/{service_id}", catalog.Service(keystone)),
        ("/v3/endpoints", catalog.Endpoints(keystone)),
        ("/v3/endpoints/{endpoint_id}", catalog.Endpoint(keystone)),
    ]


def create_app(keystone: Keystone, tracer: trace.Tracer, validator: Validator) -> falcon.App:
    """`validator` is keystone.validate in the cloud (Keystone checks its own tokens in
    process); tests may pass another."""
    app = wsgi.create_app("keystone", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(validator)])
    for path, resource in routes(keystone):
        app.add_route(path, resource)
    return app
