"""The service catalog: regions, services and their endpoints (`openstack region|service|
endpoint ...`). Every token carries the catalog built from these tables (store.catalog), so
a change here changes where the next CLI command sends its requests.

Any authenticated user may read the catalog tables (the CLI's `endpoint list` looks up each
endpoint's service); only admins change them. A region with endpoints (in it or in a child
region) cannot be deleted; deleting a service deletes its endpoints.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.identity import schemas, views
from minicloud.identity.core import Keystone, same_id
from minicloud.identity.store import IdentityStore, new_id


def _filters(req, keys: tuple[str, ...]) -> dict:
    """The query parameters a list filters on, by column (absent ones filter nothing)."""
    return {key: req.get_param(key) for key in keys}


def _invalid(attribute: str, table: str) -> errors.BadRequest:
    return errors.BadRequest(f"Expecting to find {attribute} in {table}. The server could not "
                             "comply with the request since it is either malformed or "
                             "otherwise incorrect.")


# -- regions --------------------------------------------------------------------------------

def region_view(req, row: dict) -> dict:
    return views.entity(req, f"regions/{row['id']}", {
        "id": row["id"], "description": row["description"],
        "parent_region_id": row["parent_region_id"]})


def _check_parent(keystone: Keystone, region_id: str, parent_id: str | None) -> None:
    """The parent must exist, and must not be the region itself or one of its children."""
    seen = {region_id}
    while parent_id is not None:
        if parent_id in seen:
            raise errors.BadRequest("Circular reference or a repeated entry found in region "
                                    f"tree - {parent_id}.")
        seen.add(parent_id)
        parent = keystone.region(parent_id)
        parent_id = parent["parent_region_id"]


def _create_region(req, keystone: Keystone, region_id: str, fields: dict) -> dict:
    row = {"id": region_id, "description": fields.get("description") or "",
           "parent_region_id": fields.get("parent_region_id")}
    store = keystone.store
    with store.transaction():
        if store.region(region_id):
            raise errors.Conflict("Conflict occurred attempting to store region - "
                                  f"Duplicate ID, {region_id}.")
        _check_parent(keystone, region_id, row["parent_region_id"])
        store.insert_region(row)
    return {"region": region_view(req, row)}


class Regions:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        rows = self.store.regions(**_filters(req, ("parent_region_id",)))
        resp.media = views.collection(req, "regions", [region_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.REGION_CREATE)["region"]
        resp.media = _create_region(req, self.keystone, fields.get("id") or new_id(), fields)
        resp.status = falcon.HTTP_201


class Region:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, region_id):
        resp.media = {"region": region_view(req, self.keystone.region(region_id))}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, region_id):
        """Create a region with the id in the URL."""
        fields = read_json(req, schemas.REGION_CREATE)["region"]
        if fields.get("id") not in (None, region_id):
            raise errors.BadRequest("The region id in the body does not match the URL.")
        resp.media = _create_region(req, self.keystone, region_id, fields)
        resp.status = falcon.HTTP_201

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, region_id):
        fields = read_json(req, schemas.REGION_PATCH)["region"]
        same_id("region", fields, region_id)
        changes = {k: fields[k] for k in ("parent_region_id",) if k in fields}
        if "description" in fields:
            changes["description"] = fields["description"] or ""
        with self.store.transaction():
            self.keystone.region(region_id)
            _check_parent(self.keystone, region_id, changes.get("parent_region_id"))
            self.store.update_region(region_id, changes)
        resp.media = {"region": region_view(req, self.keystone.region(region_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, region_id):
        with self.store.transaction():
            self.keystone.region(region_id)
            tree = self.store.region_subtree(region_id)
            if self.store.regions_have_endpoints(tree):
                raise errors.Forbidden(f"Unable to delete region {region_id} because it or "
                                       "its child regions have associated endpoints.")
            self.store.delete_regions(tree)
        resp.status = falcon.HTTP_204


# -- services -------------------------------------------------------------------------------

def service_view(req, row: dict) -> dict:
    return views.entity(req, f"services/{row['id']}", {
        "id": row["id"], "type": row["type"], "name": row["name"],
        "description": row["description"], "enabled": views.flag(row["enabled"])})


def _service_columns(fields: dict) -> dict:
    columns = {k: fields[k] for k in ("type",) if fields.get(k) is not None}
    for key in ("name", "description"):
        if key in fields:
            columns[key] = fields[key] or ""
    if fields.get("enabled") is not None:
        columns["enabled"] = int(fields["enabled"])
    return columns


class Services:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        rows = self.store.services(**_filters(req, ("type", "name")))
        resp.media = views.collection(req, "services", [service_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.SERVICE_CREATE)["service"]
        row = {"id": new_id(), "name": "", "description": "", "enabled": 1,
               **_service_columns(fields)}
        self.store.insert_service(row)
        resp.status = falcon.HTTP_201
        resp.media = {"service": service_view(req, row)}


class Service:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, service_id):
        resp.media = {"service": service_view(req, self.keystone.service(service_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, service_id):
        fields = read_json(req, schemas.SERVICE_PATCH)["service"]
        same_id("service", fields, service_id)
        with self.store.transaction():
            self.keystone.service(service_id)
            self.store.update_service(service_id, _service_columns(fields))
        resp.media = {"service": service_view(req, self.keystone.service(service_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, service_id):
        with self.store.transaction():
            self.keystone.service(service_id)
            self.store.delete_service(service_id)  # with its endpoints
        resp.status = falcon.HTTP_204


# -- endpoints ------------------------------------------------------------------------------

def endpoint_view(req, row: dict) -> dict:
    # `region` is the legacy name of `region_id`; swiftclient still reads it
    return views.entity(req, f"endpoints/{row['id']}", {
        "id": row["id"], "service_id": row["service_id"], "interface": row["interface"],
        "region_id": row["region_id"], "region": row["region_id"], "url": row["url"],
        "enabled": views.flag(row["enabled"])})


def _endpoint_columns(store: IdentityStore, fields: dict) -> dict:
    """The columns a body sets, after checking the service and region it names exist.
    A region given only by its legacy `region` key is created if missing, as Keystone does."""
    columns = {k: fields[k] for k in ("service_id", "interface", "url") if k in fields}
    if fields.get("enabled") is not None:
        columns["enabled"] = int(fields["enabled"])
    if "service_id" in columns and store.service(columns["service_id"]) is None:
        raise _invalid("endpoint service_id", "service table")
    if "region_id" in fields:
        columns["region_id"] = fields["region_id"]
    elif fields.get("region") is not None:
        columns["region_id"] = fields["region"]
        if store.region(fields["region"]) is None:
            store.insert_region({"id": fields["region"], "description": ""})
    region = columns.get("region_id")
    if region is not None and store.region(region) is None:
        raise _invalid("endpoint region_id", "region table")
    return columns


class Endpoints:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp):
        rows = self.store.endpoints(**_filters(req, ("service_id", "interface", "region_id")))
        resp.media = views.collection(req, "endpoints", [endpoint_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.ENDPOINT_CREATE)["endpoint"]
        with self.store.transaction():
            row = {"id": new_id(), "region_id": None, "enabled": 1,
                   **_endpoint_columns(self.store, fields)}
            self.store.insert_endpoint(row)
        resp.status = falcon.HTTP_201
        resp.media = {"endpoint": endpoint_view(req, row)}


class Endpoint:
    def __init__(self, keystone: Keystone):
        self.keystone, self.store = keystone, keystone.store

    def on_get(self, req, resp, endpoint_id):
        resp.media = {"endpoint": endpoint_view(req, self.keystone.endpoint(endpoint_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, endpoint_id):
        fields = read_json(req, schemas.ENDPOINT_PATCH)["endpoint"]
        same_id("endpoint", fields, endpoint_id)
        with self.store.transaction():
            self.keystone.endpoint(endpoint_id)
            self.store.update_endpoint(endpoint_id, _endpoint_columns(self.store, fields))
        resp.media = {"endpoint": endpoint_view(req, self.keystone.endpoint(endpoint_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, endpoint_id):
        with self.store.transaction():
            self.keystone.endpoint(endpoint_id)
            self.store.delete_endpoint(endpoint_id)
        resp.status = falcon.HTTP_204
