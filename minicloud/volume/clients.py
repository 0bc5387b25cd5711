"""Glance over REST, as cinder-api (checking an image) and cinder-volume (copying an image
into a volume) use it. The URL comes from the catalog of the `cinder` user's token; calls
carry the caller's token (so a user only gets the images they may see) and the trace
headers, so Glance's spans join the request's trace."""

from __future__ import annotations

from typing import Iterator

import requests

from minicloud.common import trace
from minicloud.common.keystone import ServiceAuth


class GlanceError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


class ImageClient:
    def __init__(self, auth: ServiceAuth, timeout: float = 30):
        self.auth, self.timeout = auth, timeout
        self.http = requests.Session()

    def _url(self, path: str) -> str:
        return self.auth.endpoint("image", "public").rstrip("/") + "/v2" + path

    def _headers(self, token: str | None) -> dict:
        return {"X-Auth-Token": token or self.auth.token(), **trace.outgoing_headers()}

    def get(self, image_id: str, token: str | None = None) -> dict:
        response = self.http.get(self._url(f"/images/{image_id}"),
                                 headers=self._headers(token), timeout=self.timeout)
        if response.status_code >= 400:
            raise GlanceError(response.status_code, response.text[:200])
        return response.json()

    def download(self, image_id: str, token: str | None = None) -> Iterator[bytes]:
        """The image's bytes, streamed in 1 MiB chunks (never held whole in memory)."""
        response = self.http.get(self._url(f"/images/{image_id}/file"),
                                 headers=self._headers(token), timeout=self.timeout,
                                 stream=True)
        if response.status_code >= 400:
            raise GlanceError(response.status_code, response.text[:200])
        with response:
            yield from response.iter_content(1024 * 1024)
