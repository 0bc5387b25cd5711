"""How a service other than Keystone deals with tokens (keystonemiddleware's role).

`ServiceAuth` logs the service's own user in (e.g. `glance` in project `service`) and keeps
a valid token for calls to Keystone and to other services. `RemoteTokenValidator` turns a
caller's token into a RequestContext by asking Keystone (`GET /v3/auth/tokens`), caching
answers for a few seconds so a burst of calls costs one validation. The cache is keyed by
the exact token text and only ever holds well-formed tokens (auth.well_formed), so no
variant of a cached token can ride on its entry; a revoked token stops working here at
most `cache_seconds` after Keystone revoked it.
"""

from __future__ import annotations

import threading
import time

import requests

from minicloud.common import errors, trace
from minicloud.common.auth import well_formed
from minicloud.common.context import RequestContext

RENEW_BEFORE = 120  # seconds of life left at which a service token is replaced
# The Keystone user each service logs in as (in project `service`; identity/bootstrap.py
# makes them, with Config.service_password).
SERVICE_USERS = {"image": "glance", "compute": "nova", "network": "neutron",
                 "volume": "cinder", "object": "swift"}


def _parse_expiry(text: str) -> float:
    import datetime

    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class ServiceAuth:
    def __init__(self, auth_url: str, username: str, password: str, project: str = "service",
                 clock=time.time):
        self.auth_url = auth_url.rstrip("/")
        self.body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        self.clock = clock
        self.http = requests.Session()
        self._token: str | None = None
        self._expires = 0.0
        self.catalog: list[dict] = []
        self._lock = threading.Lock()

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self._expires - self.clock() < RENEW_BEFORE:
                response = self.http.post(f"{self.auth_url}/auth/tokens", json=self.body,
                                          headers=trace.outgoing_headers(), timeout=30)
                if response.status_code != 201:
                    raise errors.ApiError(f"The service could not log in to Keystone "
                                          f"({response.status_code}).")
                self._token = response.headers["X-Subject-Token"]
                body = response.json()["token"]
                self._expires = _parse_expiry(body["expires_at"])
                self.catalog = body.get("catalog", [])
            return self._token

    def endpoint(self, service_type: str, interface: str = "internal") -> str:
        """The URL of a service in the catalog (as nova-compute finds Glance and Neutron)."""
        self.token()
        for service in self.catalog:
            if service["type"] == service_type:
                for endpoint in service["endpoints"]:
                    if endpoint["interface"] == interface:
                        return endpoint["url"]
        raise errors.ApiError(f"No {interface} endpoint of type {service_type} in the catalog.")


class RemoteTokenValidator:
    def __init__(self, service_auth: ServiceAuth, cache_seconds: float = 5.0, clock=time.time):
        self.service_auth = service_auth
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: dict[str, tuple[float, RequestContext]] = {}

    def __call__(self, token: str) -> RequestContext:
        now = self.clock()
        hit = self._cache.get(token)  # only a well-formed token is ever cached
        if hit and hit[0] > now:
            trace.annotate(token="cache")  # the trace shows no call to Keystone: say why
            return RequestContext.from_dict(hit[1].to_dict())
        if not well_formed(token):  # never cached, never sent to Keystone
            raise errors.Unauthorized()
        ctx = self._ask_keystone(token)
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[token] = (now + self.cache_seconds, ctx)
        return RequestContext.from_dict(ctx.to_dict())

    def _ask_keystone(self, token: str) -> RequestContext:
        url = f"{self.service_auth.auth_url}/auth/tokens?nocatalog"
        for renew in (False, True):
            headers = {"X-Auth-Token": self.service_auth.token(renew=renew),
                       "X-Subject-Token": token, **trace.outgoing_headers()}
            response = self.service_auth.http.get(url, headers=headers, timeout=30)
            if response.status_code != 401:
                break
        if response.status_code != 200:
            raise errors.Unauthorized()
        body = response.json()["token"]
        project = body.get("project") or {}
        return RequestContext(
            user_id=body["user"]["id"], user_name=body["user"]["name"],
            user_domain_id=body["user"]["domain"]["id"], project_id=project.get("id"),
            project_name=project.get("name"),
            domain_id=(body.get("domain") or {}).get("id"),
            roles=[r["name"] for r in body.get("roles", [])], auth_token=token)
