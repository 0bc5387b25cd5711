"""JSON schemas of Keystone request bodies (validated before any responder runs)."""

_name = {"type": "string", "minLength": 1, "maxLength": 255}
_id = {"type": "string", "minLength": 1, "maxLength": 64}
_domain_ref = {"type": "object", "properties": {"id": _id, "name": _name},
               "anyOf": [{"required": ["id"]}, {"required": ["name"]}]}

AUTH = {
    "type": "object",
    "required": ["auth"],
    "properties": {"auth": {
        "type": "object",
        "required": ["identity"],
        "properties": {
            "identity": {
                "type": "object",
                "required": ["methods"],
                "properties": {
                    "methods": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "password": {"type": "object", "required": ["user"], "properties": {
                        "user": {"type": "object", "required": ["password"], "properties": {
                            "id": _id, "name": _name, "password": {"type": "string"},
                            "domain": _domain_ref}}}},
                    "token": {"type": "object", "required": ["id"],
                              "properties": {"id": {"type": "string"}}},
                },
            },
            "scope": {
                "anyOf": [{"type": "string", "enum": ["unscoped"]}, {
                    "type": "object",
                    "maxProperties": 1,
                    "properties": {
                        "project": {"type": "object", "properties": {
                            "id": _id, "name": _name, "domain": _domain_ref},
                            "anyOf": [{"required": ["id"]}, {"required": ["name", "domain"]}]},
                        "domain": _domain_ref,
                        "system": {"type": "object", "properties": {"all": {"type": "boolean"}}},
                    },
                }],
            },
        },
    }},
}

# -- identity resources -------------------------------------------------------------------
# Keystone keeps attributes it does not know, so entity bodies allow additional properties;
# `_never` marks the few a body must never set (the validator then names the field).
# Nullable types are where the CLI or SDK may send `null` for "not given".

_text = {"type": ["string", "null"], "maxLength": 4096}
_nullable_id = {"type": ["string", "null"], "maxLength": 64}
_enabled = {"type": ["boolean", "null"]}
_flag = {"type": ["boolean", "null"]}  # an option's value; null removes the option


def _options(properties: dict) -> dict:
    """Keystone's resource options: only the registered names, each with its value type
    (`null` is allowed for "not given")."""
    return {"type": ["object", "null"], "additionalProperties": False,
            "properties": properties}


# the options Keystone registers for users (stored and shown here, never acted upon)
_USER_OPTIONS = _options({
    "ignore_change_password_upon_first_use": _flag, "ignore_password_expiry": _flag,
    "ignore_lockout_failure_attempts": _flag, "lock_password": _flag,
    "ignore_user_inactivity": _flag, "multi_factor_auth_enabled": _flag,
    "multi_factor_auth_rules": {"type": ["array", "null"], "uniqueItems": True, "items": {
        "type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}}}})
# ... and for projects, domains and roles
_RESOURCE_OPTIONS = _options({"immutable": _flag})
# a user's links to identity providers (there are none here: see users.py)
_FEDERATED = {"type": "array", "items": {
    "type": "object", "required": ["idp_id", "protocols"], "properties": {
        "idp_id": {"type": "string"},
        "protocols": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["protocol_id", "unique_id"],
            "properties": {"protocol_id": {"type": "string"},
                           "unique_id": {"type": "string"}}}}}}}
_tag = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"}
_tags = {"type": ["array", "null"], "items": _tag, "maxItems": 80, "uniqueItems": True}
_never = {"not": {}}  # a property no request body may carry (`False` loses the path)


def _envelope(key: str, properties: dict, required: tuple = ()) -> dict:
    """`{"<key>": {...}}`, the single-entity envelope every Keystone request body uses."""
    return {"type": "object", "required": [key], "properties": {key: {
        "type": "object", "required": list(required), "properties": properties}}}


def _create_and_patch(key: str, properties: dict, required: tuple) -> tuple[dict, dict]:
    """The create schema (with `required`) and the PATCH schema (every field optional)."""
    return _envelope(key, properties, required), _envelope(key, properties)


_DOMAIN = {"id": _nullable_id, "name": {**_name, "maxLength": 64}, "description": _text,
           "enabled": _enabled, "tags": _tags, "options": _RESOURCE_OPTIONS}
DOMAIN_CREATE, DOMAIN_PATCH = _create_and_patch("domain", _DOMAIN, ("name",))

_PROJECT = {"id": _nullable_id, "name": {**_name, "maxLength": 64}, "domain_id": _nullable_id,
            "parent_id": _nullable_id, "description": _text, "enabled": _enabled,
            "is_domain": {"type": ["boolean", "null"]}, "tags": _tags,
            "options": _RESOURCE_OPTIONS}
PROJECT_CREATE, PROJECT_PATCH = _create_and_patch("project", _PROJECT, ("name",))

# passwords are checked in users.py, whose messages never repeat the password
_USER = {"id": _nullable_id, "name": _name, "domain_id": _nullable_id,
         "password": {"type": ["string", "null"]},
         "enabled": _enabled, "default_project_id": _nullable_id,
         "email": _text, "description": _text, "options": _USER_OPTIONS,
         "federated": _FEDERATED,
         # columns of the users table that only Keystone itself writes
         "password_hash": _never, "password_created_at": _never, "extra": _never}
USER_CREATE, USER_PATCH = _create_and_patch("user", _USER, ("name",))

USER_PASSWORD = _envelope("user", {"password": {"type": "string"},
                                   "original_password": {"type": "string"}},
                          ("password", "original_password"))

_GROUP = {"id": _nullable_id, "name": {**_name, "maxLength": 64}, "domain_id": _nullable_id,
          "description": _text}
GROUP_CREATE, GROUP_PATCH = _create_and_patch("group", _GROUP, ("name",))

_ROLE = {"id": _nullable_id, "name": _name, "domain_id": _nullable_id, "description": _text,
         "options": _RESOURCE_OPTIONS}
ROLE_CREATE, ROLE_PATCH = _create_and_patch("role", _ROLE, ("name",))

_REGION = {"id": {**_nullable_id, "maxLength": 255}, "description": _text,
           "parent_region_id": {**_nullable_id, "maxLength": 255}}
REGION_CREATE, REGION_PATCH = _create_and_patch("region", _REGION, ())

_SERVICE = {"id": _nullable_id, "type": {**_name, "maxLength": 255}, "name": _text,
            "description": _text, "enabled": _enabled}
SERVICE_CREATE, SERVICE_PATCH = _create_and_patch("service", _SERVICE, ("type",))

_ENDPOINT = {"id": _nullable_id, "service_id": _id,
             "interface": {"type": "string", "enum": ["public", "internal", "admin"]},
             "url": {"type": "string", "minLength": 1, "maxLength": 225,
                     "pattern": "^[a-zA-Z0-9+.-]+:.+"},
             "region_id": {**_nullable_id, "maxLength": 255},
             "region": {**_nullable_id, "maxLength": 255}, "enabled": _enabled}
ENDPOINT_CREATE, ENDPOINT_PATCH = _create_and_patch(
    "endpoint", _ENDPOINT, ("service_id", "interface", "url"))
