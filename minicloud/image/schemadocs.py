"""`/v2/schemas/image`, `/v2/schemas/images`, `/v2/schemas/member`, `/v2/schemas/members`:
the JSON-schema documents that describe Glance's bodies (glanceclient builds its image
model from them; every image names its own in `"schema": "/v2/schemas/image"`).

Their shape is Glance's: an image schema `{"name", "properties", "additionalProperties":
{"type": "string"}, "links"}` and a collection schema wrapping it with `first`, `next` and
`schema`. The properties listed are the ones minicloud returns (views.py) plus the extra
properties of Glance's default `schema-image.json`; Glance's `locations`, `direct_url` and
`stores` are left out, as minicloud never returns them. Member schemas describe image
members, which minicloud does not have; they are served because clients may ask for them.
"""

from __future__ import annotations

from minicloud.image import schemas

_STRING = {"type": "string"}
_TIME = {"type": "string", "readOnly": True}


def _image_properties() -> dict:
    properties = {
        "id": {"type": "string", "pattern": schemas.STRICT_UUID,
               "description": "The image's id (a UUID)."},
        "name": {"type": ["null", "string"], "maxLength": 255,
                 "description": "The image's name (need not be unique)."},
        "status": {"type": "string", "readOnly": True, "enum": schemas.STATUSES,
                   "description": "Where the image is in its life cycle."},
        "visibility": {"type": "string", "enum": schemas.VISIBILITIES,
                       "description": "Who may see the image."},
        "protected": {"type": "boolean", "description": "A protected image cannot be "
                                                         "deleted."},
        "os_hidden": {"type": "boolean", "description": "Hidden images are left out of "
                                                         "listings unless asked for."},
        "checksum": {"type": ["null", "string"], "readOnly": True, "maxLength": 32,
                     "description": "md5 of the data."},
        "os_hash_algo": {"type": ["null", "string"], "readOnly": True, "maxLength": 64,
                         "description": "The algorithm of os_hash_value."},
        "os_hash_value": {"type": ["null", "string"], "readOnly": True, "maxLength": 128,
                          "description": "Hex digest of the data."},
        "owner": {"type": ["null", "string"], "maxLength": 255,
                  "description": "The project that owns the image."},
        "size": {"type": ["null", "integer"], "readOnly": True,
                 "description": "Size of the data, in bytes."},
        "virtual_size": {"type": ["null", "integer"], "readOnly": True,
                         "description": "Size of the disk the data describes, in bytes."},
        "container_format": {"type": ["null", "string"],
                             "enum": [None, *schemas.CONTAINER_FORMATS],
                             "description": "Format of the container around the disk."},
        "disk_format": {"type": ["null", "string"], "enum": [None, *schemas.DISK_FORMATS],
                        "description": "Format of the disk."},
        "created_at": {**_TIME, "description": "When the image was created."},
        "updated_at": {**_TIME, "description": "When the image last changed."},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255},
                 "description": "Free-form labels."},
        "min_ram": {"type": "integer", "description": "RAM (MiB) a server needs to boot "
                                                      "it."},
        "min_disk": {"type": "integer", "description": "Disk (GiB) a server needs to boot "
                                                       "it."},
        "self": {**_STRING, "readOnly": True, "description": "The image's path."},
        "file": {**_STRING, "readOnly": True, "description": "The path of its data."},
        "schema": {**_STRING, "readOnly": True, "description": "The path of this schema."},
    }
    for key, rule in schemas.CUSTOM_PROPERTIES.items():
        properties[key] = {**rule, "is_base": False}  # as Glance marks them
    return properties


def image() -> dict:
    return {
        "name": "image",
        "properties": _image_properties(),
        "additionalProperties": {"type": "string"},
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def images() -> dict:
    return {
        "name": "images",
        "properties": {"images": {"type": "array", "items": image()},
                       "first": _STRING, "next": _STRING, "schema": _STRING},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def member() -> dict:
    return {
        "name": "member",
        "properties": {
            "image_id": {"type": "string", "pattern": schemas.STRICT_UUID,
                         "description": "The shared image."},
            "member_id": {"type": "string", "description": "The project it is shared "
                                                           "with."},
            "status": {"type": "string", "enum": ["pending", "accepted", "rejected"],
                       "description": "Whether that project accepted the image."},
            "created_at": {**_STRING, "description": "When the image was shared."},
            "updated_at": {**_STRING, "description": "When the membership last changed."},
            "schema": {**_STRING, "readOnly": True},
        },
    }


def members() -> dict:
    return {
        "name": "members",
        "properties": {"members": {"type": "array", "items": member()},
                       "schema": _STRING},
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }


DOCUMENTS = {"image": image, "images": images, "member": member, "members": members}


class Schema:
    """One schema document; Glance answers any other method with a 405."""
    bodyless = frozenset({"GET"})

    def __init__(self, name: str):
        self.document = DOCUMENTS[name]

    def on_get(self, req, resp):
        resp.media = self.document()
