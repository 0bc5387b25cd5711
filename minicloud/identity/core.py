"""Keystone, the facade every resource module works on: the config, the store, the token
service with its Fernet keys, the password cost and the clock; and the rules the resource
modules share: how they look records up (404s worded as Keystone words them), which domain
a new project, user or group lands in, and who may read a user's own records.

api.py builds one `Keystone` and hands it to every resource; bootstrap.py and the tests use
the same object, so they run the same code as the API.
"""

from __future__ import annotations

import time

from minicloud.common import errors, policy
from minicloud.common.context import RequestContext
from minicloud.identity import passwords
from minicloud.identity.store import IdentityStore
from minicloud.identity.tokens import FernetKeys, TokenService

DEFAULT_DOMAIN = "default"


# -- Keystone's error wording ---------------------------------------------------------------

def must_exist(record: dict | None, kind: str, ident: str) -> dict:
    if record is None:
        raise errors.NotFound(f"Could not find {kind}: {ident}.")
    return record


def duplicate(kind: str, name: str, domain_id: str | None = None) -> errors.Conflict:
    """A name already taken: in the whole cloud (domains, roles) or in a domain."""
    where = f" at domain ID {domain_id}" if domain_id is not None else ""
    return errors.Conflict(f"Conflict occurred attempting to store {kind} - "
                           f"Duplicate entry found with name {name}{where}.")


def same_id(kind: str, fields: dict, row_id: str) -> None:
    """A PATCH body may repeat the id of what it changes, never change it."""
    if fields.get("id") not in (None, row_id):
        article = "an" if kind[0] in "aeiou" else "a"
        raise errors.BadRequest(f"Cannot change the ID of {article} {kind}.")


def fixed(field: str) -> errors.BadRequest:
    """A field set at creation that a PATCH may not change (`domain_id`, `parent_id`)."""
    return errors.BadRequest(f"Update of `{field}` is not allowed.")


class Keystone:
    def __init__(self, config, store: IdentityStore, clock=time.time):
        self.config = config
        self.store = store
        self.clock = clock
        self.scrypt_n = config.scrypt_n  # the password hash's cost (tests make it cheap)
        self.keys = FernetKeys(config.path("fernet-keys"))
        self.tokens = TokenService(store, self.keys, config.token_ttl, clock)

    def validate(self, token_id: str) -> RequestContext:
        """The auth middleware's validator: the context of a caller presenting `token_id`."""
        return self.tokens.context_for(token_id)

    def hash_password(self, password: str) -> str:
        return passwords.hash_password(password, n=self.scrypt_n)

    # -- look-ups that answer 404 -----------------------------------------------------------
    def domain(self, domain_id: str) -> dict:
        return must_exist(self.store.domain(domain_id), "domain", domain_id)

    def project(self, project_id: str) -> dict:
        return must_exist(self.store.project(project_id), "project", project_id)

    def user(self, user_id: str) -> dict:
        return must_exist(self.store.user(user_id), "user", user_id)

    def group(self, group_id: str) -> dict:
        return must_exist(self.store.group(group_id), "group", group_id)

    def role(self, role_id: str) -> dict:
        return must_exist(self.store.role(role_id), "role", role_id)

    def region(self, region_id: str) -> dict:
        return must_exist(self.store.region(region_id), "region", region_id)

    def service(self, service_id: str) -> dict:
        return must_exist(self.store.service(service_id), "service", service_id)

    def endpoint(self, endpoint_id: str) -> dict:
        return must_exist(self.store.endpoint(endpoint_id), "endpoint", endpoint_id)

    # -- shared rules -----------------------------------------------------------------------
    @staticmethod
    def new_domain_id(fields: dict, ctx: RequestContext) -> str:
        """The domain a new project, user or group goes in: the one the body names, else the
        one the token is scoped to, else `default`. Callers then look it up (self.domain):
        an unknown one is a 404, as Keystone's managers look the domain up (DomainNotFound)
        before creating anything."""
        return fields.get("domain_id") or ctx.domain_id or DEFAULT_DOMAIN

    @staticmethod
    def require_self_or_admin(ctx: RequestContext, user_id: str) -> None:
        """A user may read their own records; anyone else's need the admin role."""
        if ctx.user_id != user_id:
            policy.enforce(ctx, "admin")
