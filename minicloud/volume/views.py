"""How Cinder renders its resources (volume, snapshot, volume type, attachment), with the
fields a microversion adds (`at_least(req, "3.48")`) and those Cinder's policy shows only
to some callers. docs/services/cinder.md lists the resulting keys per call.

Cinder builds a volume or snapshot in two steps, and so do we: the view itself (what
create, update, show and lists all return), then the attributes its old "extensions" add,
only to show and detail-list answers (`extended=True`): the project id
(`os-vol-tenant-attr:tenant_id`, for project readers), the host and migration status
(`os-vol-host-attr:host`, `os-vol-mig-status-attr:*`, for admins), the image metadata,
and a snapshot's `os-extended-snapshot-attributes:*`.
"""

from __future__ import annotations

from minicloud.common import wsgi
from minicloud.volume import microversions

at_least = microversions.at_least

# Extra specs a non-admin may see (Cinder's USER_VISIBLE_EXTRA_SPECS); the rest can
# reveal how the deployment is built.
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")


def _ctx(req):
    return req.context.get("ctx")


def is_admin(req) -> bool:
    ctx = _ctx(req)
    return ctx is not None and ctx.is_admin


def has_role(req, role: str) -> bool:
    ctx = _ctx(req)
    return ctx is not None and ctx.has_role(role)


def _links(req, collection: str, row_id: str) -> list[dict]:
    base = f"{wsgi.base_url(req)}/v3/{req.context.get('url_project_id') or ''}".rstrip("/")
    return [{"rel": "self", "href": f"{base}/{collection}/{row_id}"},
            {"rel": "bookmark", "href": f"{base}/{collection}/{row_id}"}]


# -- volumes ------------------------------------------------------------------------------

def volume_attachment(req, row: dict) -> dict:
    """One item of a volume's `attachments` list (only completed attachments are shown).
    The compute host is for admins and services only (Glance's cinder store needs it)."""
    trusted = is_admin(req) or has_role(req, "service")
    return {"id": row["volume_id"], "attachment_id": row["id"], "volume_id": row["volume_id"],
            "server_id": row["instance_uuid"],
            "host_name": row["attached_host"] if trusted else None,
            "device": row["mountpoint"], "attached_at": row["attach_time"]}


def volume(req, row: dict, attachments: list[dict], vtype: dict | None,
           extended: bool = True) -> dict:
    """A volume as create/update (`extended=False`) or show/detail list return it."""
    body = {
        "id": row["id"], "status": row["status"], "size": row["size"],
        "availability_zone": row["availability_zone"], "created_at": row["created_at"],
        "updated_at": row["updated_at"], "name": row["name"],
        "description": row["description"], "volume_type": vtype["name"] if vtype else None,
        "snapshot_id": row["snapshot_id"], "source_volid": row["source_volid"],
        "metadata": row["metadata"], "links": _links(req, "volumes", row["id"]),
        "user_id": row["user_id"], "bootable": "true" if row["bootable"] else "false",
        "encrypted": False, "replication_status": None, "consistencygroup_id": None,
        "multiattach": False,
        "attachments": [volume_attachment(req, a) for a in attachments
                        if a["attach_status"] == "attached"],
    }
    if is_admin(req):
        body["migration_status"] = None
    body.update(_volume_microversion_fields(req, row, vtype))
    if extended:
        body.update(_volume_extensions(req, row))
    return body


def _volume_microversion_fields(req, row: dict, vtype: dict | None) -> dict:
    admin, fields = is_admin(req), {}
    if at_least(req, "3.13"):
        fields["group_id"] = None
    if admin and at_least(req, "3.21"):
        fields["provider_id"] = None
    if at_least(req, "3.48"):
        fields["shared_targets"], fields["service_uuid"] = False, None
    if admin and at_least(req, "3.61"):
        fields["cluster_name"] = None
    if at_least(req, "3.63"):
        fields["volume_type_id"] = vtype["id"] if vtype else row["volume_type_id"]
    # 3.64 adds encryption_key_id only to encrypted volumes: there are none here
    if at_least(req, "3.65"):
        fields["consumes_quota"] = True
    return fields


def _volume_extensions(req, row: dict) -> dict:
    fields = {}
    if is_admin(req):
        fields["os-vol-host-attr:host"] = row["host"]
    if is_admin(req) or has_role(req, "reader"):
        fields["os-vol-tenant-attr:tenant_id"] = row["project_id"]
        if row["image_metadata"]:
            fields["volume_image_metadata"] = row["image_metadata"]
    if is_admin(req):
        fields["os-vol-mig-status-attr:migstat"] = None
        fields["os-vol-mig-status-attr:name_id"] = None
    return fields


def volume_summary(req, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "links": _links(req, "volumes", row["id"])}


# -- snapshots ----------------------------------------------------------------------------

def snapshot_summary(row: dict) -> dict:
    """What `GET /snapshots` (not /detail) shows of a snapshot."""
    return {"id": row["id"], "created_at": row["created_at"], "updated_at": row["updated_at"],
            "name": row["name"], "description": row["description"],
            "volume_id": row["volume_id"], "status": row["status"], "size": row["size"],
            "metadata": row["metadata"]}


def snapshot(req, row: dict, extended: bool = True) -> dict:
    """A snapshot as create/update (`extended=False`) or show/detail list return it."""
    body = snapshot_summary(row)
    if at_least(req, "3.14"):
        body["group_snapshot_id"] = None
    if at_least(req, "3.41"):
        body["user_id"] = row["user_id"]
    if at_least(req, "3.65"):
        body["consumes_quota"] = True
    if extended and (is_admin(req) or has_role(req, "reader")):
        body["os-extended-snapshot-attributes:project_id"] = row["project_id"]
        body["os-extended-snapshot-attributes:progress"] = row["progress"]
    return body


# -- volume types -------------------------------------------------------------------------

def volume_type(req, row: dict, access: bool = True) -> dict:
    """A volume type; `access=False` leaves out `os-volume-type-access:is_public`, which
    Cinder adds to show, list and create answers but not to update's."""
    admin = is_admin(req)
    body = {"id": row["id"], "name": row["name"], "is_public": bool(row["is_public"]),
            "description": row["description"]}
    if admin or has_role(req, "reader"):
        specs = row["extra_specs"]
        body["extra_specs"] = specs if admin else {
            k: v for k, v in specs.items() if k in USER_VISIBLE_EXTRA_SPECS}
    if admin:
        body["qos_specs_id"] = None
    if access and (admin or has_role(req, "member")):
        body["os-volume-type-access:is_public"] = bool(row["is_public"])
    return body


# -- attachments (3.27+) ------------------------------------------------------------------

def attachment_summary(row: dict) -> dict:
    """What `GET /attachments` (not /detail) and a delete's answer show."""
    return {"id": row["id"], "status": row["attach_status"], "instance": row["instance_uuid"],
            "volume_id": row["volume_id"]}


def attachment(row: dict) -> dict:
    """The full view (show, detail list, create, update: what Nova reads). Cinder writes
    a time that is not set as an empty string."""
    return {**attachment_summary(row), "attached_at": row["attach_time"] or "",
            "detached_at": row["detach_time"] or "", "attach_mode": row["attach_mode"],
            "connection_info": row["connection_info"] or None}
