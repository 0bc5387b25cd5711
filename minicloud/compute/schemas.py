"""JSON schemas of Nova's request bodies (loose where the real clients send extras)."""

from __future__ import annotations

NAME = {"type": "string", "minLength": 1, "maxLength": 255}
NULLABLE_STR = {"type": ["string", "null"]}

NETWORK_ITEM = {"type": "object", "properties": {
    "uuid": {"type": "string"}, "port": NULLABLE_STR, "fixed_ip": NULLABLE_STR,
    "tag": {"type": "string"}}}

SERVER_CREATE = {
    "type": "object", "required": ["server"],
    "properties": {"server": {
        "type": "object", "required": ["name", "flavorRef"],
        "properties": {
            "name": NAME, "imageRef": {"type": ["string", "null"]},
            "flavorRef": {"type": ["string", "integer"]},
            "networks": {"oneOf": [{"type": "string", "enum": ["auto", "none"]},
                                   {"type": "array", "items": NETWORK_ITEM}]},
            "key_name": NULLABLE_STR,
            "metadata": {"type": "object", "additionalProperties": {"type": "string",
                                                                    "maxLength": 255}},
            "user_data": NULLABLE_STR, "availability_zone": NULLABLE_STR,
            "security_groups": {"type": "array", "items": {
                "type": "object", "properties": {"name": {"type": "string"}}}},
            "min_count": {"type": ["integer", "string"]},
            "max_count": {"type": ["integer", "string"]},
            "block_device_mapping_v2": {"type": "array"},
            "description": NULLABLE_STR, "config_drive": {},
            "adminPass": {"type": "string"}, "tags": {"type": "array"},
            "hostname": {"type": "string"}, "host": {"type": "string"},
            "hypervisor_hostname": {"type": "string"}, "return_reservation_id": {},
        },
    }, "os:scheduler_hints": {"type": "object"}, "OS-SCH-HNT:scheduler_hints": {}},
}

SERVER_UPDATE = {"type": "object", "required": ["server"], "properties": {"server": {
    "type": "object", "properties": {"name": NAME, "description": NULLABLE_STR,
                                     "accessIPv4": {}, "accessIPv6": {}, "hostname": {}},
    "additionalProperties": False}}}

FLAVOR_CREATE = {"type": "object", "required": ["flavor"], "properties": {"flavor": {
    "type": "object", "required": ["name", "ram", "vcpus", "disk"],
    "properties": {
        "name": NAME, "id": {"type": ["string", "null"]},
        "ram": {"type": ["integer", "string"]}, "vcpus": {"type": ["integer", "string"]},
        "disk": {"type": ["integer", "string"]},
        "OS-FLV-EXT-DATA:ephemeral": {"type": ["integer", "string"]},
        "swap": {"type": ["integer", "string"]}, "rxtx_factor": {"type": ["number", "string"]},
        "os-flavor-access:is_public": {"type": "boolean"}, "description": NULLABLE_STR},
    "additionalProperties": False}}}

EXTRA_SPECS = {"type": "object", "required": ["extra_specs"], "properties": {"extra_specs": {
    "type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}}}

KEYPAIR_CREATE = {"type": "object", "required": ["keypair"], "properties": {"keypair": {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255,
                            "pattern": r"^[a-zA-Z0-9 _.@-]+$"},
                   "public_key": {"type": "string"}, "type": {"enum": ["ssh", "x509"]},
                   "user_id": {"type": "string"}},
    "additionalProperties": False}}}

METADATA = {"type": "object", "required": ["metadata"], "properties": {"metadata": {
    "type": "object", "additionalProperties": {"type": "string", "maxLength": 255}}}}

META_ITEM = {"type": "object", "required": ["meta"], "properties": {"meta": {
    "type": "object", "minProperties": 1, "maxProperties": 1,
    "additionalProperties": {"type": "string", "maxLength": 255}}}}

SERVICE_UPDATE = {"type": "object", "properties": {
    "status": {"enum": ["enabled", "disabled"]}, "disabled_reason": NULLABLE_STR,
    "forced_down": {"type": "boolean"}}, "additionalProperties": False}

QUOTA_UPDATE = {"type": "object", "required": ["quota_set"], "properties": {"quota_set": {
    "type": "object", "additionalProperties": {"type": ["integer", "string"]}}}}
