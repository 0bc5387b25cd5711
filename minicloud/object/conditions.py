"""Conditional and range GETs, as Swift's object server answers them (its swob layer).

An object server evaluates `If-None-Match`, `If-Match`, `If-Modified-Since` and
`If-Unmodified-Since` against the object's ETag and Last-Modified (304 or 412, no body),
then `Range` (GET only; HEAD ignores it): one range is a 206 with `Content-Range`, several
are a 206 `multipart/byteranges` body, none satisfiable is a 416 with `Content-Range:
bytes */<size>`, and a header that does not parse is ignored (200, the whole object).
The proxy passes these request headers on to the object server it reads from.
"""

from __future__ import annotations

import email.utils
import math

# What the proxy passes on to the object server of a GET or HEAD.
REQUEST_HEADERS = ("Range", "If-Match", "If-None-Match", "If-Modified-Since",
                   "If-Unmodified-Since")

# Swift refuses (416) "egregious" multi-range requests, as RFC 7233 section 6.1 suggests.
MAX_RANGES, MAX_RANGE_OVERLAPS, MAX_NONASCENDING_RANGES = 50, 2, 8


def _tags(value: str | None) -> set[str] | None:
    """The entity tags of an If-(None-)Match header (quotes dropped); None if absent."""
    if value is None:
        return None
    tags = set()
    for tag in value.split(","):
        tag = tag.strip()
        if len(tag) > 1 and tag.startswith('"') and tag.endswith('"'):
            tag = tag[1:-1]
        if tag:
            tags.add(tag)
    return tags


def _matches(tags: set[str], etag: str) -> bool:
    return "*" in tags or etag in tags


def _date(value: str | None) -> float | None:
    """Seconds since the epoch of an HTTP date; None when absent or unparseable (ignored)."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def last_modified(timestamp: str) -> int:
    """Last-Modified in whole seconds: Swift rounds the timestamp up."""
    return math.ceil(float(timestamp))


def precondition_status(headers, etag: str, timestamp: str) -> int | None:
    """304 or 412 when the request's conditions say so, else None; `headers` is a
    case-insensitive mapping (or a callable getting one header)."""
    get = headers if callable(headers) else headers.get
    none_match = _tags(get("If-None-Match"))
    if none_match and _matches(none_match, etag):
        return 304
    match = _tags(get("If-Match"))
    if match and not _matches(match, etag):
        return 412
    modified = last_modified(timestamp)
    since = _date(get("If-Modified-Since"))
    if since is not None and modified <= since:
        return 304
    unmodified = _date(get("If-Unmodified-Since"))
    if unmodified is not None and modified > unmodified:
        return 412
    return None


def parse_range(value: str | None) -> list[tuple[int | None, int | None]] | None:
    """The (first, last) byte specs of a `Range: bytes=...` header; None when it is absent
    or does not parse (then it is ignored, as RFC 7233 asks)."""
    if not value:
        return None
    value = value.replace(" ", "")
    if not value.lower().startswith("bytes="):
        return None
    specs = []
    for spec in value[6:].split(","):
        first, dash, last = spec.partition("-")
        if not dash or not (first or last):
            return None
        if (first and not first.isdigit()) or (last and not last.isdigit()):
            return None
        a, b = (int(first) if first else None), (int(last) if last else None)
        if a is not None and b is not None and b < a:
            return None
        specs.append((a, b))
    return specs


def _overlapping(ranges: list[tuple[int, int]]) -> int:
    count = 0
    for i, (s1, e1) in enumerate(ranges):
        for s2, e2 in ranges[i + 1:]:
            if s1 < s2 < e1 or s1 < e2 < e1 or s2 < s1 < e2 or s2 < e1 < e2:
                count += 1
    return count


def ranges_for_length(specs, length: int) -> list[tuple[int, int]]:
    """Half-open (start, stop) byte ranges of an object of `length` bytes; an empty list
    means nothing can be satisfied (416)."""
    out = []
    for first, last in specs:
        if first is None:  # a suffix: the last `last` bytes
            if last:
                out.append((max(0, length - last), length))
        elif first < length:
            out.append((first, length if last is None else min(last + 1, length)))
    if len(out) > MAX_RANGES or _overlapping(out) > MAX_RANGE_OVERLAPS:
        return []
    ascending = all(a <= b for a, b in zip(out, out[1:]))
    if not ascending and len(out) >= MAX_NONASCENDING_RANGES:
        return []
    return out


def content_range(start: int, stop: int, length: int) -> str:
    return f"bytes {start}-{stop - 1}/{length}"


def multipart(ranges, content_type: str, length: int, boundary: str, read_range):
    """(body size, chunks) of a multipart/byteranges body; `read_range(start, stop)` yields
    that range's bytes."""
    heads = [(f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: "
              f"{content_range(start, stop, length)}\r\n\r\n").encode()
             for start, stop in ranges]
    tail = f"--{boundary}--".encode()
    size = sum(len(h) + (stop - start) + 2 for h, (start, stop) in zip(heads, ranges))

    def chunks():
        for head, (start, stop) in zip(heads, ranges):
            yield head
            yield from read_range(start, stop)
            yield b"\r\n"
        yield tail

    return size + len(tail), chunks()
