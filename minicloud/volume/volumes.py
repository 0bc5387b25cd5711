"""`/v3/{project_id}/volumes`: create, list, show, update, delete, extend
(`openstack volume create|list|show|set|delete`).

A new volume is `creating`; cinder-api casts it to cinder-scheduler, which picks a storage
node and casts to that node's cinder-volume; the node reports `available` (or `error`)
back over RPC (reports.py). Delete moves it to `deleting` and the node's report removes the
row. The status machine: creating -> available -> reserved -> attaching -> in-use ->
detaching -> available -> deleting (and extending -> available).
"""

from __future__ import annotations

import ast
import urllib.parse

import falcon
import requests

from minicloud.common import errors, pagination, policy
from minicloud.common.clients import ServiceError
from minicloud.common.validation import read_json, validate
from minicloud.volume import microversions, schemas, views
from minicloud.volume.core import Cinder, invalid, not_found
from minicloud.volume.store import VOLUME_FILTERS, new_id, stamp

DEFAULT_LIMIT, MAX_LIMIT = 1000, 1000
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")


# -- logic (shared with tests and the bench) -------------------------------------------------

def _size(value) -> int:
    if value is None:
        return 0
    size = int(value)
    if size <= 0:
        raise errors.BadRequest(f"Invalid input received: volume size '{value}' must be an "
                                f"integer and greater than 0.")
    return size


