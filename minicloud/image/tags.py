"""`/v2/images/{image_id}/tags/{tag}`: add (`openstack image add tag`) and remove one tag."""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.image import quotas
from minicloud.image.core import Glance


class ImageTag:
    bodyless = frozenset({"PUT", "DELETE"})

    def __init__(self, glance: Glance):
        self.glance = glance
        self.store = glance.store

    def on_put(self, req, resp, image_id, tag):
        if not 0 < len(tag) <= 255:
            raise errors.BadRequest("A tag is 1 to 255 characters long.")
        with self.store.transaction():
            image = self.glance.owned(req.context.ctx, image_id)
            if tag not in image["tags"]:
                quotas.check_tags([*image["tags"], tag])
                self._save(image_id, [*image["tags"], tag])
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, image_id, tag):
        with self.store.transaction():
            image = self.glance.owned(req.context.ctx, image_id)
            if tag not in image["tags"]:
                raise errors.NotFound(f"Tag {tag} not found on image {image_id}.")
            self._save(image_id, [t for t in image["tags"] if t != tag])
        resp.status = falcon.HTTP_204

    def _save(self, image_id: str, tags: list[str]) -> None:
        self.store.update(image_id, {"tags": tags, "updated_at": self.glance.now()})
