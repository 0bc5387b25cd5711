"""JSON schemas of Cinder request bodies. The CLI sends a dozen `null` fields with every
volume create (`"snapshot_id": null, "imageRef": null, ...`): every optional field takes
null, and fields Cinder accepts but minicloud does not use are allowed and ignored."""

from __future__ import annotations

_text = {"type": ["string", "null"], "maxLength": 255}
_description = {"type": ["string", "null"], "maxLength": 65535}
_id = {"type": ["string", "null"], "maxLength": 255}
_metadata = {"type": ["object", "null"],
             "additionalProperties": {"type": "string", "maxLength": 255},
             "propertyNames": {"minLength": 1, "maxLength": 255}}
_size = {"type": ["integer", "string", "null"], "pattern": "^[0-9]+$"}

VOLUME_CREATE = {
    "type": "object", "required": ["volume"],
    "properties": {"volume": {
        "type": "object",
        "properties": {
            "size": _size, "name": _text, "description": _description,
            "display_name": _text, "display_description": _description,
            "metadata": _metadata, "snapshot_id": _id, "imageRef": _id, "image_id": _id,
            "source_volid": _id, "volume_type": _id, "availability_zone": _text,
            "consistencygroup_id": _id, "backup_id": _id, "group_id": _id,
            "multiattach": {"type": ["boolean", "null"]},
        },
    }, "OS-SCH-HNT:scheduler_hints": {"type": ["object", "null"]}},
}

VOLUME_UPDATE = {
    "type": "object", "required": ["volume"],
    "properties": {"volume": {
        "type": "object",
        "properties": {"name": _text, "description": _description, "display_name": _text,
                       "display_description": _description, "metadata": _metadata},
    }},
}

METADATA = {"type": "object", "required": ["metadata"],
            "properties": {"metadata": {**_metadata, "type": "object"}}}

VOLUME_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}

# Cinder's boolean parameter: JSON booleans and these spellings of them, nothing else
BOOLEAN = {"type": ["boolean", "string"],
           "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
                    "y", "t", False, "False", "FALSE", "false", "0", "OFF", "Off", "off",
                    "NO", "No", "no", "n", "f"]}
TRUE_WORDS = ("true", "1", "on", "yes", "y", "t")


def _flag_action(name: str) -> dict:
    return {"type": "object", "required": [name], "additionalProperties": False,
            "properties": {name: BOOLEAN}}


SET_BOOTABLE = _flag_action("bootable")
READONLY = _flag_action("readonly")

_status = {"type": ["string", "null"]}
RESET_STATUS = {"type": "object", "additionalProperties": False,
                "properties": {"status": _status, "attach_status": _status,
                               "migration_status": _status}}
# the values os-reset_status accepts (Cinder's VolumeStatus, attach and migration statuses)
VOLUME_STATUSES = ("creating", "available", "deleting", "error", "error_deleting",
                   "error_managing", "managing", "attaching", "in-use", "detaching",
                   "maintenance", "restoring-backup", "error_restoring", "reserved",
                   "awaiting-transfer", "backing-up", "error_backing-up", "error_extending",
                   "downloading", "uploading", "retyping", "extending")
ATTACH_STATUSES = ("attached", "detached")
MIGRATION_STATUSES = ("migrating", "error", "success", "completing", "none", "starting")

EXTEND = {"type": "object", "required": ["new_size"],
          "properties": {"new_size": {"type": ["integer", "string"], "pattern": "^[0-9]+$"}}}

SNAPSHOT_CREATE = {
    "type": "object", "required": ["snapshot"],
    "properties": {"snapshot": {
        "type": "object", "required": ["volume_id"],
        "properties": {"volume_id": {"type": "string"}, "name": _text,
                       "description": _description, "display_name": _text,
                       "force": {"type": ["boolean", "string", "null"]},
                       "metadata": _metadata},
    }},
}

SNAPSHOT_UPDATE = {
    "type": "object", "required": ["snapshot"],
    "properties": {"snapshot": {"type": "object", "properties": {
        "name": _text, "description": _description, "display_name": _text}}},
}

TYPE_CREATE = {
    "type": "object", "required": ["volume_type"],
    "properties": {"volume_type": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": _description,
                       "os-volume-type-access:is_public": {"type": ["boolean", "string",
                                                                    "null"]},
                       "extra_specs": _metadata},
    }},
}

TYPE_UPDATE = {
    "type": "object", "required": ["volume_type"],
    "properties": {"volume_type": {"type": "object", "properties": {
        "name": _text, "description": _description,
        "is_public": {"type": ["boolean", "string", "null"]}}}},
}

_connector = {"type": ["object", "null"]}

ATTACHMENT_CREATE = {
    "type": "object", "required": ["attachment"],
    "properties": {"attachment": {
        "type": "object", "required": ["volume_id"],
        "properties": {"volume_id": {"type": "string"},
                       "instance_uuid": {"type": ["string", "null"]},
                       "connector": _connector, "mode": {"enum": ["rw", "ro", None]}},
    }},
}

ATTACHMENT_UPDATE = {
    "type": "object", "required": ["attachment"],
    "properties": {"attachment": {"type": "object", "required": ["connector"],
                                  "properties": {"connector": {"type": "object"}}}},
}

QUOTA_UPDATE = {
    "type": "object", "required": ["quota_set"],
    "properties": {"quota_set": {"type": "object", "additionalProperties": {
        "type": ["integer", "string"], "pattern": "^-?[0-9]+$"}}},
}
