"""`/v1/AUTH_<project>/<container>/<object>`: objects (`openstack object create|save|show`,
`swift upload|download|stat`). The bytes go through proxy.py to the storage nodes; the
container's listing (store.py) is updated once a quorum of them has the object."""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.object import constraints, views
from minicloud.object.accounts import check_account
from minicloud.object.proxy import Incomplete, ObjectController, TooLarge, Unavailable, spool
from minicloud.object.proxy import stream_body
from minicloud.object.store import ObjectStore

# What an object server's answer passes on to the client.
PASSED_HEADERS = ("content-type", "etag", "x-timestamp")


def object_name(req) -> str:
    """The object's name exactly as sent (Falcon strips a trailing slash from req.path, but
    `dir/` is a legitimate pseudo-directory object)."""
    raw = req.env.get("PATH_INFO", "")
    try:
        raw = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise errors.BadRequest("Invalid UTF8 or contains NULL") from None
    parts = raw.split("/", 4)
    return parts[4] if len(parts) == 5 else ""


class Object:
    def __init__(self, store: ObjectStore, controller: ObjectController, tmp_dir):
        self.store = store
        self.controller = controller
        self.tmp_dir = tmp_dir

    def _path(self, req, account: str, container: str) -> tuple[str, str, str]:
        check_account(req, account)
        constraints.check_container_name(container)
        name = object_name(req)
        constraints.check_object_name(name)
        return account, container, name

    def on_put(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        meta = constraints.metadata(req.headers, "object")
        if not self.store.container_exists(account, container):
            raise errors.NotFound("Not Found")
        chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
        if req.content_length is None and not chunked:
            raise constraints.LengthRequired("Missing Content-Length")
        if (req.content_length or 0) > constraints.MAX_FILE_SIZE:
            raise errors.PayloadTooLarge("Your request is too large.")
        try:
            body = spool(req.bounded_stream, req.content_length, constraints.MAX_FILE_SIZE,
                         self.tmp_dir)
        except TooLarge:
            raise errors.PayloadTooLarge("Your request is too large.") from None
        except Incomplete as exc:
            raise errors.BadRequest(f"Request body incomplete: {exc}") from None
        try:
            self._store(req, resp, path, body, meta)
        finally:
            body.discard()

    def _store(self, req, resp, path, body, meta: dict) -> None:
        wanted = (req.get_header("ETag") or "").strip('"').lower()
        if wanted and wanted != body.etag:
            raise constraints.Unprocessable("Unprocessable Entity")
        content_type = req.content_type or "application/octet-stream"
        headers = {**{k: v for k, v in meta.items() if v != ""}, "Content-Type": content_type}
        status, ts = self.controller.put(path, body, headers)
        if status != 201:
            raise constraints.ServiceUnavailable("Service Unavailable")
        self.store.put_object(*path, ts, body.size, body.etag, content_type)
        resp.status = falcon.HTTP_201
        resp.set_header("ETag", body.etag)
        resp.set_header("Last-Modified", views.http_date(ts))
        resp.set_header("X-Timestamp", ts)
        resp.content_type = "text/html; charset=UTF-8"

    def on_get(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        try:
            answer = self.controller.get(path, req.method)
        except Unavailable:
            raise constraints.ServiceUnavailable("Service Unavailable") from None
        if answer is None:
            raise errors.NotFound("Not Found")
        for key, value in answer.headers.items():
            if key.lower() in PASSED_HEADERS or key.lower().startswith("x-object-meta-"):
                resp.set_header(key, value)
        ts = answer.headers.get("X-Timestamp", views.now_timestamp())
        resp.set_header("Last-Modified", views.http_date(ts))
        resp.set_header("Accept-Ranges", "bytes")
        resp.content_length = int(answer.headers.get("Content-Length", 0))
        resp.status = falcon.HTTP_200
        if answer.body is not None:
            resp.stream = stream_body(answer.body)

    def on_head(self, req, resp, account, container, obj):
        self.on_get(req, resp, account, container, obj)

    def on_post(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        meta = constraints.metadata(req.headers, "object")
        headers = {k: v for k, v in meta.items() if v != ""}
        if req.content_type:
            headers["Content-Type"] = req.content_type
        status = self.controller.post(path, headers)
        if status == 404:
            raise errors.NotFound("Not Found")
        if status != 202:
            raise constraints.ServiceUnavailable("Service Unavailable")
        if req.content_type:
            self.store.update_object_type(*path, req.content_type)
        resp.status = falcon.HTTP_202
        resp.content_type = "text/html; charset=UTF-8"

    def on_delete(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        status = self.controller.delete(path)
        listed = self.store.delete_object(*path)
        if status == 503:
            raise constraints.ServiceUnavailable("Service Unavailable")
        if status == 404 and not listed:
            raise errors.NotFound("Not Found")
        resp.status = falcon.HTTP_204
