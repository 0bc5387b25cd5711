"""How Swift shows things: timestamps in its three forms, listings as text or JSON."""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import time

import falcon


def now_timestamp() -> str:
    return f"{time.time():016.5f}"


def last_modified_iso(ts: str) -> str:
    """Listing form: 2024-01-01T00:00:00.000000 (UTC, no zone)."""
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")


def http_date(ts: str) -> str:
    """Last-Modified header: the timestamp rounded up to a whole second, as Swift does."""
    return email.utils.formatdate(math.ceil(float(ts)), usegmt=True)


def wants_json(req) -> bool:
    fmt = (req.get_param("format") or "").lower()
    if fmt:
        return fmt == "json"
    return "application/json" in (req.get_header("Accept") or "")


def container_entry(row: dict) -> dict:
    if "subdir" in row:
        return row
    return {"name": row["name"], "count": row["object_count"], "bytes": row["bytes_used"],
            "last_modified": last_modified_iso(row["put_timestamp"])}


def object_entry(row: dict) -> dict:
    if "subdir" in row:
        return row
    return {"name": row["name"], "hash": row["etag"], "bytes": row["size"],
            "content_type": row["content_type"],
            "last_modified": last_modified_iso(row["timestamp"])}


def listing(req, resp, entries: list[dict]) -> None:
    """200 with JSON (even `[]`) or plain text names; an empty text listing is 204."""
    if req.method == "HEAD":
        resp.status = falcon.HTTP_204
        return
    if wants_json(req):
        resp.status = falcon.HTTP_200
        resp.content_type = "application/json; charset=utf-8"
        resp.data = json.dumps(entries).encode()
        return
    if not entries:
        resp.status = falcon.HTTP_204
        resp.content_type = "text/plain; charset=utf-8"
        return
    resp.status = falcon.HTTP_200
    resp.content_type = "text/plain; charset=utf-8"
    resp.data = "".join((e.get("subdir") or e["name"]) + "\n" for e in entries).encode()
