"""Keystone's HTTP API (identity v3): the route table below is the table of contents.

Requests come from the CLI (logging in, admin commands) and from the other services
(validating the tokens their callers present). Every route needs a token except version
discovery and `POST /v3/auth/tokens`; what role a route needs is on its responder.
"""

from __future__ import annotations

import time

import falcon

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import AuthMiddleware
from minicloud.identity import (assignments, auth, catalog, domains, groups, implied_roles,
                                projects, roles, users)
from minicloud.identity.store import IdentityStore
from minicloud.identity.tokens import FernetKeys, TokenService

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


def routes(store: IdentityStore, tokens: TokenService, scrypt_n: int) -> list[tuple[str, object]]:
    # Falcon needs one field name per path level, so grant routes name their ids like the
    # entity routes do (project_id, domain_id, user_id, group_id); a RoleGrant(s) resource
    # is told which two of them are its target and actor.
    project_grants = assignments.RoleGrants(store, "Project", "User")
    return [
        ("/", wsgi.VersionResource(versions)),
        ("/v3", wsgi.VersionResource(version)),
        ("/v3/auth/tokens", auth.AuthTokens(tokens)),
        ("/v3/auth/catalog", auth.AuthCatalog(tokens)),
        ("/v3/auth/projects", auth.AuthProjects(tokens)),
        ("/v3/auth/domains", auth.AuthDomains(tokens)),
        ("/v3/auth/system", auth.AuthSystem(tokens)),
        ("/v3/domains", domains.Domains(store)),
        ("/v3/domains/{domain_id}", domains.Domain(store)),
        ("/v3/projects", projects.Projects(store)),
        ("/v3/projects/{project_id}", projects.Project(store)),
        ("/v3/users", users.Users(store, tokens, scrypt_n)),
        ("/v3/users/{user_id}", users.User(store, tokens, scrypt_n)),
        ("/v3/users/{user_id}/password", users.UserPassword(store, tokens, scrypt_n)),
        ("/v3/users/{user_id}/projects", users.UserProjects(store)),
        ("/v3/users/{user_id}/groups", users.UserGroups(store)),
        ("/v3/groups", groups.Groups(store)),
        ("/v3/groups/{group_id}", groups.Group(store)),
        ("/v3/groups/{group_id}/users", groups.GroupUsers(store)),
        ("/v3/groups/{group_id}/users/{user_id}", groups.GroupUser(store)),
        ("/v3/roles", roles.Roles(store)),
        ("/v3/roles/{role_id}", roles.Role(store)),
        ("/v3/roles/{role_id}/implies", implied_roles.ImpliedRoles(store)),
        ("/v3/roles/{role_id}/implies/{implied_role_id}", implied_roles.ImpliedRole(store)),
        ("/v3/role_inferences", implied_roles.RoleInferences(store)),
        ("/v3/projects/{project_id}/users/{user_id}/roles", project_grants),
        ("/v3/projects/{project_id}/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(store, "Project", "User")),
        ("/v3/projects/{project_id}/groups/{group_id}/roles",
         assignments.RoleGrants(store, "Project", "Group")),
        ("/v3/projects/{project_id}/groups/{group_id}/roles/{role_id}",
         assignments.RoleGrant(store, "Project", "Group")),
        ("/v3/domains/{domain_id}/users/{user_id}/roles",
         assignments.RoleGrants(store, "Domain", "User")),
        ("/v3/domains/{domain_id}/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(store, "Domain", "User")),
        ("/v3/domains/{domain_id}/groups/{group_id}/roles",
         assignments.RoleGrants(store, "Domain", "Group")),
        ("/v3/domains/{domain_id}/groups/{group_id}/roles/{role_id}",
         assignments.RoleGrant(store, "Domain", "Group")),
        ("/v3/system/users/{user_id}/roles", assignments.RoleGrants(store, "System", "User")),
        ("/v3/system/users/{user_id}/roles/{role_id}",
         assignments.RoleGrant(store, "System", "User")),
        ("/v3/role_assignments", assignments.RoleAssignments(store)),
        ("/v3/regions", catalog.Regions(store)),
        ("/v3/regions/{region_id}", catalog.Region(store)),
        ("/v3/services", catalog.Services(store)),
        ("/v3/services/{service_id}", catalog.Service(store)),
        ("/v3/endpoints", catalog.Endpoints(store)),
        ("/v3/endpoints/{endpoint_id}", catalog.Endpoint(store)),
    ]


def create_app(config, store: IdentityStore, tracer: trace.Tracer, clock=time.time):
    keys = FernetKeys(config.path("fernet-keys"))
    tokens = TokenService(store, keys, config.token_ttl, clock)
    app = wsgi.create_app("keystone", error_body=error_body, tracer=tracer,
                          middleware=[AuthMiddleware(tokens.context_for)])
    for path, resource in routes(store, tokens, config.scrypt_n):
        app.add_route(path, resource)
    return app
