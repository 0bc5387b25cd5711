"""How Keystone renders its resources: `links` on every entity and every collection, and
the query-parameter and body helpers responders share (lookups that answer 404 are the
Keystone facade's, core.py)."""

from __future__ import annotations

from minicloud.common import errors, wsgi
from minicloud.common.validation import read_json


def url(req, path: str) -> str:
    return f"{wsgi.base_url(req)}/v3/{path}"


def entity(req, path: str, fields: dict) -> dict:
    return {**fields, "links": {"self": url(req, path)}}


def collection(req, key: str, items: list[dict]) -> dict:
    return {key: items, "links": {"self": wsgi.base_url(req) + req.relative_uri,
                                  "previous": None, "next": None}}


def flag(value) -> bool:
    return bool(value)


def query_bool(value: str | None) -> bool | None:
    """`enabled=true`, `enabled=False`, `enabled=0`, ... as a bool, absent as None."""
    if value is None:
        return None
    return value.strip().lower() not in ("0", "false", "no", "off", "")


def body_of(req, schema: dict, key: str) -> dict:
    """The entity in a create or update body of a project, domain or role, validated.
    Their one resource option, `immutable` (nobody may change the resource), is not
    supported: asking for it is a 400 rather than a promise silently not kept."""
    fields = read_json(req, schema)[key]
    if (fields.get("options") or {}).get("immutable"):
        raise errors.BadRequest(f"minicloud does not support immutable resources "
                                f"('{key}.options.immutable': true).")
    return fields
