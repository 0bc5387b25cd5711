"""How Cinder renders its resources (volume, snapshot, volume type, attachment), with the
fields a microversion adds (`at_least(req, "3.48")`)."""

from __future__ import annotations

from minicloud.common import wsgi
from minicloud.volume import microversions


def _links(req, collection: str, row_id: str) -> list[dict]:
    base = f"{wsgi.base_url(req)}/v3/{req.context.get('url_project_id') or ''}".rstrip("/")
    return [{"rel": "self", "href": f"{base}/{collection}/{row_id}"},
            {"rel": "bookmark", "href": f"{base}/{collection}/{row_id}"}]


def volume_attachment(row: dict) -> dict:
    """One item of a volume's `attachments` list (only completed attachments are shown)."""
    return {"id": row["volume_id"], "attachment_id": row["id"], "volume_id": row["volume_id"],
            "server_id": row["instance_uuid"], "host_name": row["attached_host"],
            "device": row["mountpoint"], "attached_at": row["attach_time"]}


def volume(req, row: dict, attachments: list[dict], type_name: str | None) -> dict:
    ctx = req.context.ctx
    body = {
        "id": row["id"], "name": row["name"], "description": row["description"],
        "status": row["status"], "size": row["size"],
        "attachments": [volume_attachment(a) for a in attachments
                        if a["attach_status"] == "attached"],
        "availability_zone": row["availability_zone"],
        "bootable": "true" if row["bootable"] else "false", "encrypted": False,
        "volume_type": type_name, "metadata": row["metadata"],
        "snapshot_id": row["snapshot_id"], "source_volid": row["source_volid"],
        "user_id": row["user_id"], "os-vol-tenant-attr:tenant_id": row["project_id"],
        "multiattach": False, "replication_status": None, "consistencygroup_id": None,
        "migration_status": None, "created_at": row["created_at"],
        "updated_at": row["updated_at"], "links": _links(req, "volumes", row["id"]),
    }
    if row["image_metadata"]:
        body["volume_image_metadata"] = row["image_metadata"]
    if ctx is not None and ctx.is_admin:
        body["os-vol-host-attr:host"] = row["host"]
        body["os-vol-mig-status-attr:migstat"] = None
        body["os-vol-mig-status-attr:name_id"] = None
    if microversions.at_least(req, "3.13"):
        body["group_id"] = None
    if microversions.at_least(req, "3.21"):
        body["provider_id"] = None
    if microversions.at_least(req, "3.48"):
        body["service_uuid"], body["shared_targets"] = None, False
    if microversions.at_least(req, "3.63"):
        body["volume_type_id"] = row["volume_type_id"]
    if microversions.at_least(req, "3.65"):
        body["consumes_quota"] = True
    return body


def volume_summary(req, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "links": _links(req, "volumes", row["id"])}


def snapshot(req, row: dict) -> dict:
    body = {"id": row["id"], "name": row["name"], "description": row["description"],
            "volume_id": row["volume_id"], "size": row["size"], "status": row["status"],
            "metadata": row["metadata"], "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "os-extended-snapshot-attributes:project_id": row["project_id"],
            "os-extended-snapshot-attributes:progress": row["progress"]}
    if microversions.at_least(req, "3.41"):
        body["user_id"] = row["user_id"]
    if microversions.at_least(req, "3.65"):
        body["consumes_quota"] = True
    return body


def volume_type(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "is_public": bool(row["is_public"]),
            "os-volume-type-access:is_public": bool(row["is_public"]),
            "extra_specs": row["extra_specs"], "qos_specs_id": None}


def attachment(row: dict) -> dict:
    """The v3 attachments API's view (what Nova reads)."""
    return {"id": row["id"], "volume_id": row["volume_id"], "instance": row["instance_uuid"],
            "status": row["attach_status"], "attach_mode": row["attach_mode"],
            "attached_at": row["attach_time"], "detached_at": row["detach_time"],
            "connection_info": row["connection_info"] or None}
