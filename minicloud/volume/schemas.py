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
