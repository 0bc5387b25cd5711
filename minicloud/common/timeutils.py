"""Times as the APIs show them."""

from __future__ import annotations

import datetime


def isotime(ts: float | None) -> str | None:
    """A UNIX time as ISO 8601 in UTC to the second (`2026-12-03T17:40:36Z`), as Nova shows
    `created`, `updated` and the like; None stays None."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
