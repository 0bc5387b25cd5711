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
from minicloud.identity.store import IdentityStore, new_id


def _filters(req, keys: tuple[str, ...]) -> tuple[str, list]:
    present = [k for k in keys if req.get_param(k) is not None]
    return " AND ".join(f"{k} = ?" for k in present), [req.get_param(k) for k in present]


def _invalid(attribute: str, table: str) -> errors.BadRequest:
    return errors.BadRequest(f"Expecting to find {attribute} in {table}. The server could not "
                             "comply with the request since it is either malformed or "
                             "otherwise incorrect.")


# -- regions --------------------------------------------------------------------------------

def region_view(req, row: dict) -> dict:
    return views.entity(req, f"regions/{row['id']}", {
        "id": row["id"], "description": row["description"],
        "parent_region_id": row["parent_region_id"]})


def _check_parent(store: IdentityStore, region_id: str, parent_id: str | None) -> None:
    """The parent must exist, and must not be the region itself or one of its children."""
    seen = {region_id}
    while parent_id is not None:
        if parent_id in seen:
            raise errors.BadRequest("Circular reference or a repeated entry found in region "
                                    f"tree - {parent_id}.")
        seen.add(parent_id)
        parent = views.must_exist(store.get("regions", parent_id), "region", parent_id)
        parent_id = parent["parent_region_id"]


def _create_region(req, store: IdentityStore, region_id: str, fields: dict) -> dict:
    row = {"id": region_id, "description": fields.get("description") or "",
           "parent_region_id": fields.get("parent_region_id")}
    with store.transaction() as db:
        if store.get("regions", region_id):
            raise errors.Conflict("Conflict occurred attempting to store region - "
                                  f"Duplicate ID, {region_id}.")
        _check_parent(store, region_id, row["parent_region_id"])
        db["regions"].insert(row)
    return {"region": region_view(req, row)}


