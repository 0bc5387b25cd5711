"""Glance's per-image limits: at most `image_property_quota` extra properties and
`image_tag_quota` tags (128 each by default). Going over is a 413, on create, on a JSON
patch and on `PUT .../tags/{tag}`, as Glance answers.

An image already over the property limit (made before a lower limit) may still be changed,
as long as the change adds no property: Glance counts only when a property is added.
"""

from __future__ import annotations

from minicloud.common import errors
from minicloud.image import schemas


def _over(what: str, attempted: int, maximum: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"The limit has been exceeded on the number of allowed "
                                  f"image {what}. Attempted: {attempted}, Maximum: {maximum}")


def check_properties(properties: dict, before: dict | None = None) -> None:
    """`before`: the properties the image had (None for a new image)."""
    if before is not None and set(properties) <= set(before):
        return  # nothing added
    counted = [k for k in properties if not k.startswith("os_glance")]
    if len(counted) > schemas.MAX_PROPERTIES:
        raise _over("properties", len(counted), schemas.MAX_PROPERTIES)


def check_tags(tags: list) -> None:
    if len(tags) > schemas.MAX_TAGS:
        raise _over("tags", len(tags), schemas.MAX_TAGS)
