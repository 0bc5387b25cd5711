"""Swift's constraints: name lengths, metadata limits, header sizes, listing parameters,
and the container and account headers that must parse (ACLs, quotas, versioning); all
-> 400/412 as Swift answers.

The values are Swift's defaults (swift.conf `[swift-constraints]`) and are what
`GET /info` publishes.
"""

from __future__ import annotations

import json

from minicloud.common import errors

MAX_FILE_SIZE = 5 * 1024**3 + 2
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
MAX_CONTAINER_NAME_LENGTH = 256
MAX_ACCOUNT_NAME_LENGTH = 256
CONTAINER_LISTING_LIMIT = 10000
ACCOUNT_LISTING_LIMIT = 10000
# eventlet's cap on header lines in front of Swift's proxy: metadata + 32 + extras
MAX_HEADER_COUNT = MAX_META_COUNT + 32

# Headers an object keeps besides X-Object-Meta-* (Swift's object server
# `allowed_headers`); a POST replaces them with the ones it sends.
OBJECT_HEADERS = frozenset({"content-disposition", "content-encoding", "x-delete-at",
                            "cache-control", "content-language", "expires", "x-robots-tag"})
ACCOUNT_ACL_KEYS = ("admin", "read-write", "read-only")


class PreconditionFailed(errors.ApiError):
    status, title = "412 Precondition Failed", "Precondition Failed"


class Unprocessable(errors.ApiError):
    status, title = "422 Unprocessable Entity", "Unprocessable Entity"


class LengthRequired(errors.ApiError):
    status, title = "411 Length Required", "Length Required"


class ServiceUnavailable(errors.ApiError):
    status, title = "503 Service Unavailable", "Service Unavailable"


def check_headers(req) -> None:
    """Swift's proxy sits behind eventlet's HTTP server, which refuses (400) a header line
    longer than MAX_HEADER_SIZE or more header lines than it expects."""
    if len(req.headers) > MAX_HEADER_COUNT:
        raise errors.BadRequest("Too many headers")
    for name, value in req.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_SIZE:
            raise errors.BadRequest("Line is too long")


def check_path(raw_path: str) -> None:
    """The whole path (PATH_INFO as sent) must be UTF-8 without NUL: else 412, as Swift."""
    try:
        decoded = raw_path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise PreconditionFailed("Invalid UTF8 or contains NULL") from None
    if "\x00" in decoded:
        raise PreconditionFailed("Invalid UTF8 or contains NULL")


def check_content_type(value: str | None) -> None:
    """An object's Content-Type must be UTF-8 (it arrives as latin-1 bytes)."""
    if value is None:
        return
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise errors.BadRequest("Invalid Content-Type") from None


def info() -> dict:
    """The `swift` section of `GET /info`."""
    return {"version": "2.34.0", "strict_cors_mode": True, "max_file_size": MAX_FILE_SIZE,
            "max_meta_name_length": MAX_META_NAME_LENGTH,
            "max_meta_value_length": MAX_META_VALUE_LENGTH, "max_meta_count": MAX_META_COUNT,
            "max_meta_overall_size": MAX_META_OVERALL_SIZE, "max_header_size": MAX_HEADER_SIZE,
            "max_object_name_length": MAX_OBJECT_NAME_LENGTH,
            "max_container_name_length": MAX_CONTAINER_NAME_LENGTH,
            "max_account_name_length": MAX_ACCOUNT_NAME_LENGTH,
            "container_listing_limit": CONTAINER_LISTING_LIMIT,
            "account_listing_limit": ACCOUNT_LISTING_LIMIT, "extra_header_count": 0,
            "valid_api_versions": ["v1", "v1.0"], "allow_account_management": False,
            "account_autocreate": True,
            "policies": [{"name": "Policy-0", "aliases": "Policy-0", "default": True}]}


def _has_dot_segment(name: str) -> bool:
    return any(seg in (".", "..") for seg in name.split("/"))


def check_container_name(name: str) -> None:
    if not name:
        raise errors.BadRequest("Container name is empty")
    if len(name.encode()) > MAX_CONTAINER_NAME_LENGTH:
        raise errors.BadRequest(f"Container name length of {len(name.encode())} longer than "
                                f"{MAX_CONTAINER_NAME_LENGTH}")
    if "/" in name or name in (".", ".."):
        raise errors.BadRequest("Invalid container name")
    if "\x00" in name:
        raise errors.BadRequest("Invalid UTF8 or contains NULL")


def check_object_name(name: str) -> None:
    if not name:
        raise errors.BadRequest("Object name is empty")
    if len(name.encode()) > MAX_OBJECT_NAME_LENGTH:
        raise errors.BadRequest(f"Object name length of {len(name.encode())} longer than "
                                f"{MAX_OBJECT_NAME_LENGTH}")
    if _has_dot_segment(name):
        raise errors.BadRequest("Object name contains a '.' or '..' path segment")
    if "\x00" in name:
        raise errors.BadRequest("Invalid UTF8 or contains NULL")


