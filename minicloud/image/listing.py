"""`GET /v2/images` (`openstack image list`): Glance's filters, sort orders and pages.

Who may see what is core.py's (the store reads only the images the caller may list); every
other filter is checked here, the way Glance's API checks its query string, and applied to
those rows in Python (a teaching cloud holds a few dozen images), as are the sort order and
the marker:

- `name`, `id`, `status`, `disk_format`, `container_format`: a value, `eq:value` or
  `in:a,b,"c,d"`; another operator is a 400. `owner`, `checksum`, `os_hash_value`,
  `min_ram`, ... (any other column): equal.
- `size_min`, `size_max`: integers (a 400 otherwise; any size, however large).
- `created_at`, `updated_at`: `[gt|gte|lt|lte|eq|neq:]<ISO 8601 time>`.
- `tag` (repeatable: every one must be there), `protected` and `os_hidden` (`true` or
  `false`; hidden images are listed only with `os_hidden=true`), `member_status` (checked,
  then moot: minicloud has no image members), `visibility` (core.py).
- Any other parameter is an extra property that must be equal (`os_distro=ubuntu`).

Pages: `limit` (25 by default, at most 1000; larger asks get 1000) and `marker`, newest
first unless `sort`/`sort_key`+`sort_dir` say otherwise. A full page carries a `next` link,
`/v2/images?...&marker=<last id>` without the endpoint prefix, as clients expect.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse

from minicloud.common import errors
from minicloud.image import core, views
from minicloud.image.core import Glance

DEFAULT_LIMIT, MAX_LIMIT = 25, 1000  # Glance's limit_param_default and api_limit_max
SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id",
             "created_at", "updated_at")
OPERATOR_FILTERS = ("name", "id", "status", "container_format", "disk_format")
# Equal to a column: Glance compares any image column it is given (`min_ram=512`).
EQUAL_FILTERS = ("owner", "checksum", "os_hash_value", "os_hash_algo", "size", "virtual_size",
                 "min_ram", "min_disk")
TIME_FILTERS = ("created_at", "updated_at")
TIME_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
MEMBER_STATUSES = ("pending", "accepted", "rejected", "all")
# Query parameters that are not filters on extra properties.
NOT_PROPERTIES = {*OPERATOR_FILTERS, *EQUAL_FILTERS, *TIME_FILTERS, "visibility", "limit",
                  "marker", "sort", "sort_key", "sort_dir", "tag", "protected", "os_hidden",
                  "size_min", "size_max", "member_status"}


def page(glance: Glance, ctx, req) -> dict:
    """The list body: `{"images", "first", "schema"[, "next"]}`."""
    checks = _filters(req)
    keys, limit = _sort_keys(req), _limit(req)
    rows = [r for r in glance.listable(ctx, req.get_param("visibility"))
            if all(ok(r) for ok in checks)]
    rows = _after_marker(glance, ctx, _sort(rows, keys), req.get_param("marker"), keys)
    shown = rows[:limit]
    query = [(k, v) for k, v in _pairs(req) if k != "marker"]
    body = {"images": [views.image(r) for r in shown],
            "first": "/v2/images" + (f"?{urllib.parse.urlencode(query)}" if query else ""),
            "schema": "/v2/schemas/images"}
    if shown and len(shown) == limit:  # a full page: there may be more
        body["next"] = "/v2/images?" + urllib.parse.urlencode(
            [*query, ("marker", shown[-1]["id"])])
    return body


def _pairs(req) -> list[tuple[str, str]]:
    return [(k, v) for k, vs in req.params.items()
            for v in (vs if isinstance(vs, list) else [vs])]


# -- filters: each a function of a row, built (and its value checked) before any query -------
def _filters(req) -> list:
    status = req.get_param("member_status")
    if status is not None and status not in MEMBER_STATUSES:
        raise errors.BadRequest(f"Invalid status: {status}")
    if req.get_param("changes-since") is not None:
        raise errors.BadRequest('The "changes-since" filter is no longer available on v2.')
    checks = [_operator_filter(k, req.get_param(k)) for k in OPERATOR_FILTERS
              if req.get_param(k) is not None]
    checks += [_equal_filter(k, req.get_param(k)) for k in EQUAL_FILTERS
               if req.get_param(k) is not None]
    checks += [_time_filter(k, req.get_param(k)) for k in TIME_FILTERS
               if req.get_param(k) is not None]
    checks += [_size_filter(k, req.get_param(k)) for k in ("size_min", "size_max")
               if req.get_param(k) is not None]
    checks += [_flag_filter(req, "protected"), _flag_filter(req, "os_hidden"),
               _tag_filter(req), _property_filter(req)]
    return [c for c in checks if c is not None]


def split_operator(expression: str) -> tuple[str, str]:
    """`in:a,b` -> ("in", "a,b"); `abc` or an ISO time with colons -> ("eq", itself)."""
    operator, sep, value = expression.partition(":")
    if not sep or _time(expression) is not None:
        return "eq", expression
    return operator, value


def split_values(value: str) -> list[str]:
    """`a,"b,c",d` -> [a, "b,c", d]: quotes keep commas, as in Glance's `in:` operator."""
    _check_quotes(value)
    found = re.findall(r'"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,', value)
    return [quoted or plain for quoted, plain in found]


