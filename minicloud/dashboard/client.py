"""The dashboard's REST client: keystoneauth sessions over the public endpoints of the
Keystone catalog, with the logged-in user's token, as Horizon's API layer builds its
python-*client objects on a keystoneauth session.

Every HTTP exchange goes through one `requests.Session` whose response hook writes a
`Call` (method, URL, status, milliseconds, X-Openstack-Request-Id) into the `CallLog` of
the page view in progress (a context variable the middleware sets): that is the page's
"API calls" panel. No openstacksdk here: a Connection costs tens of milliseconds to build
and does version discovery of its own (more calls in the panel than the page needs);
keystoneauth alone takes the catalog from the token, adds the microversion headers and
sends exactly the requests this module writes.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json

import requests
from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneauth1.identity.access import AccessInfoPlugin

USER_AGENT = "minicloud-dashboard"
TIMEOUT = 60
# The versions the pages are written against (Horizon pins its own in its settings).
MICROVERSIONS = {"compute": "2.79", "block-storage": "3.27"}


@dataclasses.dataclass
class Call:
    method: str
    url: str
    status: int
    ms: float
    request_id: str | None


class CallLog(list):
    """The calls of one page view (or one action), in the order they were made."""


_current: contextvars.ContextVar[CallLog | None] = contextvars.ContextVar("calls", default=None)


def start_log() -> CallLog:
    log = CallLog()
    _current.set(log)
    return log


def _record(response, *args, **kwargs):
    log = _current.get()
    if log is not None:
        log.append(Call(response.request.method, response.url, response.status_code,
                        round(response.elapsed.total_seconds() * 1000, 1),
                        response.headers.get("X-Openstack-Request-Id")
                        or response.headers.get("X-Trans-Id")))


_http = requests.Session()
_http.hooks["response"].append(_record)


class ApiError(Exception):
    """An API said no: its status and its own message (shown in the page's banner)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class NotAuthenticated(ApiError):
    """The token is no longer accepted (expired, revoked): the session ends."""


def message_of(response) -> str:
    """The service's own message: Keystone {"error": {...}}, Nova and Cinder {kind: {...}},
    Neutron {"NeutronError": {...}}, Glance {"message"}; Swift answers in text."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:300] or f"{response.status_code} {response.reason}"
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return body["message"]
        for value in body.values():
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return json.dumps(body)[:300]


def log_in(auth_url: str, username: str, password: str, project: str, domain: str):
    """POST /v3/auth/tokens with a password, scoped to `project`: (token, token body,
    expiry as a timestamp)."""
    plugin = v3.Password(auth_url=auth_url, username=username, password=password,
                         user_domain_name=domain, project_name=project,
                         project_domain_name=domain)
    sess = ks_session.Session(auth=plugin, session=_http, user_agent=USER_AGENT,
                              timeout=TIMEOUT)
    try:
        ref = plugin.get_access(sess)
    except ks_exceptions.Unauthorized:
        raise ApiError(401, "Invalid credentials.") from None
    except ks_exceptions.HttpError as exc:
        raise ApiError(exc.http_status, exc.message) from None
    except ks_exceptions.ConnectFailure:
        raise ApiError(503, "Keystone does not answer.") from None
    return ref.auth_token, ref._data, ref.expires.timestamp()


class Api:
    """One user's view of the cloud for one page view."""

    def __init__(self, token: str, body: dict, region: str):
        self.token = token
        self.ref = access.create(body=body, auth_token=token)
        self.region = region
        self.session = ks_session.Session(auth=AccessInfoPlugin(self.ref), session=_http,
                                          user_agent=USER_AGENT, timeout=TIMEOUT)

    @property
    def project_id(self) -> str:
        return self.ref.project_id

    def endpoint(self, service_type: str) -> str:
        url = self.ref.service_catalog.url_for(service_type=service_type, interface="public",
                                               region_name=self.region)
        return url.rstrip("/")

    def request(self, method: str, service_type: str, path: str = "", *, json=None,
                params=None, data=None, headers=None, stream=False) -> requests.Response:
        url = self.endpoint(service_type) + path
        version = MICROVERSIONS.get(service_type)
        try:
            response = self.session.request(
                url, method, json=json, params=params, data=data, headers=headers or {},
                raise_exc=False, stream=stream, microversion=version,
                microversion_service_type=service_type if version else None,
                connect_retries=0)
        except ks_exceptions.ConnectFailure:
            raise ApiError(503, f"{service_type} does not answer ({url}).") from None
        if response.status_code == 401:
            raise NotAuthenticated(401, "Your session has expired: log in again.")
        if response.status_code >= 400:
            raise ApiError(response.status_code, message_of(response))
        return response

    def get(self, service_type: str, path: str = "", **kw) -> dict:
        return self.request("GET", service_type, path, **kw).json()

    def post(self, service_type: str, path: str, body=None, **kw) -> dict:
        response = self.request("POST", service_type, path, json=body, **kw)
        return response.json() if response.content else {}

    def put(self, service_type: str, path: str, body=None, **kw) -> dict:
        response = self.request("PUT", service_type, path, json=body, **kw)
        try:
            return response.json() if response.content else {}
        except ValueError:
            return {}

    def delete(self, service_type: str, path: str, **kw) -> None:
        self.request("DELETE", service_type, path, **kw)

    def revoke(self) -> None:
        """DELETE /v3/auth/tokens: the token is dead for every service."""
        self.request("DELETE", "identity", "/auth/tokens",
                     headers={"X-Subject-Token": self.token})
