"""JSON schemas of Nova's request bodies (loose where the real clients send extras)."""

from __future__ import annotations

from minicloud.compute.microversions import at_least

# Nova's `name` format: printable, no leading or trailing whitespace (so never blank).
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?![\s])[^\x00-\x1f\x7f]*(?<![\s])$"}
NULLABLE_STR = {"type": ["string", "null"]}
POSITIVE_INT = {"anyOf": [{"type": "integer", "minimum": 1},
                          {"type": "string", "pattern": "^[0-9]*[1-9][0-9]*$"}]}
# Metadata keys of servers (and images): 1 to 255 of these characters, values <= 255.
METADATA_DICT = {"type": "object", "patternProperties": {
    "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False}
BOOLEAN = {"enum": [True, False, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes",
                    "yes", "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No",
                    "no"]}
TRUE = ("true", "1", "on", "yes")


def as_bool(value) -> bool:
    """What a value that passed BOOLEAN means (Nova's strutils.bool_from_string)."""
    return value is True or str(value).lower() in TRUE

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
            "metadata": METADATA_DICT,
            "user_data": NULLABLE_STR, "availability_zone": NULLABLE_STR,
            "security_groups": {"type": "array", "items": {
                "type": "object", "properties": {"name": NAME}}},
            "min_count": POSITIVE_INT, "max_count": POSITIVE_INT,
            "accessIPv4": {"type": "string"}, "accessIPv6": {"type": "string"},
            "block_device_mapping_v2": {"type": "array"},
            "description": {"type": ["string", "null"], "maxLength": 255}, "config_drive": {},
            "adminPass": {"type": "string"}, "tags": {"type": "array"},
            "hostname": {"type": "string"}, "host": {"type": "string"},
            "hypervisor_hostname": {"type": "string"}, "return_reservation_id": BOOLEAN,
            "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        },
    }, "os:scheduler_hints": {"type": "object"}, "OS-SCH-HNT:scheduler_hints": {}},
}

SERVER_UPDATE = {"type": "object", "required": ["server"], "properties": {"server": {
    "type": "object", "properties": {
        "name": NAME, "description": {"type": ["string", "null"], "maxLength": 255},
        "accessIPv4": {"type": "string"}, "accessIPv6": {"type": "string"},
        "hostname": {"type": "string", "minLength": 1, "maxLength": 255,
                     "pattern": "^[a-zA-Z0-9-._]*$"},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}},
    "additionalProperties": False}}}

# Sizes are integers (or strings of digits) up to the database's INT maximum.
_SIZE = {"anyOf": [{"type": "integer", "maximum": 0x7FFFFFFF},
                   {"type": "string", "pattern": "^[0-9]+$", "maxLength": 10}]}
FLAVOR_POSITIVE = {"allOf": [_SIZE, {"not": {"enum": [0]}},
                             {"not": {"type": "string", "pattern": "^0+$"}}]}
FLAVOR_CREATE = {"type": "object", "required": ["flavor"], "properties": {"flavor": {
    "type": "object", "required": ["name", "ram", "vcpus", "disk"],
    "properties": {
        "name": NAME,
        # letters, digits, `. _-`, no leading or trailing blank; null: Nova makes a UUID
        "id": {"type": ["string", "integer", "null"], "minLength": 1, "maxLength": 255,
               "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
        "ram": FLAVOR_POSITIVE, "vcpus": FLAVOR_POSITIVE, "disk": _SIZE,
        "OS-FLV-EXT-DATA:ephemeral": _SIZE, "swap": _SIZE,
        "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                        "exclusiveMinimum": 0, "maximum": 3.40282e+38},
        "os-flavor-access:is_public": BOOLEAN,
        "description": {"type": ["string", "null"], "maxLength": 65535}},
    "additionalProperties": False}}, "additionalProperties": False}

EXTRA_SPECS = {"type": "object", "required": ["extra_specs"], "properties": {"extra_specs": {
    "type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}}}

def _keypair(name_pattern: str, extra: tuple = (), required=("name",)) -> dict:
    properties = {"name": {"allOf": [NAME, {"pattern": name_pattern}]},
                  "public_key": {"type": "string"}, "type": {"enum": ["ssh", "x509"]},
                  "user_id": {"type": "string"}}
    keep = ("name", "public_key") + extra
    return {"type": "object", "required": ["keypair"], "additionalProperties": False,
            "properties": {"keypair": {
                "type": "object", "required": list(required), "additionalProperties": False,
                "properties": {k: v for k, v in properties.items() if k in keep}}}}


# What a key pair create may carry, by microversion: `type` from 2.2, `user_id` from 2.10,
# `@` and `.` in names and a required public key from 2.92 (Nova no longer generates keys).
KEYPAIR_CREATE = {
    "2.1": _keypair(r"^[_\- a-zA-Z0-9]+$"),
    "2.2": _keypair(r"^[_\- a-zA-Z0-9]+$", ("type",)),
    "2.10": _keypair(r"^[_\- a-zA-Z0-9]+$", ("type", "user_id")),
    "2.92": _keypair(r"^[_\-@. a-zA-Z0-9]+$", ("type", "user_id"), ("name", "public_key")),
}


def keypair_create(req) -> dict:
    return KEYPAIR_CREATE[[v for v in KEYPAIR_CREATE if at_least(req, v)][-1]]

METADATA = {"type": "object", "required": ["metadata"], "properties": {
    "metadata": METADATA_DICT}, "additionalProperties": False}

META_ITEM = {"type": "object", "required": ["meta"], "properties": {"meta": {
    **METADATA_DICT, "minProperties": 1, "maxProperties": 1}},
    "additionalProperties": False}

SERVICE_UPDATE = {"type": "object", "properties": {
    "status": {"enum": ["enabled", "disabled"]}, "disabled_reason": NULLABLE_STR,
    "forced_down": {"type": "boolean"}}, "additionalProperties": False}

QUOTA_UPDATE = {"type": "object", "required": ["quota_set"], "additionalProperties": False,
                "properties": {"quota_set": {
                    "type": "object", "properties": {"force": BOOLEAN},
                    "additionalProperties": {"anyOf": [
                        {"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}]}}}}