class Regions:
    def __init__(self, store: IdentityStore):
        self.store = store

    def on_get(self, req, resp):
        rows = self.store.rows("regions", *_filters(req, ("parent_region_id",)), order="id")
        resp.media = views.collection(req, "regions", [region_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.REGION_CREATE)["region"]
        resp.media = _create_region(req, self.store, fields.get("id") or new_id(), fields)
        resp.status = falcon.HTTP_201


class Region:
    def __init__(self, store: IdentityStore):
        self.store = store

    def _find(self, region_id: str) -> dict:
        return views.must_exist(self.store.get("regions", region_id), "region", region_id)

    def on_get(self, req, resp, region_id):
        resp.media = {"region": region_view(req, self._find(region_id))}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, region_id):
        """Create a region with the id in the URL."""
        fields = read_json(req, schemas.REGION_CREATE)["region"]
        if fields.get("id") not in (None, region_id):
            raise errors.BadRequest("The region id in the body does not match the URL.")
        resp.media = _create_region(req, self.store, region_id, fields)
        resp.status = falcon.HTTP_201

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, region_id):
        fields = read_json(req, schemas.REGION_UPDATE)["region"]
        if fields.get("id") not in (None, region_id):
            raise errors.BadRequest("Cannot change the ID of a region.")
        changes = {k: fields[k] for k in ("parent_region_id",) if k in fields}
        if "description" in fields:
            changes["description"] = fields["description"] or ""
        with self.store.transaction() as db:
            self._find(region_id)
            _check_parent(self.store, region_id, changes.get("parent_region_id"))
            if changes:
                db["regions"].update(region_id, changes)
        resp.media = {"region": region_view(req, self._find(region_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, region_id):
        with self.store.transaction() as db:
            self._find(region_id)
            tree = self._subtree(region_id)
            marks = ",".join("?" * len(tree))
            if self.store.query(f"SELECT 1 FROM endpoints WHERE region_id IN ({marks}) "
                                "LIMIT 1", tree):
                raise errors.Forbidden(f"Unable to delete region {region_id} because it or "
                                       "its child regions have associated endpoints.")
            db.execute(f"DELETE FROM regions WHERE id IN ({marks})", tree)
        resp.status = falcon.HTTP_204

    def _subtree(self, region_id: str) -> list[str]:
        tree, frontier = [region_id], [region_id]
        while frontier:
            marks = ",".join("?" * len(frontier))
            frontier = [r["id"] for r in self.store.query(
                f"SELECT id FROM regions WHERE parent_region_id IN ({marks})", frontier)]
            tree.extend(frontier)
        return tree


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
    def __init__(self, store: IdentityStore):
        self.store = store

    def on_get(self, req, resp):
        rows = self.store.rows("services", *_filters(req, ("type", "name")), order="type")
        resp.media = views.collection(req, "services", [service_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.SERVICE_CREATE)["service"]
        row = {"id": new_id(), "name": "", "description": "", "enabled": 1,
               **_service_columns(fields)}
        self.store.db["services"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"service": service_view(req, row)}


class Service:
    def __init__(self, store: IdentityStore):
        self.store = store

    def _find(self, service_id: str) -> dict:
        return views.must_exist(self.store.get("services", service_id), "service", service_id)

    def on_get(self, req, resp, service_id):
        resp.media = {"service": service_view(req, self._find(service_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, service_id):
        fields = read_json(req, schemas.SERVICE_UPDATE)["service"]
        if fields.get("id") not in (None, service_id):
            raise errors.BadRequest("Cannot change the ID of a service.")
        with self.store.transaction() as db:
            self._find(service_id)
            if changes := _service_columns(fields):
                db["services"].update(service_id, changes)
        resp.media = {"service": service_view(req, self._find(service_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, service_id):
        with self.store.transaction() as db:
            self._find(service_id)
            db.execute("DELETE FROM endpoints WHERE service_id = ?", (service_id,))
            db["services"].delete(service_id)
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
    if "service_id" in columns and store.get("services", columns["service_id"]) is None:
        raise _invalid("endpoint service_id", "service table")
    if "region_id" in fields:
        columns["region_id"] = fields["region_id"]
    elif fields.get("region") is not None:
        columns["region_id"] = fields["region"]
        if store.get("regions", fields["region"]) is None:
            store.db["regions"].insert({"id": fields["region"], "description": ""})
    region = columns.get("region_id")
    if region is not None and store.get("regions", region) is None:
        raise _invalid("endpoint region_id", "region table")
    return columns


class Endpoints:
    def __init__(self, store: IdentityStore):
        self.store = store

    def on_get(self, req, resp):
        keys = ("service_id", "interface", "region_id")
        rows = self.store.rows("endpoints", *_filters(req, keys), order="service_id, interface")
        resp.media = views.collection(req, "endpoints", [endpoint_view(req, r) for r in rows])

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.ENDPOINT_CREATE)["endpoint"]
        with self.store.transaction() as db:
            row = {"id": new_id(), "region_id": None, "enabled": 1,
                   **_endpoint_columns(self.store, fields)}
            db["endpoints"].insert(row)
        resp.status = falcon.HTTP_201
        resp.media = {"endpoint": endpoint_view(req, row)}


class Endpoint:
    def __init__(self, store: IdentityStore):
        self.store = store

    def _find(self, endpoint_id: str) -> dict:
        return views.must_exist(self.store.get("endpoints", endpoint_id), "endpoint",
                                endpoint_id)

    def on_get(self, req, resp, endpoint_id):
        resp.media = {"endpoint": endpoint_view(req, self._find(endpoint_id))}

    @falcon.before(policy.require("admin"))
    def on_patch(self, req, resp, endpoint_id):
        fields = read_json(req, schemas.ENDPOINT_UPDATE)["endpoint"]
        if fields.get("id") not in (None, endpoint_id):
            raise errors.BadRequest("Cannot change the ID of an endpoint.")
        with self.store.transaction() as db:
            self._find(endpoint_id)
            if changes := _endpoint_columns(self.store, fields):
                db["endpoints"].update(endpoint_id, changes)
        resp.media = {"endpoint": endpoint_view(req, self._find(endpoint_id))}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, endpoint_id):
        with self.store.transaction() as db:
            self._find(endpoint_id)
            db["endpoints"].delete(endpoint_id)
        resp.status = falcon.HTTP_204
