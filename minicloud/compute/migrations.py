"""`/os-migrations` (`openstack server migration list`, admin): cold and live migrations,
with their source and destination hosts and status."""

from __future__ import annotations

import falcon

from minicloud.common import policy
from minicloud.compute.microversions import at_least
from minicloud.compute.core import Nova
from minicloud.common.timeutils import isotime


def view(req, row: dict, instance: dict | None, dest_host: str | None, region: str) -> dict:
    """`dest_host`: the destination's management address (its compute node's host_ip)."""
    stamp = lambda ts: isotime(ts).replace("Z", ".000000") if ts else None  # noqa: E731
    body = {"id": row["id"], "source_compute": row["source"], "dest_compute": row["dest"],
            "source_node": row["source"], "dest_node": row["dest"], "dest_host": dest_host,
            "source_region": region, "dest_region": region,
            "status": row["status"], "instance_uuid": row["instance_id"],
            "old_instance_type_id": None, "new_instance_type_id": None,
            "created_at": stamp(row["created"]), "updated_at": stamp(row["updated"])}
    if at_least(req, "2.23"):
        body["migration_type"] = row["type"]
    if at_least(req, "2.59"):
        body["uuid"] = row["uuid"]
    if at_least(req, "2.80"):
        body["user_id"] = instance and instance["user_id"]
        body["project_id"] = instance and instance["project_id"]
    return body


class Migrations:
    def __init__(self, api: Nova):
        self.api = api

    @falcon.before(policy.require("admin"))
    def on_get(self, req, resp):
        rows = self.api.store.migrations(
            instance_id=req.get_param("instance_uuid"), status=req.get_param("status"),
            kind=req.get_param("migration_type"), host=req.get_param("host"))
        store = self.api.store
        host_ips = {n["host"]: n["host_ip"] for n in store.compute_nodes()}
        resp.media = {"migrations": [
            view(req, r, store.instance(r["instance_id"], include_deleted=True),
                 host_ips.get(r["dest"]), self.api.config.region)
            for r in rows]}
