"""`/v1/AUTH_<project>/<container>/<object>`: objects (`openstack object create|save|show`,
`swift upload|download|stat|copy|post`). The bytes go through proxy.py to the storage
nodes; the container's listing (store.py) is updated once a quorum of them has the object.

A GET or HEAD passes the request's conditions and Range on to the object server
(conditions.py) and its 200/206/304/412/416 back. A PUT keeps the object's X-Object-Meta-*
and allowed headers (Content-Disposition, Content-Encoding, X-Delete-At, ...); a POST
replaces them whole (Swift's fast-POST). `COPY` and `PUT` with `X-Copy-From` copy on the
server (copies.py).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.object import conditions, constraints, copies, expirer, views
from minicloud.object.core import Swift, check_account
from minicloud.object.proxy import (Incoming, Incomplete, TooLarge, Unavailable, spool,
                                    stream_body)

# What an object server's answer passes on to the client (and X-Object-Meta-*).
PASSED_HEADERS = frozenset({"content-type", "etag", "x-timestamp", "content-range",
                            *constraints.OBJECT_HEADERS})
HTML = "text/html; charset=UTF-8"
KEPT_AS_IS = constraints.OBJECT_HEADERS - {"x-delete-at"}  # X-Delete-At is checked first


def object_name(req) -> str:
    """The object's name exactly as sent (Falcon strips a trailing slash from req.path, but
    `dir/` is a legitimate pseudo-directory object)."""
    raw = req.env.get("PATH_INFO", "")
    try:
        raw = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise constraints.PreconditionFailed("Invalid UTF8 or contains NULL") from None
    parts = raw.split("/", 4)
    return parts[4] if len(parts) == 5 else ""


def _title(header: str) -> str:
    return "-".join(p.capitalize() for p in header.split("-"))


def kept_headers(req) -> tuple[dict, int | None]:
    """The headers a PUT or POST keeps with the object (X-Object-Meta-*, the allowed
    headers, X-Delete-At from X-Delete-At or X-Delete-After), checked; and the expiry.
    One pass over the request's headers: this is on every PUT's path."""
    headers = req.headers
    kept = {k: v for k, v in constraints.metadata(headers, "object").items() if v != ""}
    kept.update({_title(k.lower()): v for k, v in headers.items() if k.lower() in KEPT_AS_IS})
    delete_at = None
    if "X-DELETE-AT" in headers or "X-DELETE-AFTER" in headers:
        delete_at = expirer.delete_at(req)
        kept["X-Delete-At"] = str(delete_at)
    return kept, delete_at


def _passed(answer_headers) -> dict:
    return {k: v for k, v in answer_headers.items()
            if k.lower() in PASSED_HEADERS or k.lower().startswith("x-object-meta-")}


class Object:
    def __init__(self, swift: Swift):
        # unpacked once: every PUT and GET uses them
        self.store, self.controller, self.tmp_dir = swift.store, swift.controller, swift.tmp_dir

    def _path(self, req, account: str, container: str) -> tuple[str, str, str]:
        check_account(req, account)
        constraints.check_container_name(container)
        name = object_name(req)
        constraints.check_object_name(name)
        return account, container, name

    def _read(self, path, method: str = "GET", headers: dict | None = None):
        try:
            return self.controller.get(path, method, headers)
        except Unavailable:
            raise constraints.ServiceUnavailable("Service Unavailable") from None

    # -- PUT -------------------------------------------------------------------------------

    def on_put(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        constraints.check_content_type(req.content_type)
        kept, delete_at = kept_headers(req)
        constraints.refuse_large_objects(req)
        if not self.store.container_exists(account, container):
            raise errors.NotFound("Not Found")
        if req.get_header("X-Copy-From"):
            return self._copy(req, resp, copies.source_path(req, account), path, kept,
                              delete_at)
        self._if_none_match(req, path)
        wanted = (req.get_header("ETag") or "").strip('"').lower()
        body = self._receive(req, wanted)
        try:
            if wanted and wanted != body.etag:
                raise constraints.Unprocessable("Unprocessable Entity")
            content_type = req.content_type or "application/octet-stream"
            self._write(resp, path, body, {**kept, "Content-Type": content_type}, delete_at)
        finally:
            body.discard()

    def _receive(self, req, wanted: str):
        """The request body: with a Content-Length, read while it is sent to the replicas
        (`wanted`, the client's ETag, is checked by them and by the proxy); chunked, spooled
        whole first with its MD5 (the replicas need its length)."""
        chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
        if req.content_length is None and not chunked:
            raise constraints.LengthRequired("Missing Content-Length")
        if (req.content_length or 0) > constraints.MAX_FILE_SIZE:
            raise errors.PayloadTooLarge("Your request is too large.")
        if not chunked:
            return Incoming(req.bounded_stream, req.content_length, wanted or None)
        try:
            return spool(req.bounded_stream, req.content_length, constraints.MAX_FILE_SIZE,
                         self.tmp_dir)
        except TooLarge:
            raise errors.PayloadTooLarge("Your request is too large.") from None
        except Incomplete as exc:
            raise errors.BadRequest(f"Request body incomplete: {exc}") from None

    def _if_none_match(self, req, path) -> None:
        """`If-None-Match: *` on a PUT: 412 when the object exists (Swift allows only *)."""
        value = req.get_header("If-None-Match")
        if value is None:
            return
        if value.strip() != "*":
            raise errors.BadRequest("If-None-Match only supports *")
        if self._read(path, "HEAD") is not None:
            raise constraints.PreconditionFailed("Precondition Failed")

    def _check_quota(self, path, size: int) -> None:
        """Swift's container_quotas: 413 when the container's quota would be passed."""
        max_bytes, max_count = self.store.quotas(path[0], path[1])
        if max_bytes is None and max_count is None:
            return
        c = self.store.container(path[0], path[1])
        if c is None:
            return
        if (max_bytes is not None and c["bytes_used"] + size > max_bytes) or \
                (max_count is not None and c["object_count"] + 1 > max_count):
            raise errors.PayloadTooLarge("Upload exceeds quota.")

    def _write(self, resp, path, body, headers: dict, delete_at: int | None) -> None:
        """Store a body on the replicas, then list it: 201, or 503 without a quorum (a full
        disk on too many nodes, or too few nodes up); 413 over a quota; 422 when it does
        not match the client's ETag; 400 when it ends early."""
        self._check_quota(path, body.size)
        try:
            status, ts = self.controller.put(path, body, headers)
        except Incomplete as exc:
            raise errors.BadRequest(f"Request body incomplete: {exc}") from None
        if status == 422:
            raise constraints.Unprocessable("Unprocessable Entity")
        if status != 201:
            raise constraints.ServiceUnavailable("Service Unavailable")
        self.store.put_object(*path, ts, body.size, body.etag, headers["Content-Type"],
                              delete_at)
        resp.status = falcon.HTTP_201
        resp.set_header("ETag", body.etag)
        resp.set_header("Last-Modified", views.http_date(ts))
        resp.set_header("X-Timestamp", ts)
        resp.content_type = HTML

    # -- server-side copy ------------------------------------------------------------------

    def on_copy(self, req, resp, account, container, obj):
        """`COPY` with `Destination: <container>/<object>` (+ `Destination-Account`)."""
        src = self._path(req, account, container)
        dst = copies.destination(req, account)
        constraints.check_content_type(req.content_type)
        kept, delete_at = kept_headers(req)
        if not self.store.container_exists(dst[0], dst[1]):
            raise errors.NotFound("Not Found")
        self._copy(req, resp, src, dst, kept, delete_at)

    def _copy(self, req, resp, src, dst, kept: dict, delete_at: int | None) -> None:
        copies.check_empty_body(req)
        source = self._read(src)
        if source is None or source.status != 200:
            if source is not None and source.body is not None:
                source.body.close()
            raise errors.NotFound("Not Found")
        size = int(source.headers.get("Content-Length", 0))
        try:
            body = spool(source.body, size, constraints.MAX_FILE_SIZE, self.tmp_dir)
        except (TooLarge, Incomplete):
            raise constraints.ServiceUnavailable("Service Unavailable") from None
        finally:
            source.body.close()
        if body.etag != (source.headers.get("ETag") or body.etag):  # a damaged replica
            body.discard()
            raise constraints.ServiceUnavailable("Service Unavailable")
        fresh = copies.fresh(req)
        if not fresh:
            delete_at = delete_at or _int(source.headers.get("X-Delete-At"))
        headers = copies.sink_headers(source.headers, kept, req.content_type, fresh)
        try:
            self._write(resp, dst, body, headers, delete_at)
        finally:
            body.discard()
        last_modified = views.http_date(source.headers.get("X-Timestamp", "0"))
        for key, value in copies.response_headers(src, last_modified, headers).items():
            resp.set_header(key, value)

    # -- GET, HEAD -------------------------------------------------------------------------

    def on_get(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        asked = {h: v for h in conditions.REQUEST_HEADERS if (v := req.get_header(h)) is not None}
        answer = self._read(path, req.method, asked)
        if answer is None:
            if "*" in (req.get_header("If-Match") or ""):
                raise constraints.PreconditionFailed("Precondition Failed")
            raise errors.NotFound("Not Found")
        for key, value in _passed(answer.headers).items():
            resp.set_header(key, value)
        ts = answer.headers.get("X-Timestamp") or views.now_timestamp()
        resp.set_header("Last-Modified", views.http_date(ts))
        resp.set_header("Accept-Ranges", "bytes")
        resp.content_length = int(answer.headers.get("Content-Length", 0))
        resp.status = falcon.code_to_http_status(answer.status)
        if answer.body is not None:
            resp.stream = stream_body(answer.body)

    def on_head(self, req, resp, account, container, obj):
        self.on_get(req, resp, account, container, obj)

    # -- POST, DELETE ----------------------------------------------------------------------

    def on_post(self, req, resp, account, container, obj):
        """Swift's fast-POST: the metadata and allowed headers sent replace the old ones."""
        path = self._path(req, account, container)
        constraints.check_content_type(req.content_type)
        headers, delete_at = kept_headers(req)
        constraints.refuse_large_objects(req)
        if req.content_type:
            headers["Content-Type"] = req.content_type
        status = self.controller.post(path, headers)
        if status == 404:
            raise errors.NotFound("Not Found")
        if status != 202:
            raise constraints.ServiceUnavailable("Service Unavailable")
        self.store.update_object(*path, req.content_type, delete_at)
        resp.status = falcon.HTTP_202
        resp.content_type = HTML

    def on_delete(self, req, resp, account, container, obj):
        path = self._path(req, account, container)
        status = self.controller.delete(path)
        listed = self.store.delete_object(*path)
        if status == 503:
            raise constraints.ServiceUnavailable("Service Unavailable")
        if status == 404 and not listed:
            raise errors.NotFound("Not Found")
        resp.status = falcon.HTTP_204


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
