"""One REST client for every call one service makes to another (nova-api to Glance,
nova-compute to Neutron and Cinder, neutron-server to Nova, cinder-volume to Glance, the
bootstraps to Keystone, the `minicloud` CLI to the running cloud).

A call carries the caller's token when the callee must judge what that user may see
(nova-api checking an image), else the service's own (`ServiceAuth`, renewed once on a
401); the trace headers, so the callee's span joins the request's trace; and
`X-OpenStack-Request-ID`, the request id of the request being served (oslo's
global_request_id), so one id finds the request in every service's log. Any answer of
400 or more raises `ServiceError` with the status and the callee's own message.

keystoneauth's Session would do the same job (Nova uses it); this client is kept instead
because it is one short file a learner can read, it takes the caller's token per call
(keystoneauth wants an auth plugin per user), and it adds nothing per request: measured
in the note of issue 11.
"""

from __future__ import annotations

import requests

from minicloud.common import trace
from minicloud.common.keystone import ServiceAuth

REQUEST_ID_HEADER = "X-OpenStack-Request-ID"


class ServiceError(Exception):
    """Another service answered with an error: its HTTP status and its message."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def error_message(response: requests.Response) -> str:
    """The message of an OpenStack error body ({"itemNotFound": {"message": ...}},
    {"NeutronError": {"message": ...}}, {"message": ...}), else the start of the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
        if body.get("message"):
            return str(body["message"])
    return response.text[:200]


def outgoing_headers(background: bool = False) -> dict:
    """The trace headers and the request id of the request being served."""
    headers = trace.outgoing_headers(background)
    span = trace.current()
    if span is not None and span.request_id:
        headers[REQUEST_ID_HEADER] = span.request_id
    return headers


class RestClient:
    """Calls to one service, found in the catalog of `auth`'s token by `service_type`.

    `prefix` is added to the catalog URL unless it already ends with it (`/v2` of Glance,
    `/v2.0` of Neutron); `base_url` instead fixes the URL (a CLI talking to a known port).
    """

    service_type = ""
    prefix = ""

    def __init__(self, auth: ServiceAuth, timeout: float = 30, base_url: str | None = None,
                 headers: dict | None = None):
        self.auth = auth
        self.timeout = timeout
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers.update({"Accept": "application/json", **(headers or {})})

    def endpoint(self) -> str:
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        # between services, the internal endpoint (Nova's [neutron] valid_interfaces)
        base = self.auth.endpoint(self.service_type, "internal").rstrip("/")
        if self.prefix and not base.endswith(self.prefix):
            base += self.prefix
        return base

    def url(self, path: str) -> str:
        return self.endpoint() + path

    def send(self, method: str, path: str, token: str | None = None, *,
             background: bool = False, **kw) -> requests.Response:
        """The response (status below 400), with the caller's token or the service's."""
        headers = {"X-Auth-Token": token or self.auth.token(),
                   **outgoing_headers(background), **kw.pop("headers", {})}
        kw.setdefault("timeout", self.timeout)
        response = self.http.request(method, self.url(path), headers=headers, **kw)
        if response.status_code == 401 and token is None:  # our token expired: once more
            response.close()
            headers["X-Auth-Token"] = self.auth.token(renew=True)
            response = self.http.request(method, self.url(path), headers=headers, **kw)
        if response.status_code >= 400:
            raise ServiceError(response.status_code, error_message(response))
        return response

    def request(self, method: str, path: str, token: str | None = None, **kw):
        """The decoded JSON body (None when empty)."""
        response = self.send(method, path, token, **kw)
        return response.json() if response.content else None

    def delete_if_there(self, path: str, token: str | None = None) -> None:
        """DELETE that treats "already gone" (404) as done."""
        try:
            self.send("DELETE", path, token)
        except ServiceError as exc:
            if exc.status != 404:
                raise
