"""JSON schemas of Glance request bodies: the image (create, and each value a JSON patch
sets). The documents served at `/v2/schemas/...` are schemadocs.py's, built on these.

Glance keeps any extra property a client sends, as a string, at the top level of the image
(`hw_disk_bus`, `owner_specified.openstack.md5`, ...), so the image schema allows
additional properties but only string ones. A few extra properties are described by the
`schema-image.json` every Glance installs (CUSTOM_PROPERTIES), and are checked too: a
`kernel_id` must look like an image id.
"""

from __future__ import annotations

DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
VISIBILITIES = ["public", "private", "shared", "community"]
STATUSES = ["queued", "saving", "active", "deactivated"]

UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
STRICT_UUID = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
               "-([0-9a-fA-F]){12}$")

# Set by Glance itself, never by a client (403 "is read-only", as Glance answers).
READ_ONLY = ("id", "status", "checksum", "os_hash_algo", "os_hash_value", "size",
             "virtual_size", "created_at", "updated_at", "self", "file", "schema",
             "direct_url", "locations", "stores")
# Attributes every image has (patch may replace them, never remove them).
CORE = ("name", "visibility", "protected", "os_hidden", "min_disk", "min_ram", "tags",
        "disk_format", "container_format", "owner")

# Quotas, Glance's defaults: `image_property_quota` and `image_tag_quota` (413 beyond).
MAX_PROPERTIES = 128
MAX_TAGS = 128

_tag = {"type": "string", "minLength": 1, "maxLength": 255}

# The extra properties Glance's default `schema-image.json` describes (names, types and
# rules are Glance's; the descriptions are ours).
CUSTOM_PROPERTIES = {
    "kernel_id": {"type": ["null", "string"], "pattern": STRICT_UUID,
                  "description": "The image to boot as the kernel of an AMI-style image."},
    "ramdisk_id": {"type": ["null", "string"], "pattern": STRICT_UUID,
                   "description": "The image to use as the ramdisk of an AMI-style image."},
    "instance_uuid": {"type": "string",
                      "description": "The server this image was made from (information "
                                     "only)."},
    "architecture": {"type": "string", "description": "CPU architecture, e.g. x86_64."},
    "os_distro": {"type": "string", "description": "Operating system, e.g. ubuntu."},
    "os_version": {"type": "string", "description": "Operating system version."},
    "description": {"type": "string", "description": "Free text about the image."},
    "cinder_encryption_key_id": {"type": "string",
                                 "description": "Key of an encrypted volume's image."},
    "cinder_encryption_key_deletion_policy": {
        "type": "string", "enum": ["on_image_deletion", "do_not_delete"],
        "description": "Whether deleting the image deletes that key."},
}

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
        "tags": {"type": "array", "items": _tag},  # more than MAX_TAGS: 413, not 400
        **{k: {key: v for key, v in rule.items() if key != "description"}
           for k, rule in CUSTOM_PROPERTIES.items()},
    },
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": {"type": "string", "maxLength": 65535},
}
