"""`/v2/images/{image_id}/actions/deactivate` and `.../reactivate` (`openstack image set
--deactivate` / `--activate`): take an active image out of service without deleting it.

A deactivated image keeps its record and its bytes and is still listed and shown, but only
an admin may download it (403 for everyone else: nova-compute cannot boot a new server from
it with a user's token). Only `active` and `deactivated` images take these actions; asking
again for the state an image is already in changes nothing; any other status is a 403, as
Glance's domain answers. Who may act: the owner project or an admin (core.py).
"""

from __future__ import annotations

import falcon

from minicloud.common import errors
from minicloud.image.core import Glance

# action: (the status it moves an image from, the status it moves it to)
MOVES = {"deactivate": ("active", "deactivated"), "reactivate": ("deactivated", "active")}


class ImageAction:
    bodyless = frozenset({"POST"})

    def __init__(self, glance: Glance, action: str):
        self.glance = glance
        self.store = glance.store
        self.action = action

    def on_post(self, req, resp, image_id):
        source, target = MOVES[self.action]
        with self.store.transaction():
            image = self.glance.owned(req.context.ctx, image_id, self.action)
            if image["status"] not in (source, target):
                raise errors.Forbidden(f"Not allowed to {self.action} image in status "
                                       f"'{image['status']}'")
            self.store.move_status(image_id, source, target, updated_at=self.glance.now())
        resp.status = falcon.HTTP_204
