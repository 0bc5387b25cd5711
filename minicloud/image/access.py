"""Who may see and change which image (Glance's visibility rules and default policy).

- Admins see and change every image.
- Anyone sees `public` and `community` images; `private` and `shared` ones only their
  owner project sees (minicloud has no image members). An image the caller cannot see
  does not exist for them: 404, as Glance answers.
- Only the owner project (or an admin) changes, uploads to or deletes an image: a visible
  image of another project is a 403.
- Listing without a `visibility` filter shows public images and the caller's own (every
  image, for an admin), but never another project's community images: those are listed
  only when asked for (`visibility=community` or `all`), as in Glance.
- Deactivating and reactivating an image is the owner's or an admin's (Glance's current
  default policy); downloading a deactivated image is for admins only (403).
"""

from __future__ import annotations

from minicloud.common import errors

EVERYONE = ("public", "community")


def can_see(ctx, image: dict) -> bool:
    return ctx.is_admin or image["owner"] == ctx.project_id or image["visibility"] in EVERYONE


def visible(store, ctx, image_id: str) -> dict:
    image = store.image(image_id)
    if image is None or not can_see(ctx, image):
        raise errors.NotFound(f"No image found with ID {image_id}")
    return image


def owned(store, ctx, image_id: str, action: str = "modify") -> dict:
    image = visible(store, ctx, image_id)
    if not ctx.is_admin and image["owner"] != ctx.project_id:
        raise errors.Forbidden(f"You are not permitted to {action} image {image_id}: it "
                               f"belongs to another project.")
    return image


def list_scope(ctx, visibility: str | None) -> tuple[str, list]:
    """The SQL condition for the images a caller's listing may show."""
    if visibility not in (None, "all", "public", "private", "shared", "community"):
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    where, params = [], []
    if visibility not in (None, "all"):
        where.append("visibility = ?")
        params.append(visibility)
    if visibility is None:
        where.append("(visibility != 'community' OR owner = ?)")
        params.append(ctx.project_id)
    if not ctx.is_admin:
        where.append("(visibility IN ('public', 'community') OR owner = ?)")
        params.append(ctx.project_id)
    return " AND ".join(where), params
