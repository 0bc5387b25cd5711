"""`PATCH /v2/images/{id}`: Glance's JSON-patch updates (`openstack image set/unset`).

Glance accepts two media types, each with its own form of an operation:

- `application/openstack-images-v2.1-json-patch` (what the clients send): RFC 6902's
  form, `{"op": "replace", "path": "/name", "value": "x"}`;
- `application/openstack-images-v2.0-json-patch` (the older draft): the operation is the
  key, `{"replace": "/name", "value": "x"}`, and `add` of an attribute that is already
  there is a 409 instead of a replace.

Either way only `add`, `replace` and `remove` exist, and a path is one attribute deep:
`/name`, `/tags`, `/hw_disk_bus`, never `/tags/0` or `/tags/-` as RFC 6902 would allow
(Glance's own JSON-pointer rules: `~0`/`~1` escapes, no empty segment, surrounding spaces
trimmed). The document is checked whole before the image is looked at, as Glance's request
deserializer does: another media type is a 415, a malformed document a 400, and touching
what Glance itself sets (`/status`, `/size`, `/checksum`, ...) a 403. Operations then
apply in order to a copy and are saved together, or not at all.
"""

from __future__ import annotations

import re

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json, validate
from minicloud.image import core, quotas, schemas

OPERATIONS = ("add", "remove", "replace")
# The media types and the form of operation each one takes (Glance calls them JSON-schema
# drafts 10 and 4).
DRAFTS = {"application/openstack-images-v2.1-json-patch": 10,
          "application/openstack-images-v2.0-json-patch": 4}


class UnsupportedMediaType(errors.ApiError):
    status, title, kind = falcon.HTTP_415, "Unsupported Media Type", "unsupportedMediaType"


def read(req) -> list[dict]:
    """The patch as a list of `{"op", "key", "value"?, "draft"}`, checked as Glance does."""
    draft = _draft(req)
    body = read_json(req)
    if not isinstance(body, list):
        raise errors.BadRequest("Request body must be a JSON array of operation objects.")
    return [_change(raw, draft) for raw in body]


def _draft(req) -> int:
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type not in DRAFTS:
        allowed = ", ".join(sorted(DRAFTS))
        raise UnsupportedMediaType(f"Image PATCH expects Content-Type one of: {allowed}",
                                   headers={"Accept-Patch": allowed})
    return DRAFTS[media_type]


def _change(raw, draft: int) -> dict:
    if not isinstance(raw, dict):
        raise errors.BadRequest("Operations must be JSON objects.")
    op, pointer = _op_and_path(raw) if draft == 10 else _op_and_path_v20(raw)
    key = _key(pointer)
    change = {"op": op, "key": key, "draft": draft}
    if op != "remove":
        if "value" not in raw:
            raise errors.BadRequest(f'Operation "{op}" requires a member named "value".')
        change["value"] = raw["value"]
    core.check_writable(key)
    if op != "remove":
        _check_value(key, change["value"])
    return change


def _op_and_path(raw: dict) -> tuple[str, str]:
    """RFC 6902's form: `{"op": ..., "path": ...}`."""
    op = raw.get("op")
    if op not in OPERATIONS:
        what = "Unable to find `op` in JSON Schema change" if op is None else \
            f"Invalid operation: `{op}`"
        raise errors.BadRequest(f"{what}. It must be one of the following: "
                                f"{', '.join(OPERATIONS)}.")
    if "path" not in raw:
        raise errors.BadRequest("Unable to find 'path' in JSON Schema change")
    return op, raw["path"]


def _op_and_path_v20(raw: dict) -> tuple[str, str]:
    """The v2.0 form: `{"replace": "/name", ...}`, exactly one operation member."""
    ops = [op for op in OPERATIONS if op in raw]
    if len(ops) != 1:
        raise errors.BadRequest('Operation objects must contain exactly one member named '
                                '"add", "remove", or "replace".')
    return ops[0], raw[ops[0]]


def _key(pointer) -> str:
    """`/a~1b` -> `a/b`: Glance's JSON pointers, one attribute deep."""
    if not isinstance(pointer, str):
        raise errors.BadRequest("A JSON pointer must be a string, such as \"/name\".")
    if not pointer.startswith("/"):
        raise errors.BadRequest(f'Pointer `{pointer}` does not start with "/".')
    if re.search(r"/\s*?/", pointer[1:]):
        raise errors.BadRequest(f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise errors.BadRequest(f'Pointer `{pointer}` end with "/".')
    if re.search("~[^01]", pointer) or pointer.endswith("~"):
        raise errors.BadRequest(f'Pointer `{pointer}` contains "~" not part of a '
                                f'recognized escape sequence.')
    parts = [p.replace("~1", "/").replace("~0", "~").strip()
             for p in pointer.lstrip("/").split("/")]  # leading "//" are one, as in Glance
    if len(parts) != 1:
        raise errors.BadRequest(f"Invalid JSON pointer for this resource: "
                                f"'/{'/'.join(parts)}'")
    return parts[0]


def _check_value(key: str, value) -> None:
    try:
        validate({key: value}, schemas.IMAGE)
    except errors.BadRequest as exc:
        raise errors.BadRequest(f"Invalid value for /{key}: {exc}") from None


# -- applying a checked patch to an image -----------------------------------------------------
def apply(image: dict, changes: list[dict], ctx) -> dict:
    """The columns the patch changes (an empty dict if it changes nothing)."""
    attributes = {k: image[k] for k in schemas.CORE}
    properties = dict(image["properties"])
    for change in changes:
        key = change["key"]
        if key in schemas.CORE:
            attributes[key] = _core_value(image, change, ctx)
        else:
            _property_op(properties, change)
    updated = {k: v for k, v in attributes.items() if v != image[k]}
    for flag in ("protected", "os_hidden"):
        if flag in updated:
            updated[flag] = int(updated[flag])
    if properties != image["properties"]:
        updated["properties"] = properties
    return updated


def _core_value(image: dict, change: dict, ctx):
    key, op, value = change["key"], change["op"], change.get("value")
    if op == "remove":
        raise errors.Forbidden(f"Property {key} may not be removed.")
    if op == "add" and change["draft"] == 4:  # every image has its core attributes
        raise errors.Conflict(f"Property {key} already present.")
    if key in ("disk_format", "container_format") and image["status"] != "queued" \
            and value != image[key]:
        raise errors.Forbidden(f"Attribute {key} can be only replaced for a queued image.")
    if key == "owner" and not ctx.is_admin:
        raise errors.Forbidden("Owner can't be updated by non admin.")
    if key == "visibility" and value == "public" and not ctx.is_admin \
            and image["visibility"] != "public":
        raise core.publicize_forbidden()
    if key == "tags":
        quotas.check_tags(value)  # duplicates count, as in Glance
        return list(dict.fromkeys(value))
    return value


def _property_op(properties: dict, change: dict) -> None:
    key, op = change["key"], change["op"]
    if op == "add" and change["draft"] == 4 and key in properties:
        raise errors.Conflict(f"Property {key} already present.")
    if op in ("remove", "replace") and key not in properties:
        raise errors.Conflict(f"Property {key} does not exist.")
    if op == "remove":
        del properties[key]
    else:
        properties[key] = change["value"]
