"""`PATCH /v2/images/{id}`: Glance's JSON-patch updates (RFC 6902 `add`, `replace`,
`remove`, one level deep: `/name`, `/tags`, `/hw_disk_bus`, ...).

The body must come as `application/openstack-images-v2.1-json-patch` (415 otherwise); a
malformed document is a 400; touching what Glance itself sets (`/status`, `/size`,
`/checksum`, ...) is a 403, as in Glance. Operations apply in order to a copy and are
saved together, or not at all.
"""

from __future__ import annotations

import json

import falcon

from minicloud.common import errors
from minicloud.common.validation import validate
from minicloud.image import schemas


class UnsupportedMediaType(errors.ApiError):
    status, title, kind = falcon.HTTP_415, "Unsupported Media Type", "unsupportedMediaType"


def read(req) -> list[dict]:
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type not in schemas.PATCH_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Unsupported Content-Type {media_type or '(none)'}: an image update is a JSON "
            f"patch, sent as {schemas.PATCH_MEDIA_TYPES[0]}.")
    raw = req.bounded_stream.read()
    try:
        ops = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"Malformed JSON patch: {exc}") from None
    try:
        validate(ops, schemas.PATCH)
    except errors.BadRequest as exc:
        raise errors.BadRequest(f"Invalid JSON patch: {exc}. Each change must be "
                                f'{{"op": "add"|"replace"|"remove", "path": "/<attribute>", '
                                f'"value": ...}}.') from None
    return ops


def _key(path: str) -> str:
    """`/a~1b` -> `a/b` (JSON pointer escapes)."""
    return path[1:].replace("~1", "/").replace("~0", "~")


def apply(image: dict, ops: list[dict], ctx) -> dict:
    """The columns the patch changes (an empty dict if it changes nothing)."""
    core = {k: image[k] for k in schemas.CORE}
    properties = dict(image["properties"])
    for op in ops:
        key, value = _key(op["path"]), op.get("value")
        if key in schemas.READ_ONLY:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
        if key.startswith("os_glance"):
            raise errors.Forbidden(f"Attribute '{key}' is reserved.")
        if key in schemas.CORE:
            core[key] = _core_value(image, key, op["op"], value, ctx)
        else:
            _property_op(properties, key, op["op"], value)
    changes = {k: v for k, v in core.items() if v != image[k]}
    for flag in ("protected", "os_hidden"):
        if flag in changes:
            changes[flag] = int(changes[flag])
    if properties != image["properties"]:
        changes["properties"] = properties
    return changes


def _core_value(image: dict, key: str, op: str, value, ctx):
    if op == "remove":
        raise errors.Forbidden(f"Attribute '{key}' is a core attribute of every image and "
                               f"cannot be removed; replace it instead.")
    _check_value(key, value)
    if key in ("disk_format", "container_format") and image["status"] != "queued" \
            and value != image[key]:
        raise errors.Forbidden(f"Attribute {key} can be only replaced for a queued image.")
    if key == "owner" and not ctx.is_admin:
        raise errors.Forbidden("Only an admin may change the owner of an image.")
    if key == "visibility" and value == "public" and not ctx.is_admin \
            and image["visibility"] != "public":
        raise errors.Forbidden("You are not authorized to complete publicize_image action: "
                               "only an admin may make an image public.")
    if key == "tags":
        return list(dict.fromkeys(value))
    return value


def _property_op(properties: dict, key: str, op: str, value) -> None:
    if op in ("remove", "replace") and key not in properties:
        raise errors.Conflict(f"Property {key} does not exist.")
    if op == "remove":
        del properties[key]
        return
    _check_value(key, value)
    properties[key] = value


def _check_value(key: str, value) -> None:
    try:
        validate({key: value}, schemas.IMAGE)
    except errors.BadRequest as exc:
        raise errors.BadRequest(f"Invalid value for /{key}: {exc}") from None
