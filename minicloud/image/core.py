"""What every Glance resource module works on, and the rules they share.

`Glance` holds the config, the image records (store.py), the image files (files.py), the
size limit of one image and the clock; images.py, listing.py, data.py, tags.py and
actions.py are built around one. The rules below are Glance's default policy (minicloud
has no image members):

- Admins see and change every image.
- Anyone sees `public` and `community` images; `private` and `shared` ones only their
  owner project sees. An image the caller cannot see does not exist for them: 404
  "No image found with ID ...", as Glance answers.
- Only the owner project (or an admin) changes, uploads to, deactivates, reactivates or
  deletes an image: a visible image of another project is a 403.
- Listing without a `visibility` filter shows public images and the caller's own (every
  image, for an admin), but never another project's community images: those are listed
  only when asked for (`visibility=community` or `all`), as in Glance.
- Only an admin makes an image public, and no client sets what Glance itself sets
  (`status`, `size`, ...: schemas.READ_ONLY) or keeps for itself (`location`, `deleted`,
  `os_glance_*`): a 403, on create as in a JSON patch.
- Downloading a deactivated image is for admins only (403, data.py).
"""

from __future__ import annotations

import time

from minicloud.common import errors
from minicloud.image import schemas, views
from minicloud.image.files import FileStore
from minicloud.image.store import ImageStore

EVERYONE = ("public", "community")
VISIBILITIES = ("public", "private", "shared", "community")
RESERVED = ("location", "deleted", "deleted_at")


def no_image(image_id: str) -> str:
    """Glance's words for an image that is not there (or not there for this caller)."""
    return f"No image found with ID {image_id}"


def check_writable(key: str) -> None:
    """A client may neither set a read-only attribute nor a reserved one (403)."""
    if key in schemas.READ_ONLY:
        raise errors.Forbidden(f"Attribute '{key}' is read-only.")
    if key in RESERVED or key.startswith("os_glance"):
        raise errors.Forbidden(f"Attribute '{key}' is reserved.")


def publicize_forbidden() -> errors.Forbidden:
    return errors.Forbidden("You are not authorized to complete publicize_image action: "
                            "only an admin may make an image public.")


class Glance:
    def __init__(self, config, store: ImageStore, files: FileStore, clock=time.time):
        self.config = config
        self.store = store
        self.files = files
        self.image_size_limit = config.image_size_limit
        self.clock = clock

    def now(self) -> str:
        """The time stamp of a change (`updated_at`), Glance's format."""
        return views.now(self.clock)

    # -- who sees and changes what ----------------------------------------------------------
    @staticmethod
    def can_see(ctx, image: dict) -> bool:
        return ctx.is_admin or image["owner"] == ctx.project_id or \
            image["visibility"] in EVERYONE

    def visible(self, ctx, image_id: str) -> dict:
        image = self.store.image(image_id)
        if image is None or not self.can_see(ctx, image):
            raise errors.NotFound(no_image(image_id))
        return image

    def owned(self, ctx, image_id: str, action: str = "modify") -> dict:
        image = self.visible(ctx, image_id)
        if not ctx.is_admin and image["owner"] != ctx.project_id:
            raise errors.Forbidden(f"You are not permitted to {action} image {image_id}: "
                                   f"it belongs to another project.")
        return image

    def listable(self, ctx, visibility: str | None) -> list[dict]:
        """The images a listing may show the caller, before any other filter."""
        if visibility not in (None, "all", *VISIBILITIES):
            raise errors.BadRequest(f"Invalid visibility value: {visibility}")
        return self.store.listable_images(
            ctx.project_id, everything=ctx.is_admin,
            visibility=None if visibility == "all" else visibility,
            others_community=visibility is not None)
