"""`/v3/{project_id}/types`: volume types (`openstack volume type list|show|create|delete`).

Every cloud has `__DEFAULT__` (Cinder creates it on its first start); a volume created
without `--type` gets it. Anyone lists and reads public types; only an admin creates,
changes or deletes one, and a type in use by a volume cannot be deleted.
"""

from __future__ import annotations

import falcon

from minicloud.common import errors, policy
from minicloud.common.validation import read_json
from minicloud.volume import schemas, views
from minicloud.volume.core import DEFAULT_TYPE, Cinder
from minicloud.volume.store import new_id, stamp


def _flag(value, default: bool = True) -> bool:
    if value is None:
        return default
    return str(value).lower() in ("true", "1", "yes")


def bootstrap(cinder: Cinder) -> None:
    with cinder.store.transaction():
        if cinder.store.volume_type_by_name(DEFAULT_TYPE) is None:
            cinder.store.insert_volume_type({
                "id": new_id(), "name": DEFAULT_TYPE, "description": "Default Volume Type",
                "is_public": 1, "extra_specs": {}, "created_at": stamp()})


def find(cinder: Cinder, ctx, type_id: str) -> dict:
    if type_id == "default":
        return cinder.default_type()
    row = cinder.store.volume_type(type_id)
    if row is None or (not row["is_public"] and not ctx.is_admin):
        raise errors.NotFound(f"Volume type {type_id} could not be found.")
    return row


class VolumeTypes:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp):
        ctx = req.context.ctx
        rows = self.cinder.store.volume_types()
        wanted = req.get_param("is_public")
        if not ctx.is_admin or wanted in ("true", "True", None):
            rows = [r for r in rows if r["is_public"]]
        elif wanted in ("false", "False"):
            rows = [r for r in rows if not r["is_public"]]
        resp.media = {"volume_types": [views.volume_type(req, r) for r in rows]}

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp):
        spec = read_json(req, schemas.TYPE_CREATE)["volume_type"]
        with self.cinder.store.transaction():
            if self.cinder.store.volume_type_by_name(spec["name"]) is not None:
                raise errors.Conflict(f"Volume Type {spec['name']} already exists.")
            row = self.cinder.store.insert_volume_type({
                "id": new_id(), "name": spec["name"], "description": spec.get("description"),
                "is_public": int(_flag(spec.get("os-volume-type-access:is_public"))),
                "extra_specs": spec.get("extra_specs") or {}, "created_at": stamp()})
        resp.media = {"volume_type": views.volume_type(req, row)}


class VolumeType:
    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp, type_id):
        resp.media = {"volume_type": views.volume_type(req, find(self.cinder, req.context.ctx,
                                                                 type_id))}

    @falcon.before(policy.require("admin"))
    def on_put(self, req, resp, type_id):
        spec = read_json(req, schemas.TYPE_UPDATE)["volume_type"]
        find(self.cinder, req.context.ctx, type_id)
        changes = {k: spec[k] for k in ("name", "description") if spec.get(k) is not None}
        if spec.get("is_public") is not None:
            changes["is_public"] = int(_flag(spec["is_public"]))
        if changes:
            self.cinder.store.update_volume_type(type_id, changes)
        resp.media = {"volume_type": views.volume_type(
            req, find(self.cinder, req.context.ctx, type_id), access=False)}

    @falcon.before(policy.require("admin"))
    def on_delete(self, req, resp, type_id):
        with self.cinder.store.transaction():
            row = find(self.cinder, req.context.ctx, type_id)
            if row["name"] == DEFAULT_TYPE:
                raise errors.BadRequest("Invalid volume type: The __DEFAULT__ volume type "
                                        "cannot be deleted.")
            if self.cinder.store.volume_type_in_use(type_id):
                raise errors.BadRequest(f"Target volume type is still in use: volume type "
                                        f"{type_id} is in use by volumes.")
            self.cinder.store.delete_volume_type(type_id)
        resp.status = falcon.HTTP_202


class VolumeTypeExtraSpecs:
    """`/types/{id}/extra_specs` (read by `volume type show`; stored, never acted on)."""

    def __init__(self, cinder: Cinder):
        self.cinder = cinder

    def on_get(self, req, resp, type_id):
        resp.media = {"extra_specs": find(self.cinder, req.context.ctx, type_id)["extra_specs"]}

    @falcon.before(policy.require("admin"))
    def on_post(self, req, resp, type_id):
        specs = read_json(req, {"type": "object", "required": ["extra_specs"]})["extra_specs"]
        with self.cinder.store.transaction():
            row = find(self.cinder, req.context.ctx, type_id)
            merged = {**row["extra_specs"], **{k: str(v) for k, v in specs.items()}}
            self.cinder.store.update_volume_type(type_id, {"extra_specs": merged})
        resp.media = {"extra_specs": merged}
