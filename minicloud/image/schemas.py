"""JSON schemas of Glance request bodies: the image (create, and each value a JSON patch
sets) and the JSON patch document itself.

Glance keeps any extra property a client sends, as a string, at the top level of the image
(`hw_disk_bus`, `owner_specified.openstack.md5`, ...), so the image schema allows
additional properties but only string ones.
"""

from __future__ import annotations

DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
VISIBILITIES = ["public", "private", "shared", "community"]
STATUSES = ["queued", "saving", "active"]

UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"

# Set by Glance itself, never by a client (403 "is read-only", as Glance answers).
READ_ONLY = ("id", "status", "checksum", "os_hash_algo", "os_hash_value", "size",
             "virtual_size", "created_at", "updated_at", "self", "file", "schema",
             "direct_url", "locations", "stores")
# Attributes every image has (patch may replace them, never remove them).
CORE = ("name", "visibility", "protected", "os_hidden", "min_disk", "min_ram", "tags",
        "disk_format", "container_format", "owner")

_tag = {"type": "string", "minLength": 1, "maxLength": 255}

IMAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": UUID},
        "name": {"type": ["string", "null"], "maxLength": 255},
        "visibility": {"enum": VISIBILITIES},
        "protected": {"type": "boolean"},
        "os_hidden": {"type": "boolean"},
        "min_disk": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        "min_ram": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        "disk_format": {"enum": [*DISK_FORMATS, None]},
        "container_format": {"enum": [*CONTAINER_FORMATS, None]},
        "owner": {"type": ["string", "null"], "maxLength": 255},
        "tags": {"type": "array", "items": _tag, "maxItems": 128},
    },
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": {"type": "string", "maxLength": 65535},
}

PATCH_MEDIA_TYPES = ("application/openstack-images-v2.1-json-patch",
                     "application/openstack-images-v2.0-json-patch")

PATCH = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "replace", "remove"]},
            "path": {"type": "string", "pattern": "^/[^/]+$"},
            "value": {},
        },
        "if": {"properties": {"op": {"enum": ["add", "replace"]}}},
        "then": {"required": ["value"]},
    },
}
