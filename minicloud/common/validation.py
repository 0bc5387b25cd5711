"""JSON request bodies: parse them and check them against a JSON schema.

Bad JSON or a body that breaks the schema is a 400 whose message names the bad field;
it never reaches a responder, so a responder can trust its input. Before any schema, every
JSON body passes the same guard, whatever the service (the role of oslo.middleware's
sizelimit in front of real OpenStack services, plus what Python's decoder lets through):
at most MAX_BODY_BYTES (413, as oslo's 112 KiB default answers), nested at most MAX_DEPTH
levels, and text that is valid Unicode (a lone surrogate such as "\\ud800" decodes in
Python but no database can store it).
"""

from __future__ import annotations

import json

import jsonschema

from minicloud.common import errors

MAX_BODY_BYTES = 114688   # oslo.middleware's max_request_body_size default
MAX_DEPTH = 64            # far beyond any real request; checked without recursion

_validators: dict[int, jsonschema.Draft202012Validator] = {}


def _validator(schema: dict) -> jsonschema.Draft202012Validator:
    key = id(schema)
    if key not in _validators:
        _validators[key] = jsonschema.Draft202012Validator(schema)
    return _validators[key]


def field_path(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        path = f"{path}.{extra}" if path else extra
    return path or "body"


def validate(body, schema: dict):
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(body))
    if error is not None:
        reason = "this field may not be set" if error.validator == "not" else error.message
        raise errors.BadRequest(f"Invalid input for field '{field_path(error)}': {reason}")
    return body


def _check_tree(body) -> None:
    """Depth and Unicode of a decoded body, walked with an explicit stack."""
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise errors.BadRequest(
                f"Malformed request body: JSON nested deeper than {MAX_DEPTH} levels.")
        if isinstance(node, dict):
            for key in node:
                _check_text(key)
            children = node.values()
        else:
            children = node
        stack.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.BadRequest(
            "Malformed request body: a string holds an invalid Unicode character "
            "(a lone surrogate).") from None


def read_body(req, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw request body, refused with a 413 beyond `limit` bytes."""
    if req.content_length is not None and req.content_length > limit:
        raise errors.PayloadTooLarge("Request is too large.")
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise errors.PayloadTooLarge("Request is too large.")
    return raw


def decode_json(raw: bytes):
    """Bytes to a JSON value, with the guard every service shares; 400 on anything bad."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise errors.BadRequest(
            f"Malformed request body: JSON nested deeper than {MAX_DEPTH} levels.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"Malformed request body: {exc}") from None
    _check_tree(body)
    return body


def read_json(req, schema: dict | None = None, *, allow_empty: bool = False):
    """The request body as JSON, validated against `schema`."""
    raw = read_body(req)
    if not raw.strip():
        if allow_empty:
            return None
        raise errors.BadRequest("Malformed request body: the request body is empty.")
    body = decode_json(raw)
    if schema is not None:
        validate(body, schema)
    return body
