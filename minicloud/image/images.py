"""`/v2/images` and `/v2/images/{image_id}`: the image records (`openstack image create,
list, show, set, delete`). The bytes are data.py's, the visibility rules core.py's, the
listing's filters and pages listing.py's, the JSON patch patch.py's.

A new image is `queued`: a record with no data. Create and update keep Glance's per-image
limits (quotas.py): 128 extra properties and 128 tags, a 413 beyond.
"""

from __future__ import annotations

import uuid

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json, validate
from minicloud.image import core, listing, patch, quotas, schemas, views
from minicloud.image.core import Glance


def check_create_fields(ctx, body: dict) -> None:
    """What a client may not set when creating an image (403, as Glance answers)."""
    for key in body:
        if key != "id":  # a client may choose the id
            core.check_writable(key)
    if body.get("owner") not in (None, ctx.project_id) and not ctx.is_admin:
        raise errors.Forbidden("You are not permitted to create images owned by another project.")
    if body.get("visibility") == "public" and not ctx.is_admin:
        raise core.publicize_forbidden()


def new_row(ctx, body: dict, stamp: str) -> dict:
    given = {k: body[k] for k in schemas.CORE if k in body}
    return {
        "id": str(uuid.UUID(body["id"])) if body.get("id") else str(uuid.uuid4()),
        "name": given.get("name"), "status": "queued",
        "visibility": given.get("visibility", "shared"),
        "protected": int(given.get("protected", False)),
        "os_hidden": int(given.get("os_hidden", False)),
        "checksum": None, "os_hash_algo": None, "os_hash_value": None, "size": None,
        "virtual_size": None, "min_disk": given.get("min_disk", 0),
        "min_ram": given.get("min_ram", 0), "disk_format": given.get("disk_format"),
        "container_format": given.get("container_format"),
        "owner": given.get("owner") or ctx.project_id, "created_at": stamp,
        "updated_at": stamp, "tags": list(dict.fromkeys(given.get("tags", []))),
        "properties": {k: v for k, v in body.items() if k not in schemas.CORE and k != "id"},
    }


class Images:
    def __init__(self, glance: Glance):
        self.glance = glance
        self.store = glance.store

    def on_get(self, req, resp):
        resp.media = listing.page(self.glance, req.context.ctx, req)

    def on_post(self, req, resp):
        ctx = req.context.ctx
        body = read_json(req, {"type": "object"})
        check_create_fields(ctx, body)
        validate(body, schemas.IMAGE)
        row = new_row(ctx, body, self.glance.now())
        quotas.check_properties(row["properties"])
        quotas.check_tags(body.get("tags", []))  # duplicates count, as in Glance
        with self.store.transaction():
            if self.store.image(row["id"]):
                raise errors.Conflict(f"Image with identifier {row['id']} already exists!")
            self.store.insert(row)
        resp.status = falcon.HTTP_201
        resp.location = f"/v2/images/{row['id']}"
        resp.media = views.image(row)


class Image:
    bodyless = frozenset({"GET", "DELETE"})  # a body there is a 400, as in Glance

    def __init__(self, glance: Glance):
        self.glance = glance
        self.store = glance.store

    def on_get(self, req, resp, image_id):
        resp.media = views.image(self.glance.visible(req.context.ctx, image_id))

    def on_patch(self, req, resp, image_id):
        ctx = req.context.ctx
        ops = patch.read(req)  # the document first: a bad one is a 400 whatever the image
        with self.store.transaction():
            image = self.glance.owned(ctx, image_id)
            changes = patch.apply(image, ops, ctx)
            if "properties" in changes:
                quotas.check_properties(changes["properties"], image["properties"])
            if changes:
                changes["updated_at"] = self.glance.now()
                self.store.update(image_id, changes)
        resp.media = views.image(self.store.image(image_id))

    def on_delete(self, req, resp, image_id):
        with self.store.transaction():
            image = self.glance.owned(req.context.ctx, image_id, "delete")
            if image["protected"]:
                raise errors.Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            self.store.delete(image_id)
        self.glance.files.delete(image_id)
        resp.status = falcon.HTTP_204
