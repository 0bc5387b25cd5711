"""`/v2/images` and `/v2/images/{image_id}`: the image records (`openstack image create,
list, show, set, delete`). The bytes are data.py's; the visibility rules are access.py's.

A new image is `queued`: a record with no data. Listing pages with `limit` and `marker`
(default 25 a page, newest first) and answers a `next` link, `/v2/images?...`, that the
clients follow.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json, validate
from minicloud.image import access, patch, schemas, views
from minicloud.image.files import FileStore
from minicloud.image.store import ImageStore

DEFAULT_LIMIT, MAX_LIMIT = 25, 1000
SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "virtual_size",
             "id", "created_at", "updated_at", "visibility", "owner", "min_disk", "min_ram")
# Exact-match filters (each also takes Glance's `in:a,b` operator).
COLUMN_FILTERS = ("id", "name", "status", "owner", "disk_format", "container_format",
                  "checksum", "os_hash_value")
# Query parameters that are not filters on extra properties.
NOT_PROPERTIES = {*COLUMN_FILTERS, "visibility", "limit", "marker", "sort", "sort_key",
                  "sort_dir", "tag", "tags", "protected", "os_hidden", "size_min", "size_max",
                  "member_status", "fields", "include_stores", "changes-since",
                  "created_at", "updated_at"}  # time filters (gte:...) are not supported


def check_create_fields(ctx, body: dict) -> None:
    """What a client may not set when creating an image (403, as Glance answers)."""
    for key in body:
        if key in schemas.READ_ONLY and key != "id":  # a client may choose the id
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
        if key.startswith("os_glance"):
            raise errors.Forbidden(f"Attribute '{key}' is reserved.")
    if body.get("owner") not in (None, ctx.project_id) and not ctx.is_admin:
        raise errors.Forbidden("You are not permitted to create images owned by another project.")
    if body.get("visibility") == "public" and not ctx.is_admin:
        raise errors.Forbidden("You are not authorized to complete publicize_image action: "
                               "only an admin may make an image public.")


def new_row(ctx, body: dict, clock) -> dict:
    core = {k: body[k] for k in schemas.CORE if k in body}
    stamp = views.now(clock)
    return {
        "id": str(uuid.UUID(body["id"])) if body.get("id") else str(uuid.uuid4()),
        "name": core.get("name"), "status": "queued",
        "visibility": core.get("visibility", "shared"),
        "protected": int(core.get("protected", False)),
        "os_hidden": int(core.get("os_hidden", False)),
        "checksum": None, "os_hash_algo": None, "os_hash_value": None, "size": None,
        "virtual_size": None, "min_disk": core.get("min_disk", 0),
        "min_ram": core.get("min_ram", 0), "disk_format": core.get("disk_format"),
        "container_format": core.get("container_format"),
        "owner": core.get("owner") or ctx.project_id, "created_at": stamp,
        "updated_at": stamp, "tags": list(dict.fromkeys(core.get("tags", []))),
        "properties": {k: v for k, v in body.items() if k not in schemas.CORE and k != "id"},
    }


class Images:
    def __init__(self, store: ImageStore, clock=time.time):
        self.store = store
        self.clock = clock

    def on_get(self, req, resp):
        ctx = req.context.ctx
        where, params = access.list_scope(ctx, req.get_param("visibility"))
        more_where, more_params = _column_filters(req)
        where = " AND ".join(w for w in (where, more_where) if w)
        rows = [r for r in self.store.images(where, [*params, *more_params])
                if _other_filters(req, r)]
        keys, limit = _sort_keys(req), _limit(req)
        rows = _after_marker(self.store, ctx, _sort(rows, keys), req.get_param("marker"), keys)
        page = rows[:limit]
        body = {"images": [views.image(r) for r in page], "first": "/v2/images",
                "schema": "/v2/schemas/images"}
        if len(rows) > limit:
            body["next"] = _next_link(req, page[-1]["id"], limit)
        resp.media = body

    def on_post(self, req, resp):
        ctx = req.context.ctx
        body = read_json(req, {"type": "object"})
        check_create_fields(ctx, body)
        validate(body, schemas.IMAGE)
        row = new_row(ctx, body, self.clock)
        with self.store.transaction():
            if self.store.image(row["id"]):
                raise errors.Conflict(f"Image with identifier {row['id']} already exists!")
            self.store.insert(row)
        resp.status = falcon.HTTP_201
        resp.location = f"/v2/images/{row['id']}"
        resp.media = views.image(row)


class Image:
    def __init__(self, store: ImageStore, files: FileStore, clock=time.time):
        self.store = store
        self.files = files
        self.clock = clock

    def on_get(self, req, resp, image_id):
        resp.media = views.image(access.visible(self.store, req.context.ctx, image_id))

    def on_patch(self, req, resp, image_id):
        ctx = req.context.ctx
        access.owned(self.store, ctx, image_id)
        ops = patch.read(req)
        with self.store.transaction():
            image = access.owned(self.store, ctx, image_id)
            changes = patch.apply(image, ops, ctx)
            if changes:
                changes["updated_at"] = views.now(self.clock)
                self.store.update(image_id, changes)
        resp.media = views.image(self.store.image(image_id))

    def on_delete(self, req, resp, image_id):
        with self.store.transaction():
            image = access.owned(self.store, req.context.ctx, image_id, "delete")
            if image["protected"]:
                raise errors.Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            self.store.delete(image_id)
        self.files.delete(image_id)
        resp.status = falcon.HTTP_204


# -- listing ---------------------------------------------------------------------------------
def _values(raw: str) -> list[str]:
    """`in:a,b` -> [a, b]; `eq:a` or `a` -> [a]."""
    if raw.startswith("in:"):
        return [v.strip().strip('"') for v in raw[3:].split(",") if v.strip()]
    return [raw[3:] if raw.startswith("eq:") else raw]


def _column_filters(req) -> tuple[str, list]:
    where, params = [], []
    for key in COLUMN_FILTERS:
        raw = req.get_param(key)
        if raw is None:
            continue
        values = _values(raw)
        where.append(f"{key} IN ({','.join('?' * len(values))})" if values else "0")
        params.extend(values)
    for key, op in (("size_min", ">="), ("size_max", "<=")):
        if req.get_param(key) is not None:
            where.append(f"size {op} ?")
            params.append(_int_param(req, key))
    for key in ("protected", "os_hidden"):
        flag = _bool_param(req, key)
        if flag is not None:
            where.append(f"{key} = ?")
            params.append(int(flag))
    if _bool_param(req, "os_hidden") is None:
        where.append("os_hidden = 0")  # hidden images are listed only when asked for
    return " AND ".join(where), params


def _other_filters(req, row: dict) -> bool:
    """Tags (every one asked for must be there) and extra properties (exact values)."""
    wanted = set(req.get_param_as_list("tag") or [])
    for raw in req.get_param_as_list("tags") or []:
        wanted.update(t for t in raw.split(",") if t)
    if not wanted <= set(row["tags"]):
        return False
    props = {k: v for k, v in req.params.items() if k not in NOT_PROPERTIES}
    return all(row["properties"].get(k) == (v[-1] if isinstance(v, list) else v)
               for k, v in props.items())


def _int_param(req, key: str) -> int:
    raw = req.get_param(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{key} param must be an integer, not {raw!r}.") from None
    if value < 0:
        raise errors.BadRequest(f"{key} param must be positive.")
    return value


def _bool_param(req, key: str) -> bool | None:
    raw = req.get_param(key)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise errors.BadRequest(f"Invalid value {raw!r} for the boolean filter {key}.")
    return raw.lower() in ("true", "1", "yes")


def _limit(req) -> int:
    if req.get_param("limit") is None:
        return DEFAULT_LIMIT
    return min(_int_param(req, "limit"), MAX_LIMIT)


def _sort_keys(req) -> list[tuple[str, str]]:
    """[(key, 'asc'|'desc'), ...] from `sort=k:dir,...` or `sort_key`/`sort_dir`."""
    if req.get_param("sort"):
        if req.get_param("sort_key") or req.get_param("sort_dir"):
            raise errors.BadRequest("The 'sort' parameter cannot be used with 'sort_key' "
                                    "or 'sort_dir'.")
        pairs = [(part.split(":") + ["desc"])[:2] for part in req.get_param("sort").split(",")]
    else:
        keys = req.get_param_as_list("sort_key") or ["created_at"]
        dirs = req.get_param_as_list("sort_dir") or ["desc"]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise errors.BadRequest("The number of sort_key and sort_dir values must match.")
        pairs = [[k, dirs[i] if len(dirs) > 1 else dirs[0]] for i, k in enumerate(keys)]
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise errors.BadRequest(f"Invalid sort key: {key}. It must be one of: "
                                    f"{', '.join(SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise errors.BadRequest(f"Invalid sort direction: {direction}.")
    if "id" not in [k for k, _ in pairs]:
        pairs.append(["id", pairs[-1][1]])  # a total order, so markers are unambiguous
    return [(k, d) for k, d in pairs]


def _sort(rows: list[dict], keys: list[tuple[str, str]]) -> list[dict]:
    for key, direction in reversed(keys):  # stable sorts, least significant key first
        rows = sorted(rows, key=lambda r: (r[key] is not None, r[key] if r[key] is not None
                                           else 0), reverse=direction == "desc")
    return rows


def _after_marker(store, ctx, rows, marker, keys) -> list[dict]:
    """The rows that come after the marker image in this order (it need not be in them)."""
    if marker is None:
        return rows
    image = store.image(marker)
    if image is None or not access.can_see(ctx, image):
        raise errors.BadRequest(f"Invalid marker. Image {marker} could not be found.")
    ordered = _sort([r for r in rows if r["id"] != marker] + [image], keys)
    position = next(i for i, r in enumerate(ordered) if r["id"] == marker)
    return ordered[position + 1:]


def _next_link(req, last_id: str, limit: int) -> str:
    """`/v2/images?<the same query>&marker=<last>`: no endpoint prefix, as clients expect."""
    params = [(k, v) for k, vs in req.params.items() for v in (vs if isinstance(vs, list)
                                                              else [vs])
              if k not in ("marker", "limit")]
    params += [("limit", str(limit)), ("marker", last_id)]
    return "/v2/images?" + urllib.parse.urlencode(params)
