"""`/flavors`: the sizes a server can have (`openstack flavor ...`).

Everyone lists and reads public flavors; admins create and delete flavors and set their
extra specs (`is_public=None` lists public and private ones, for admins). The five m1.*
flavors are created with the database, as DevStack does.
Limitations: no flavor access lists (private flavors are visible to admins only).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, pagination, policy
from minicloud.common.validation import read_json
from minicloud.compute import schemas, views
from minicloud.compute.core import Nova
from minicloud.compute.microversions import at_least
from minicloud.compute.store import ComputeStore, new_uuid


MAX_INT = 0x7FFFFFFF  # the database's INT columns


def _int(value, field: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                                f"'{value}' is not of type 'integer'") from None
    if number < minimum:
        raise errors.BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                                f"{value} is less than the minimum of {minimum}")
    if number > MAX_INT:
        raise errors.BadRequest(f"Invalid input for field/attribute {field}. Value: {value}. "
                                f"{value} is greater than the maximum of {MAX_INT}")
    return number


def new_row(req, store: ComputeStore, fields: dict) -> dict:
    """The flavors row of a create request (the schema has checked types and ranges)."""
    if "description" in fields and not at_least(req, "2.55"):
        raise errors.BadRequest("Invalid input for field/attribute flavor. Additional "
                                "properties are not allowed ('description' was unexpected)")
    return {"id": str(fields["id"]) if fields.get("id") is not None else new_uuid(),
            "name": fields["name"], "ram": _int(fields["ram"], "ram", 1),
            "vcpus": _int(fields["vcpus"], "vcpus", 1), "disk": _int(fields["disk"], "disk"),
            "ephemeral": _int(fields.get("OS-FLV-EXT-DATA:ephemeral", 0), "ephemeral"),
            "swap": _int(fields.get("swap") or 0, "swap"),
            "rxtx_factor": float(fields.get("rxtx_factor", 1.0)),
            "is_public": int(schemas.as_bool(fields.get("os-flavor-access:is_public", True))),
            "description": fields.get("description"), "created": store.clock()}


def list_filter(req, ctx) -> dict:
    """The store's filters for `GET /flavors`: non-admins see public flavors only; an
    admin's `is_public=None` (or any other word) lists public and private ones."""
    filters = {}
    is_public = (req.get_param("is_public") or "true").lower()
    if not ctx.is_admin or is_public in ("true", "1", "yes", "t"):
        filters["public"] = True
    elif is_public in ("false", "0", "no", "f"):
        filters["public"] = False
    for param, key in (("minRam", "min_ram"), ("minDisk", "min_disk")):
        if req.get_param(param):
            filters[key] = _int(req.get_param(param), param)
    return filters


def paginate(req, rows: list[dict], key: str = "id") -> list[dict]:
    """Nova's paging of servers, flavors and key pairs: after `marker`, at most `limit`."""
    rows = pagination.after_marker(rows, req.get_param("marker"), lambda marker: (
        errors.BadRequest(f"marker [{marker}] not found")), key)
    limit = req.get_param("limit")
    return rows[:_int(limit, "limit")] if limit else rows


class Flavors:
    def __init__(self, api: Nova, detail: bool = False):
        self.store, self.detail = api.store, detail

    def on_get(self, req, resp):
        rows = paginate(req, self.store.flavors(**list_filter(req, req.context.ctx)))
        resp.media = {"flavors": [views.flavor(req, r, self.detail) for r in rows]}

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        row = new_row(req, self.store, read_json(req, schemas.FLAVOR_CREATE)["flavor"])
        with self.store.transaction():
            if self.store.flavor_named(row["name"]):
                raise errors.Conflict(f"Flavor with name {row['name']} already exists.")
            if self.store.flavor(row["id"]):
                raise errors.Conflict(f"Flavor with ID {row['id']} already exists.")
            self.store.add_flavor(row)
        resp.media = {"flavor": views.flavor(req, self.store.flavor(row["id"]))}


class Flavor:
    def __init__(self, api: Nova):
        self.store = api.store

    def on_get(self, req, resp, flavor_id):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        resp.media = {"flavor": views.flavor(req, row)}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, flavor_id):
        views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        self.store.delete_flavor(flavor_id)
        resp.status = falcon.HTTP_202


class FlavorExtraSpecs:
    def __init__(self, api: Nova):
        self.store = api.store

    def on_get(self, req, resp, flavor_id):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        resp.media = {"extra_specs": row["extra_specs"]}

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp, flavor_id):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        new = {k: str(v) for k, v in read_json(req, schemas.EXTRA_SPECS)["extra_specs"].items()}
        specs = {**row["extra_specs"], **new}
        self.store.set_extra_specs(flavor_id, specs)
        resp.media = {"extra_specs": new}


class FlavorExtraSpec:
    def __init__(self, api: Nova):
        self.store = api.store

    def on_get(self, req, resp, flavor_id, key):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        if key not in row["extra_specs"]:
            raise errors.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
        resp.media = {key: row["extra_specs"][key]}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, flavor_id, key):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        body = read_json(req)
        if not isinstance(body, dict) or list(body) != [key]:
            raise errors.BadRequest("Request body and URI mismatch")
        specs = {**row["extra_specs"], key: str(body[key])}
        self.store.set_extra_specs(flavor_id, specs)
        resp.media = {key: specs[key]}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, flavor_id, key):
        row = views.must_exist(self.store.flavor(flavor_id), "Flavor", flavor_id)
        if key not in row["extra_specs"]:
            raise errors.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
        specs = {k: v for k, v in row["extra_specs"].items() if k != key}
        self.store.set_extra_specs(flavor_id, specs)
        resp.status = falcon.HTTP_202
