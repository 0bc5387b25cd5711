"""REST clients for Glance and Neutron, as nova-api and nova-compute use them.

URLs come from the service catalog of Nova's own token (`ServiceAuth.endpoint`); calls carry
the caller's token when nova-api checks what a user may see, else the `nova` service token
(as nova-compute creating ports), and the trace headers, so Glance's and Neutron's spans
join the request's trace.
"""

from __future__ import annotations

import requests

from minicloud.common import trace
from minicloud.common.keystone import ServiceAuth


class ServiceError(Exception):
    """Glance or Neutron answered with an error (status and message kept)."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and value.get("message"):
                return value["message"]
        if body.get("message"):
            return str(body["message"])
    return response.text[:200]


class RestClient:
    service_type = ""
    prefix = ""

    def __init__(self, auth: ServiceAuth, timeout: float = 30):
        self.auth = auth
        self.timeout = timeout
        self.http = requests.Session()

    def _url(self, path: str) -> str:
        base = self.auth.endpoint(self.service_type, "public").rstrip("/")
        if self.prefix and not base.endswith(self.prefix):
            base += self.prefix
        return base + path

    def request(self, method: str, path: str, token: str | None = None, **kw):
        headers = {"X-Auth-Token": token or self.auth.token(), "Accept": "application/json",
                   **trace.outgoing_headers(), **kw.pop("headers", {})}
        response = self.http.request(method, self._url(path), headers=headers,
                                     timeout=self.timeout, **kw)
        if response.status_code == 401 and token is None:  # our token expired: once more
            headers["X-Auth-Token"] = self.auth.token(renew=True)
            response = self.http.request(method, self._url(path), headers=headers,
                                         timeout=self.timeout, **kw)
        if response.status_code >= 400:
            raise ServiceError(response.status_code, _message(response))
        return response.json() if response.content else None


class ImageClient(RestClient):
    service_type = "image"
    prefix = "/v2"

    def get(self, image_id: str, token: str | None = None) -> dict:
        return self.request("GET", f"/images/{image_id}", token)

    # Snapshots (createImage, shelve): nova-api creates the record with the caller's token,
    # the compute host uploads the bytes and deletes a shelved image with the nova token.
    def create(self, token: str | None = None, **fields) -> dict:
        return self.request("POST", "/images", token, json=fields)

    def upload(self, image_id: str, data: bytes) -> None:
        self.request("PUT", f"/images/{image_id}/file", data=data,
                     headers={"Content-Type": "application/octet-stream"})

    def delete(self, image_id: str, token: str | None = None) -> None:
        try:
            self.request("DELETE", f"/images/{image_id}", token)
        except ServiceError as exc:
            if exc.status != 404:
                raise

    def url_of(self, image_id: str) -> str:
        """Nova's image URL (the Location of createImage before 2.45): Glance's root."""
        return f"{self.auth.endpoint(self.service_type, 'public').rstrip('/')}/images/{image_id}"


class NetworkClient(RestClient):
    service_type = "network"
    prefix = "/v2.0"

    def network(self, network_id: str, token: str | None = None) -> dict:
        return self.request("GET", f"/networks/{network_id}", token)["network"]

    def networks(self, token: str | None = None, **params) -> list[dict]:
        return self.request("GET", "/networks", token, params=params)["networks"]

    def port(self, port_id: str, token: str | None = None) -> dict:
        return self.request("GET", f"/ports/{port_id}", token)["port"]

    def ports(self, **params) -> list[dict]:
        return self.request("GET", "/ports", params=params)["ports"]

    def create_port(self, **fields) -> dict:
        return self.request("POST", "/ports", json={"port": fields})["port"]

    def update_port(self, port_id: str, **fields) -> dict:
        return self.request("PUT", f"/ports/{port_id}", json={"port": fields})["port"]

    def delete_port(self, port_id: str) -> None:
        try:
            self.request("DELETE", f"/ports/{port_id}")
        except ServiceError as exc:
            if exc.status != 404:
                raise

    def floating_ips(self, **params) -> list[dict]:
        return self.request("GET", "/floatingips", params=params)["floatingips"]

    def security_group(self, group_id: str, token: str | None = None) -> dict:
        return self.request("GET", f"/security-groups/{group_id}", token)["security_group"]

    def security_groups(self, **params) -> list[dict]:
        return self.request("GET", "/security-groups", params=params)["security_groups"]


class VolumeClient(RestClient):
    """Cinder's v3 attachments API (microversion 3.44), as nova-api and nova-compute use it:
    nova-api reserves (attachment create) and begins detaching; nova-compute gives the
    connector, completes and deletes the attachment."""

    service_type = "block-storage"

    def __init__(self, auth: ServiceAuth, timeout: float = 30):
        super().__init__(auth, timeout)
        self.http.headers["OpenStack-API-Version"] = "volume 3.44"

    def _url(self, path: str) -> str:
        """`/v3/...` without the project id of the catalog URL (Cinder serves both forms),
        so the same URL works with the nova token and with the caller's."""
        base = self.auth.endpoint(self.service_type, "public").rstrip("/")
        head, _, tail = base.rpartition("/v3")
        return (head + "/v3" if _ else base) + path

    def _call(self, method: str, path: str, token: str | None = None, **kw):
        return self.request(method, path, token, **kw)

    def get(self, volume_id: str, token: str | None = None) -> dict:
        return self._call("GET", f"/volumes/{volume_id}", token)["volume"]

    def attachment_create(self, volume_id: str, instance_id: str) -> dict:
        return self._call("POST", "/attachments", json={"attachment": {
            "volume_id": volume_id, "instance_uuid": instance_id}})["attachment"]

    def attachment_update(self, attachment_id: str, connector: dict) -> dict:
        return self._call("PUT", f"/attachments/{attachment_id}",
                          json={"attachment": {"connector": connector}})["attachment"]

    def attachment_complete(self, attachment_id: str) -> None:
        self._call("POST", f"/attachments/{attachment_id}/action", json={"os-complete": None})

    def attachment_delete(self, attachment_id: str) -> None:
        try:
            self._call("DELETE", f"/attachments/{attachment_id}")
        except ServiceError as exc:
            if exc.status != 404:
                raise

    def snapshot_create(self, volume_id: str, name: str, token: str | None = None) -> dict:
        """A snapshot of a volume, even in use (createImage of a volume-backed server)."""
        return self._call("POST", "/snapshots", token, json={"snapshot": {
            "volume_id": volume_id, "name": name, "force": True}})["snapshot"]

    def create(self, token: str | None = None, **fields) -> dict:
        """A volume (boot from volume: `size` + `imageRef` or `snapshot_id`), owned by the
        token's project."""
        return self._call("POST", "/volumes", token, json={"volume": fields})["volume"]

    def delete(self, volume_id: str) -> None:
        self._call("DELETE", f"/volumes/{volume_id}")

    def begin_detaching(self, volume_id: str) -> None:
        self._call("POST", f"/volumes/{volume_id}/action", json={"os-begin_detaching": None})

    def roll_detaching(self, volume_id: str) -> None:
        self._call("POST", f"/volumes/{volume_id}/action", json={"os-roll_detaching": None})
