"""Server-side copy, as Swift's copy middleware does it: `COPY` with `Destination` (and
`Destination-Account`), and `PUT` with `X-Copy-From` (and `X-Copy-From-Account`).

`swift copy`, swiftclient's `copy_object` and `openstack object ...` never move the bytes
through the client: the proxy reads the source from its object servers and writes it to
the destination's, as one PUT. The caller needs read access to the source's account and
write access to the destination's, each checked with their own identity (core.py's
`check_account`): a user of project B cannot copy project A's objects, in or out.

Metadata: the source's X-Object-Meta-*, its allowed headers (Content-Disposition,
Content-Encoding, X-Delete-At, ...) and Content-Type go with the copy, and the request's
own headers merge over them; `X-Fresh-Metadata: true` starts from none of them (the
Content-Type still comes from the source unless the request names one).
"""

from __future__ import annotations

import urllib.parse

from minicloud.common import errors
from minicloud.object import constraints
from minicloud.object.core import check_account

# A source's headers a copy does not take: its data's own, or set anew by the write.
NOT_COPIED = ("etag", "content-length", "content-type", "x-timestamp", "x-meta-timestamp",
              "x-object-name", "x-backend-timestamp", "last-modified", "accept-ranges")


def _split(value: str, header: str) -> tuple[str, str]:
    """`<container>/<object>` (URL-quoted, a leading slash optional) or 412 as Swift."""
    path = urllib.parse.unquote(value)
    path = path[1:] if path.startswith("/") else path
    container, _, obj = path.partition("/")
    if not container or not obj:
        raise constraints.PreconditionFailed(
            f"{header} header must be of the form <container name>/<object name>")
    return container, obj


def account_header(value: str) -> str:
    """An account named in `Destination-Account` / `X-Copy-From-Account`: 412 if empty or
    with a slash (Swift's check_account_format)."""
    account = urllib.parse.unquote(value)
    if not account:
        raise constraints.PreconditionFailed("Account name cannot be empty")
    if "/" in account:
        raise constraints.PreconditionFailed("Account name cannot contain slashes")
    return account


def source_path(req, account: str) -> tuple[str, str, str]:
    """The (account, container, object) a `PUT` with `X-Copy-From` reads, checked: 412
    malformed, 403 when the caller may not read that account."""
    src_account = req.get_header("X-Copy-From-Account")
    src_account = account if src_account is None else account_header(src_account)
    container, obj = _split(req.get_header("X-Copy-From"), "X-Copy-From")
    check_account(req, src_account)
    constraints.check_container_name(container)
    constraints.check_object_name(obj)
    return src_account, container, obj


def destination(req, account: str) -> tuple[str, str, str]:
    """The (account, container, object) a `COPY` writes, checked: 412 when `Destination`
    is missing or malformed, 403 when the caller may not write that account."""
    value = req.get_header("Destination")
    if not value:
        raise constraints.PreconditionFailed("Destination header required")
    dst_account = req.get_header("Destination-Account")
    dst_account = account if dst_account is None else account_header(dst_account)
    container, obj = _split(value, "Destination")
    check_account(req, dst_account)
    constraints.check_container_name(container)
    constraints.check_object_name(obj)
    return dst_account, container, obj


def fresh(req) -> bool:
    return (req.get_header("X-Fresh-Metadata") or "").strip().lower() in (
        "true", "1", "yes", "on", "t", "y")


def sink_headers(source, requested: dict, content_type: str | None,
                 fresh_metadata: bool) -> dict:
    """What the copy is written with: the source's kept headers (`source`: the object
    server's answer, a case-insensitive mapping) unless fresh metadata is asked for, the
    request's over them, and a Content-Type."""
    headers = {}
    if not fresh_metadata:
        headers = {_title(k): v for k, v in source.items()
                   if k.lower() not in NOT_COPIED and _kept(k)}
    headers.update(requested)
    headers["Content-Type"] = content_type or source.get("Content-Type",
                                                         "application/octet-stream")
    return headers


def _kept(header: str) -> bool:
    low = header.lower()
    return low.startswith("x-object-meta-") or low in constraints.OBJECT_HEADERS


def response_headers(src: tuple[str, str, str], last_modified: str, sink: dict) -> dict:
    """Swift's answer to a copy: where it came from, and the user metadata it has now."""
    out = {"X-Copied-From-Account": urllib.parse.quote(src[0]),
           "X-Copied-From": urllib.parse.quote(f"{src[1]}/{src[2]}"),
           "X-Copied-From-Last-Modified": last_modified}
    out.update({k: v for k, v in sink.items()
                if k.lower().startswith("x-object-meta-") or k.lower() == "x-delete-at"})
    return out


def check_empty_body(req) -> None:
    if req.content_length:
        raise errors.BadRequest("Copy requests require a zero byte body")


def _title(header: str) -> str:
    return "-".join(p.capitalize() for p in header.split("-"))
