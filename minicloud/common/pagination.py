"""Marker paging as every OpenStack list API does it: a page starts after the row whose id
(or other key) is the marker. Each service words a missing marker its own way (Nova: 400
"marker [x] not found", Cinder: 404 "Marker x could not be found."), so the caller says."""

from __future__ import annotations

from typing import Callable


def after_marker(rows: list[dict], marker: str | None, missing: Callable[[str], Exception],
                 key: str = "id") -> list[dict]:
    if not marker:
        return rows
    keys = [row[key] for row in rows]
    if marker not in keys:
        raise missing(marker)
    return rows[keys.index(marker) + 1:]
