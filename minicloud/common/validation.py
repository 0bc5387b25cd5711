"""JSON request bodies: parse them and check them against a JSON schema.

Bad JSON or a body that breaks the schema is a 400 whose message names the bad field;
it never reaches a responder, so a responder can trust its input.
"""

from __future__ import annotations

import json

import jsonschema

from minicloud.common import errors

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


def read_json(req, schema: dict | None = None, *, allow_empty: bool = False):
    """The request body as JSON, validated against `schema`."""
    raw = req.bounded_stream.read()
    if not raw.strip():
        if allow_empty:
            return None
        raise errors.BadRequest("Malformed request body: the request body is empty.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"Malformed request body: {exc}") from None
    if schema is not None:
        validate(body, schema)
    return body