def _from_image(cinder: Cinder, ctx, image_id: str, size: int) -> dict:
    """Glance's image, checked as Cinder checks it before accepting the volume."""
    if cinder.images is None:
        raise errors.BadRequest("Images are not available in this deployment.")
    try:
        image = cinder.images.get(image_id, token=ctx.auth_token)
    except ServiceError as exc:  # Glance said no
        if exc.status in (400, 403, 404):
            raise errors.BadRequest(f"Invalid image identifier or unable to access requested "
                                    f"image: {image_id}.") from None
        raise errors.ApiError(f"Glance could not be asked about image {image_id}: {exc}") from None
    except requests.RequestException as exc:  # Glance is not there
        raise errors.ApiError(f"Glance could not be asked about image {image_id}: {exc}") from None
    if image.get("status") != "active":
        raise errors.BadRequest(f"Invalid input received: Image {image_id} is not active.")
    gigabytes = max(1, -(-(image.get("size") or 0) // 1024**3))
    needed = max(gigabytes, image.get("min_disk") or 0)
    if size < needed:
        raise errors.BadRequest(f"Invalid input received: Size of specified image "
                                f"{gigabytes}GB is larger than volume size {size}GB.")
    return image


def _source(cinder: Cinder, ctx, spec: dict, size: int) -> tuple[dict, int]:
    """The columns a volume's source sets (snapshot, volume or image), and its size."""
    source = {"snapshot_id": None, "source_volid": None, "image_id": None}
    if spec.get("snapshot_id"):
        snap = cinder.snapshot(ctx, spec["snapshot_id"])
        if snap["status"] != "available":
            raise invalid("snapshot", f"Originating snapshot status must be one of "
                                      f"'available' values")
        size = size or snap["size"]
        if size < snap["size"]:
            raise errors.BadRequest(f"Invalid input received: Volume size '{size}'GB cannot "
                                    f"be smaller than the snapshot size {snap['size']}GB.")
        source["snapshot_id"] = snap["id"]
    elif spec.get("source_volid"):
        src = cinder.volume(ctx, spec["source_volid"])
        if src["status"] not in ("available", "in-use"):
            raise invalid("volume", "Source volume status must be available or in-use.")
        size = size or src["size"]
        source["source_volid"] = src["id"]
    image_id = spec.get("imageRef") or spec.get("image_id")
    if image_id:
        if not size:
            raise errors.BadRequest("Invalid input received: size is required.")
        _from_image(cinder, ctx, image_id, size)
        source["image_id"] = image_id
    if not size:
        raise errors.BadRequest("Invalid input received: size is required (or a snapshot or "
                                "source volume to take it from).")
    return source, size


def create(cinder: Cinder, ctx, spec: dict) -> dict:
    size = _size(spec.get("size"))
    source, size = _source(cinder, ctx, spec, size)
    vtype = (cinder.volume_type(spec["volume_type"]) if spec.get("volume_type")
             else cinder.default_type())
    now = stamp(cinder.clock())
    row = {"id": new_id(), "name": spec.get("name") or spec.get("display_name"),
           "description": spec.get("description") or spec.get("display_description"),
           "project_id": ctx.project_id, "user_id": ctx.user_id, "size": size,
           "status": "creating", "attach_status": "detached", "volume_type_id": vtype["id"],
           "host": None, "availability_zone": spec.get("availability_zone") or "nova",
           "bootable": 0, **source, "metadata": spec.get("metadata") or {},
           "image_metadata": {}, "created_at": now, "updated_at": None}
    with cinder.store.transaction():
        cinder.check_quota(ctx.project_id, "volumes", size)
        cinder.store.insert_volume(row)
    schedule(cinder, ctx, row)
    return row


def schedule(cinder: Cinder, ctx, row: dict) -> None:
    """cinder-api -> cinder-scheduler (cast): pick a backend and create the volume there."""
    if cinder.scheduler is None:
        return
    spec = {"volume_id": row["id"], "size": row["size"], "snapshot_id": row["snapshot_id"],
            "source_volid": row["source_volid"], "image_id": row["image_id"]}
    # a copy is made where its source lives
    if row["snapshot_id"]:
        spec["source_host"] = cinder.store.snapshot(row["snapshot_id"])["host"]
    elif row["source_volid"]:
        spec["source_host"] = cinder.store.volume(row["source_volid"])["host"]
    cinder.scheduler.cast(ctx, "create_volume", request_spec=spec)


def delete(cinder: Cinder, ctx, volume_id: str, cascade: bool = False) -> None:
    with cinder.store.transaction():
        row = cinder.volume(ctx, volume_id)
        if row["status"] not in DELETABLE or row["attach_status"] != "detached":
            raise invalid("volume", "Volume status must be available or error or "
                                    "error_restoring or error_extending or error_managing and "
                                    "must not be migrating, attached, belong to a group, have "
                                    "snapshots, awaiting a transfer, or be disassociated from "
                                    "snapshots after volume transfer.")
        snaps = cinder.store.snapshots_of_volume(volume_id)
        if snaps and not cascade:
            raise invalid("volume", f"Volume {volume_id} still has {len(snaps)} dependent "
                                    f"snapshots.")
        if any(s["status"] not in ("available", "error") for s in snaps):
            raise invalid("volume", "Snapshots of the volume are busy.")
        cinder.store.move_volume(volume_id, DELETABLE, "deleting")
        for snap in snaps:
            cinder.store.update_snapshot(snap["id"], {"status": "deleting"})
    if row["host"] is None or cinder.volume_rpc is None:  # never reached a storage node
        with cinder.store.transaction():
            for snap in snaps:
                cinder.store.delete_snapshot(snap["id"])
            cinder.store.delete_volume(volume_id)
        return
    cinder.volume_host(row["host"]).cast(ctx, "delete_volume", volume_id=volume_id,
                                         snapshot_ids=[s["id"] for s in snaps])


def extend(cinder: Cinder, ctx, volume_id: str, new_size: int) -> None:
    with cinder.store.transaction():
        row = cinder.volume(ctx, volume_id)
        if row["status"] != "available":
            raise invalid("volume", f"Volume {volume_id} status must be available to extend, "
                                    f"but current status is: {row['status']}.")
        if new_size <= row["size"]:
            raise errors.BadRequest(f"Invalid input received: New size for extend must be "
                                    f"greater than current size. (current: {row['size']}, "
                                    f"extended: {new_size}).")
        cinder.check_quota(row["project_id"], None, new_size - row["size"])
        cinder.store.move_volume(volume_id, ("available",), "extending")
    cinder.volume_host(row["host"]).cast(ctx, "extend_volume", volume_id=volume_id,
                                         new_size=new_size)


# -- listing ---------------------------------------------------------------------------------

def all_tenants(req) -> bool:
    """`?all_tenants=True` (`--all-projects`): every project's rows, for an admin only."""
    value = req.get_param("all_tenants")
    return (value is not None and value.lower() in ("", "1", "true", "yes")
            and req.context.ctx.is_admin)


def _scope(req) -> tuple[str | None, dict]:
    """The project whose volumes are listed (None: every project's) and the filters."""
    if all_tenants(req):
        project = req.get_param("project_id") or None
    else:
        project = req.context.ctx.project_id
    filters = {}
    for name in VOLUME_FILTERS:
        value = req.get_param(name)
        if value is not None:
            if name == "bootable":
                value = int(value.lower() in ("true", "1", "yes"))
            filters[name] = value
    return project, filters


def with_count(req) -> bool:
    """`?with_count=true` (3.45+): the list answer carries the total number of matches."""
    value = req.get_param("with_count")
    return (value is not None and microversions.at_least(req, "3.45")
            and value.lower() in ("true", "1", "yes", "on"))


def page(req, rows: list[dict], collection: str) -> tuple[list[dict], list[dict]]:
    """Rows after `marker`, at most `limit`, and the `<collection>_links` next link."""
    rows = pagination.after_marker(rows, req.get_param("marker"), lambda marker: (
        errors.NotFound(f"Marker {marker} could not be found.")))
    try:
        limit = min(int(req.get_param("limit") or DEFAULT_LIMIT), MAX_LIMIT)
    except ValueError:
        raise errors.BadRequest("Invalid input received: limit must be an integer.") from None
    if limit < 0:
        raise errors.BadRequest("Invalid input received: limit must be >= 0.")
    links = []
    if len(rows) > limit:
        query = {k: v for k, v in req.params.items() if k != "marker"}
        query.update(limit=limit, marker=rows[limit - 1]["id"] if limit else "")
        project = req.context.get("url_project_id")
        base = f"{req.scheme}://{req.netloc}/v3" + (f"/{project}" if project else "")
        links = [{"rel": "next", "href": f"{base}{collection}?"
                                          f"{urllib.parse.urlencode(query, doseq=True)}"}]
    return rows[:limit], links


class Volumes:
    def __init__(self, cinder: Cinder, detail: bool = False):
        self.cinder, self.detail = cinder, detail

    def on_get(self, req, resp):
        project, filters = _scope(req)
        rows = self.cinder.store.volumes(project, **filters)
        metadata = req.get_param("metadata")
        if metadata:
            rows = [r for r in rows if _metadata_matches(r["metadata"], metadata)]
        total = len(rows)
        rows, links = page(req, rows, "/volumes/detail" if self.detail else "/volumes")
        if self.detail:
            body = {"volumes": [render(self.cinder, req, r) for r in rows]}
        else:
            body = {"volumes": [views.volume_summary(req, r) for r in rows]}
        if links:
            body["volumes_links"] = links
        if with_count(req):
            body["count"] = total
        resp.media = body

    def on_post(self, req, resp):
        body = read_json(req, schemas.VOLUME_CREATE)
        row = create(self.cinder, req.context.ctx, body["volume"])
        resp.status = falcon.HTTP_202
        resp.media = {"volume": render(self.cinder, req, row, extended=False)}


def _metadata_matches(metadata: dict, wanted: str) -> bool:
    """`?metadata={'k': 'v'}` (the CLI's `--property k=v`): every pair must match."""
    try:
        pairs = ast.literal_eval(wanted)
    except (ValueError, SyntaxError):
        return False
    return isinstance(pairs, dict) and all(metadata.get(k) == v for k, v in pairs.items())


def render(cinder: Cinder, req, row: dict, extended: bool = True) -> dict:
    """The volume as show and detail lists (`extended`), or create and update, answer it."""
    attachments = cinder.store.attachments_of_volume(row["id"])
    vtype = cinder.store.volume_type(row["volume_type_id"] or "")
    return views.volume(req, row, attachments, vtype, extended=extended)


class Volume:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp, volume_id):
        resp.media = {"volume": render(self.cinder, req, self.cinder.volume(req.context.ctx,
                                                                            volume_id))}

    def on_put(self, req, resp, volume_id):
        spec = read_json(req, schemas.VOLUME_UPDATE)["volume"]
        ctx = req.context.ctx
        self.cinder.volume(ctx, volume_id)
        changes = {}
        for key, column in (("name", "name"), ("display_name", "name"),
                            ("description", "description"),
                            ("display_description", "description"),
                            ("metadata", "metadata")):
            if key in spec:
                changes[column] = spec[key] if key != "metadata" else (spec[key] or {})
        if changes:
            self.cinder.store.update_volume(volume_id, changes)
        resp.media = {"volume": render(self.cinder, req, self.cinder.volume(ctx, volume_id),
                                       extended=False)}

    def on_delete(self, req, resp, volume_id):
        cascade = (req.get_param("cascade") or "false").lower() in ("true", "1", "yes")
        delete(self.cinder, req.context.ctx, volume_id, cascade=cascade)
        resp.status = falcon.HTTP_202


def _reset_changes(args) -> dict:
    """The columns an os-reset_status body sets, checked as Cinder checks them. A
    `migration_status` is accepted and dropped: volumes never migrate here."""
    validate(args, schemas.RESET_STATUS)
    allowed = {"status": schemas.VOLUME_STATUSES, "attach_status": schemas.ATTACH_STATUSES,
               "migration_status": schemas.MIGRATION_STATUSES}
    if not any(args.get(key) for key in allowed):
        raise errors.BadRequest("Invalid input received: Must specify 'status', "
                                "'attach_status' or 'migration_status' for update.")
    for key, values in allowed.items():
        if args.get(key) and args[key].lower() not in values:
            raise errors.BadRequest(f"Invalid input received: {key} {args[key]} is invalid, "
                                    f"valid values are: {', '.join(values)}.")
    return {k: args[k].lower() for k in ("status", "attach_status") if args.get(k)}


DETACH_ACTIONS = {"os-begin_detaching": ("in-use", "detaching"),
                  "os-roll_detaching": ("detaching", "in-use")}


class VolumeAction:
    """`POST /volumes/{id}/action`: os-extend (`volume set --size`), os-set_bootable,
    os-reset_status (admin), os-begin_detaching / os-roll_detaching (Nova),
    os-update_readonly_flag (validated, then ignored). The flags take Cinder's booleans
    (true/false and spellings such as "yes", "0"); anything else is a 400."""

    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_post(self, req, resp, volume_id):
        body = read_json(req, schemas.VOLUME_ACTION)
        (action, args), = body.items()
        ctx = req.context.ctx
        if action == "os-extend":
            validate(args, schemas.EXTEND)
            extend(self.cinder, ctx, volume_id, int(args["new_size"]))
        elif action == "os-set_bootable":
            validate(args, schemas.SET_BOOTABLE)
            self.cinder.volume(ctx, volume_id)
            flag = str(args["bootable"]).lower() in schemas.TRUE_WORDS
            self.cinder.store.update_volume(volume_id, {"bootable": int(flag)})
        elif action == "os-reset_status":
            policy.enforce(ctx, "admin")
            changes = _reset_changes(args)
            self.cinder.volume(ctx, volume_id)
            if changes:
                self.cinder.store.update_volume(volume_id, changes)
        elif action in DETACH_ACTIONS:  # Nova, around a detach
            before, after = DETACH_ACTIONS[action]
            volume = self.cinder.volume(ctx, volume_id)
            if not self.cinder.store.move_volume(volume_id, (before,), after):
                raise invalid("volume", f"Volume {volume_id} status must be {before}, but "
                                        f"current status is: {volume['status']}.")
        elif action == "os-update_readonly_flag":
            validate(args, schemas.READONLY)
            self.cinder.volume(ctx, volume_id)
        else:
            raise errors.BadRequest(f"There is no such action: {action}")
        resp.status = falcon.HTTP_202


class VolumeMetadata:
    """`/volumes/{id}/metadata` (`volume set --property`, `volume unset --property`)."""

    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp, volume_id):
        resp.media = {"metadata": self.cinder.volume(req.context.ctx, volume_id)["metadata"]}

    def on_post(self, req, resp, volume_id):  # merge
        self._write(req, resp, volume_id, replace=False)

    def on_put(self, req, resp, volume_id):  # replace
        self._write(req, resp, volume_id, replace=True)

    def _write(self, req, resp, volume_id, replace: bool):
        new = read_json(req, schemas.METADATA)["metadata"]
        with self.cinder.store.transaction():
            row = self.cinder.volume(req.context.ctx, volume_id)
            metadata = new if replace else {**row["metadata"], **new}
            self.cinder.store.update_volume(volume_id, {"metadata": metadata})
        resp.media = {"metadata": metadata}


class VolumeMetadataItem:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp, volume_id, key):
        metadata = self.cinder.volume(req.context.ctx, volume_id)["metadata"]
        if key not in metadata:
            raise not_found("Metadata key", key)
        resp.media = {"meta": {key: metadata[key]}}

    def on_delete(self, req, resp, volume_id, key):
        with self.cinder.store.transaction():
            metadata = self.cinder.volume(req.context.ctx, volume_id)["metadata"]
            if key not in metadata:
                raise not_found("Metadata key", key)
            metadata.pop(key)
            self.cinder.store.update_volume(volume_id, {"metadata": metadata})