def metadata(headers: dict, kind: str) -> dict:
    """The `X-<Kind>-Meta-*` headers of a request, checked against Swift's limits.

    Returns {"X-Container-Meta-Color": "blue", ...} (title-cased names); a `X-Remove-
    <Kind>-Meta-Name` header, or an empty value, removes that item (value "")."""
    prefix, remove = f"x-{kind}-meta-", f"x-remove-{kind}-meta-"
    found, size = {}, 0
    for key, value in headers.items():
        low = key.lower()
        if low.startswith(remove):
            name, value = low[len(remove):], ""
        elif low.startswith(prefix):
            name = low[len(prefix):]
        else:
            continue
        if not name:
            raise errors.BadRequest("Metadata name cannot be empty")
        if len(name) > MAX_META_NAME_LENGTH:
            raise errors.BadRequest(f"Metadata name too long: {name[:32]}...")
        if len(value) > MAX_META_VALUE_LENGTH:
            raise errors.BadRequest(f"Metadata value longer than {MAX_META_VALUE_LENGTH}: "
                                    f"{name}")
        size += len(name) + len(value)
        found[f"X-{kind.capitalize()}-Meta-" + "-".join(p.capitalize()
                                                         for p in name.split("-"))] = value
    if len(found) > MAX_META_COUNT:
        raise errors.BadRequest(f"Too many metadata items; max {MAX_META_COUNT}")
    if size > MAX_META_OVERALL_SIZE:
        raise errors.BadRequest(f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")
    return found


def listing_params(req, max_limit: int) -> dict:
    params = {}
    for key in ("marker", "end_marker", "prefix", "delimiter"):
        params[key] = req.get_param(key) or ""
    if len(params["delimiter"]) > 1:
        raise PreconditionFailed("Bad delimiter")
    limit = req.get_param("limit")
    if limit in (None, ""):
        params["limit"] = max_limit
    else:
        try:
            params["limit"] = int(limit)
        except ValueError:
            raise PreconditionFailed("Value of limit must be a positive integer") from None
        if params["limit"] < 0:
            raise PreconditionFailed("Value of limit must be a positive integer")
        if params["limit"] > max_limit:
            raise PreconditionFailed(f"Maximum limit is {max_limit}")
    return params


def clean_container_acl(name: str, value: str) -> str:
    """A container ACL (`X-Container-Read`/`-Write`) cleaned as Swift does, or 400 with
    Swift's reason: referrers (`.r:`) need a host, and are not allowed in a write ACL;
    other `.` designators (but `.rlistings`) are unknown."""
    items = []
    for raw in value.split(","):
        raw = raw.strip()
        if not raw:
            continue
        if ":" not in raw:
            items.append(raw)
            continue
        first, second = (v.strip() for v in raw.split(":", 1))
        if not first or not first.startswith("."):
            items.append(raw)
        elif first in (".r", ".ref", ".referer", ".referrer"):
            if "write" in name.lower():
                raise errors.BadRequest(f"Referrers not allowed in write ACL: {raw!r}")
            negate = second.startswith("-")
            second = second[1:].strip() if negate else second
            if second and second != "*" and second.startswith("*"):
                second = second[1:].strip()
            if not second or second == ".":
                raise errors.BadRequest("No host/domain value after referrer designation in "
                                        f"ACL: {raw!r}")
            items.append(f".r:{'-' if negate else ''}{second}")
        else:
            raise errors.BadRequest(f"Unknown designator {first!r} in ACL: {raw!r}")
    return ",".join(items)


def check_account_acl(value: str) -> str:
    """`X-Account-Access-Control`: a JSON object of admin/read-write/read-only lists of
    strings (Swift's v2 account ACL); else 400 with Swift's words."""
    try:
        acl = json.loads(value) if value else {}
    except ValueError:
        acl = None
    error = None
    if not isinstance(acl, dict):
        error = f"Syntax error in input ({value!r})"
    else:
        for key, grantees in acl.items():
            if key not in ACCOUNT_ACL_KEYS:
                error = f"Key {json.dumps(key)} not recognized"
            elif not isinstance(grantees, list):
                error = f"Value for key {json.dumps(key)} must be a list"
            elif not all(isinstance(g, str) for g in grantees):
                error = f"Elements of {json.dumps(key)} list must be strings"
            if error:
                break
    if error:
        raise errors.BadRequest(f"X-Account-Access-Control invalid: {error}\n\nInput: {value}\n")
    return value


def check_quotas(meta: dict) -> None:
    """Container quotas (`X-Container-Meta-Quota-Bytes`/`-Count`) must be whole numbers."""
    for key, what in (("X-Container-Meta-Quota-Bytes", "bytes"),
                      ("X-Container-Meta-Quota-Count", "count")):
        value = meta.get(key)
        if value and not value.isdigit():
            raise errors.BadRequest(f"Invalid {what} quota.")


def check_versions_location(get) -> None:
    """`X-Versions-Location` / `X-History-Location` name one container: not both, no
    slash (400/412 as Swift's versioned_writes answers); `get` reads a request header."""
    versions, history = get("X-Versions-Location"), get("X-History-Location")
    if versions and history:
        raise errors.BadRequest("Only one of X-Versions-Location or X-History-Location may be "
                                "specified")
    for value in (versions, history):
        if value and "/" in value:
            raise PreconditionFailed("Container name cannot contain slashes")


def refuse_large_objects(req) -> None:
    """No slo or dlo middleware runs here: a static large object manifest
    (`?multipart-manifest=put`) or a dynamic one (`X-Object-Manifest`) is refused (400)
    rather than stored as a plain object, which a client would read back as the wrong
    bytes. A malformed X-Object-Manifest gets Swift's own words."""
    if req.get_param("multipart-manifest") == "put":
        raise errors.BadRequest("Static large objects (multipart-manifest=put) are not "
                                "supported by this cluster (no slo middleware).")
    manifest = req.get_header("X-Object-Manifest")
    if manifest is None:
        return
    container, _, prefix = manifest.partition("/")
    if not container or not prefix or "?" in manifest or "&" in manifest or \
            prefix.startswith("/"):
        raise errors.BadRequest("X-Object-Manifest must be in the format container/prefix")
    raise errors.BadRequest("Dynamic large objects (X-Object-Manifest) are not supported by "
                            "this cluster (no dlo middleware).")
