"""Swift's constraints: name lengths, metadata limits, listing parameters (all -> 400/412).

The values are Swift's defaults (swift.conf `[swift-constraints]`) and are what
`GET /info` publishes.
"""

from __future__ import annotations

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


class PreconditionFailed(errors.ApiError):
    status, title = "412 Precondition Failed", "Precondition Failed"


class Unprocessable(errors.ApiError):
    status, title = "422 Unprocessable Entity", "Unprocessable Entity"


class LengthRequired(errors.ApiError):
    status, title = "411 Length Required", "Length Required"


class ServiceUnavailable(errors.ApiError):
    status, title = "503 Service Unavailable", "Service Unavailable"


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
