"""Reading what a form sent: URL-encoded fields, or multipart with files (uploads of images
and objects). A file field becomes an `Upload` (its name, type and bytes); the bytes are
held in memory, up to MAX_UPLOAD (a teaching cloud's images and objects are small)."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl

import falcon

MAX_FORM = 1024 * 1024
MAX_UPLOAD = 256 * 1024 * 1024


@dataclasses.dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


def parse(req, uploads: bool = True) -> dict:
    """Every field of a POSTed form: name -> str (or a list for repeated names, such as
    the security groups of a launch), or an Upload (only if `uploads`: a logged-in user's)."""
    kind = (req.content_type or "").split(";")[0].strip().lower()
    length = req.content_length or 0
    if kind == "multipart/form-data":
        if length > (MAX_UPLOAD if uploads else MAX_FORM):
            raise falcon.HTTPContentTooLarge(description="The upload is too large.")
        return _multipart(req)
    raw = req.bounded_stream.read(MAX_FORM + 1)
    if length > MAX_FORM or len(raw) > MAX_FORM:
        raise falcon.HTTPContentTooLarge(description="The form is too large.")
    body = raw.decode("utf-8", "replace")
    return _collect(parse_qsl(body, keep_blank_values=True))


def _multipart(req) -> dict:
    pairs = []
    try:
        for part in req.get_media():
            if part.filename:
                pairs.append((part.name, Upload(part.filename,
                                                part.content_type or "application/octet-stream",
                                                part.stream.read())))
            else:
                pairs.append((part.name, part.get_text() or ""))
    except falcon.MediaMalformedError:
        raise falcon.HTTPBadRequest(description="The form could not be read.") from None
    return _collect(pairs)


def _collect(pairs) -> dict:
    form: dict = {}
    for name, value in pairs:
        if name in form:
            held = form[name]
            form[name] = held + [value] if isinstance(held, list) else [held, value]
        else:
            form[name] = value
    return form


def many(form: dict, name: str) -> list:
    """A field that may repeat, as a list."""
    value = form.get(name)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def text(form: dict, name: str, default: str = "") -> str:
    value = form.get(name, default)
    if isinstance(value, list):
        value = value[0] if value else default
    return value.strip() if isinstance(value, str) else default
