"""The other services as a service sees them: Glance, Neutron, Cinder and Nova through
the one REST client (common/restclient.py).

nova-api and nova-compute use Glance, Neutron and Cinder; cinder-api and cinder-volume use
Glance; neutron-server tells Nova about changed ports. Each method is one call of the
callee's public API, named after what it does there.
"""

from __future__ import annotations

from typing import Iterator

from minicloud.common.keystone import ServiceAuth
from minicloud.common.restclient import RestClient, ServiceError

__all__ = ["ComputeClient", "ImageClient", "NetworkClient", "ServiceError", "VolumeClient"]


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
        self.delete_if_there(f"/images/{image_id}", token)

    def download(self, image_id: str, token: str | None = None) -> Iterator[bytes]:
        """The image's bytes, streamed in 1 MiB chunks (never held whole in memory)."""
        response = self.send("GET", f"/images/{image_id}/file", token, stream=True)
        with response:
            yield from response.iter_content(1024 * 1024)

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
        self.delete_if_there(f"/ports/{port_id}")

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
        super().__init__(auth, timeout, headers={"OpenStack-API-Version": "volume 3.44"})

    def endpoint(self) -> str:
        """`/v3` without the project id of the catalog URL (Cinder serves both forms), so
        the same URL works with the nova token and with the caller's."""
        base = super().endpoint()
        head, found, _ = base.rpartition("/v3")
        return head + "/v3" if found else base

    def get(self, volume_id: str, token: str | None = None) -> dict:
        return self.request("GET", f"/volumes/{volume_id}", token)["volume"]

    def attachment_create(self, volume_id: str, instance_id: str) -> dict:
        return self.request("POST", "/attachments", json={"attachment": {
            "volume_id": volume_id, "instance_uuid": instance_id}})["attachment"]

    def attachment_update(self, attachment_id: str, connector: dict) -> dict:
        return self.request("PUT", f"/attachments/{attachment_id}",
                          json={"attachment": {"connector": connector}})["attachment"]

    def attachment_complete(self, attachment_id: str) -> None:
        self.request("POST", f"/attachments/{attachment_id}/action", json={"os-complete": None})

    def attachment_delete(self, attachment_id: str) -> None:
        self.delete_if_there(f"/attachments/{attachment_id}")

    def snapshot_create(self, volume_id: str, name: str, token: str | None = None) -> dict:
        """A snapshot of a volume, even in use (createImage of a volume-backed server)."""
        return self.request("POST", "/snapshots", token, json={"snapshot": {
            "volume_id": volume_id, "name": name, "force": True}})["snapshot"]

    def create(self, token: str | None = None, **fields) -> dict:
        """A volume (boot from volume: `size` + `imageRef` or `snapshot_id`), owned by the
        token's project."""
        return self.request("POST", "/volumes", token, json={"volume": fields})["volume"]

    def delete(self, volume_id: str) -> None:
        self.request("DELETE", f"/volumes/{volume_id}")

    def begin_detaching(self, volume_id: str) -> None:
        self.request("POST", f"/volumes/{volume_id}/action", json={"os-begin_detaching": None})

    def roll_detaching(self, volume_id: str) -> None:
        self.request("POST", f"/volumes/{volume_id}/action", json={"os-roll_detaching": None})


class ComputeClient(RestClient):
    """Nova as neutron-server tells it about ports (os-server-external-events)."""

    service_type = "compute"

    def external_events(self, events: list[dict]) -> dict:
        return self.request("POST", "/os-server-external-events", json={"events": events})


class IdentityClient(RestClient):
    """Keystone as the other services' bootstraps ask it for ids (never its tables)."""

    service_type = "identity"

    def __init__(self, auth: ServiceAuth, timeout: float = 30):
        super().__init__(auth, timeout, base_url=auth.auth_url)

    def projects(self, **params) -> list[dict]:
        return self.request("GET", "/projects", params=params)["projects"]