def _check_quotes(value: str) -> None:
    opening = True
    for i, char in enumerate(value):
        if char != '"' or (i and value[i - 1] == "\\"):
            continue
        if opening and i and value[i - 1] != ",":
            raise errors.BadRequest(f"Invalid filter value {value}. There is no comma "
                                    f"before opening quotation mark.")
        if not opening and i + 1 != len(value) and value[i + 1] != ",":
            raise errors.BadRequest(f"Invalid filter value {value}. There is no comma "
                                    f"after closing quotation mark.")
        opening = not opening
    if not opening:
        raise errors.BadRequest(f"Invalid filter value {value}. The quote is not closed.")


def _operator_filter(key: str, raw: str):
    operator, value = split_operator(raw)
    if operator == "in":
        wanted = set(split_values(value))
        return lambda row: row[key] in wanted
    if operator == "eq":
        return lambda row: row[key] == value
    raise errors.BadRequest(f"Unable to filter by unknown operator '{operator}'.")


def _equal_filter(key: str, value: str):
    return lambda row: row[key] is not None and str(row[key]) == value


def _time(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a time, or off the calendar once in UTC
        return None
    return moment


def _time_filter(key: str, raw: str):
    operator, value = split_operator(raw)
    threshold = _time(value)
    if threshold is None:
        raise errors.BadRequest(f'Bad "{key}" query filter format. Use ISO 8601 DateTime '
                                f'notation.')
    if operator not in TIME_OPERATORS:
        raise errors.BadRequest("Unable to filter on a unknown operator.")
    compare = {"gt": lambda a: a > threshold, "gte": lambda a: a >= threshold,
               "lt": lambda a: a < threshold, "lte": lambda a: a <= threshold,
               "eq": lambda a: a == threshold, "neq": lambda a: a != threshold}[operator]
    return lambda row: compare(_time(row[key]))


def _size_filter(key: str, raw: str):
    try:
        bound = int(raw)
    except ValueError:
        raise errors.BadRequest("Unable to filter on a range with a non-numeric "
                                "value.") from None
    if key == "size_min":
        return lambda row: row["size"] is not None and row["size"] >= bound
    return lambda row: row["size"] is not None and row["size"] <= bound


def _flag_filter(req, key: str):
    raw = req.get_param(key)
    if key == "os_hidden":  # hidden images are listed only when asked for
        raw = (raw or "false").lower()
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise errors.BadRequest(f"Invalid value '{raw}' for '{key}' filter. Valid values "
                                f"are 'true' or 'false'.")
    return lambda row: bool(row[key]) == (raw == "true")


def _tag_filter(req):
    wanted = {t.strip() for t in req.get_param_as_list("tag") or []}
    return (lambda row: wanted <= set(row["tags"])) if wanted else None


def _property_filter(req):
    wanted = {k: (v[-1] if isinstance(v, list) else v) for k, v in req.params.items()
              if k not in NOT_PROPERTIES}
    if not wanted:
        return None
    return lambda row: all(row["properties"].get(k) == v for k, v in wanted.items())


# -- order and pages ---------------------------------------------------------------------------
def _limit(req) -> int:
    raw = req.get_param("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _sort_keys(req) -> list[tuple[str, str]]:
    """[(key, 'asc'|'desc'), ...] from `sort=k:dir,...` or `sort_key`/`sort_dir`."""
    if req.get_param("sort") is not None:
        if req.get_param("sort_key") is not None or req.get_param("sort_dir") is not None:
            raise errors.BadRequest("Old and new sorting syntax cannot be combined")
        pairs = [part.partition(":")[::2] for part in req.get_param("sort").strip().split(",")]
        pairs = [(key.strip(), (direction or "desc").strip()) for key, direction in pairs]
    else:
        keys = [k.strip() for k in req.get_param_as_list("sort_key") or ["created_at"]]
        dirs = [d.strip() for d in req.get_param_as_list("sort_dir") or ["desc"]]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise errors.BadRequest("Number of sort dirs does not match the number of sort "
                                    "keys")
        pairs = [(k, dirs[i] if len(dirs) > 1 else dirs[0]) for i, k in enumerate(keys)]
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise errors.BadRequest(f"Invalid sort key: {key}. It must be one of the "
                                    f"following: {', '.join(SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise errors.BadRequest(f"Invalid sort direction: {direction}")
    if "id" not in [k for k, _ in pairs]:
        pairs.append(("id", pairs[-1][1]))  # a total order, so markers are unambiguous
    return pairs


def _sort(rows: list[dict], keys: list[tuple[str, str]]) -> list[dict]:
    for key, direction in reversed(keys):  # stable sorts, least significant key first
        rows = sorted(rows, key=lambda r: (r[key] is not None, r[key] if r[key] is not None
                                           else 0), reverse=direction == "desc")
    return rows


def _after_marker(glance: Glance, ctx, rows, marker, keys) -> list[dict]:
    """The rows that come after the marker image in this order (it need not be in them)."""
    if marker is None:
        return rows
    image = glance.store.image(marker)
    if image is None or not glance.can_see(ctx, image):
        raise errors.BadRequest(core.no_image(marker))  # Glance's words, but a 400
    ordered = _sort([r for r in rows if r["id"] != marker] + [image], keys)
    position = next(i for i, r in enumerate(ordered) if r["id"] == marker)
    return ordered[position + 1:]
