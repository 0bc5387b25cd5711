"""How Glance renders an image: flat JSON, extra properties at the top level, and the
`self`/`file`/`schema` paths (relative to the endpoint, as Glance gives them)."""

from __future__ import annotations

import datetime

FIELDS = ("id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo",
          "os_hash_value", "size", "virtual_size", "min_disk", "min_ram", "disk_format",
          "container_format", "owner", "created_at", "updated_at", "os_hidden")


def now(clock) -> str:
    return datetime.datetime.fromtimestamp(clock(), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def image(row: dict) -> dict:
    body = {**row["properties"], **{k: row[k] for k in FIELDS}}
    body["protected"], body["os_hidden"] = bool(row["protected"]), bool(row["os_hidden"])
    body["tags"] = list(row["tags"])
    body["self"] = f"/v2/images/{row['id']}"
    body["file"] = f"/v2/images/{row['id']}/file"
    body["schema"] = "/v2/schemas/image"
    return body
