"""Neutron request bodies: which attributes each resource accepts, and reading them.

A body is enveloped (`{"network": {...}}`) or, for a bulk create, a list under the
collection's name (`{"networks": [{...}, {...}]}`). The attributes a resource accepts are
exactly those of the extensions `GET /v2.0/extensions` lists: anything else is Neutron's
400 "Unrecognized attribute(s) 'qos_policy_id'", a missing required attribute is "Failed
to parse request. Required attribute 'ip_version' not specified", and an attribute that
cannot change is "Cannot update read-only attribute cidr". Values are then checked against
the JSON schema below; finer checks (addresses, ranges) are in attributes.py and the
resource modules.
"""

from __future__ import annotations

from minicloud.common.validation import read_json, validate
from minicloud.network.core import bad_request

# neutron-lib's validators refuse null for strings and booleans ("'None' is not a valid
# string", "'None' cannot be converted to boolean").
_str = {"type": "string", "maxLength": 255}
_text = {"type": "string", "maxLength": 1024}
_id = {"type": ["string", "null"], "maxLength": 64}
_bool = {"type": "boolean"}
_ids = {"type": ["array", "null"], "items": {"type": "string"}}
_int_or_null = {"type": ["integer", "null"]}

_COMMON = {"name": _str, "description": _text, "project_id": _id, "tenant_id": _id}
_OWNER = ("project_id", "tenant_id")
# neutron-lib converts these with convert_to_int: "1400" is 1400 (the CLI sends `--mtu`
# and `--provider-segment` as strings).
INTEGERS = ("mtu", "provider:segmentation_id", "port_range_min", "port_range_max",
            "prefixlen")


def _to_int(value):
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        if isinstance(value, (bool, float)):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid input for operation: '{value}' is not an integer.") \
            from None


def _bad(message: str, kind: str = "HTTPBadRequest"):
    return bad_request(message, kind)


class Body:
    """The attributes of one resource: all it knows, those required on POST and those a
    PUT may change."""

    def __init__(self, key: str, collection: str, properties: dict, required=(),
                 updatable=None, common=_COMMON):
        self.key, self.collection = key, collection
        self.known = {**common, **properties}
        self.required = tuple(required)
        self.updatable = set(updatable if updatable is not None
                             else set(self.known) - set(_OWNER))
        self.schema = {"type": "object", "properties": self.known}

    def create(self, req) -> tuple[list[dict], bool]:
        """The items of a POST and whether it was a bulk one."""
        body = read_json(req)
        if isinstance(body, dict) and self.collection in body and self.key not in body:
            items = body[self.collection]
            if not isinstance(items, list) or not items:
                raise _bad("Resources required")
            for item in items:
                self._check(item, post=True)
            return items, True
        return [self._check(self._item(body), post=True)], False

    def update(self, req) -> dict:
        return self._check(self._item(read_json(req)), post=False)

    def _item(self, body) -> dict:
        if not isinstance(body, dict) or self.key not in body:
            raise _bad(f"Unable to find '{self.key}' in request body")
        return body[self.key]

    def _check(self, item, *, post: bool) -> dict:
        if not isinstance(item, dict):
            raise _bad(f"Invalid input for {self.key}: a JSON object is required.")
        unknown = sorted(set(item) - set(self.known))
        if unknown:
            raise _bad(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
        if post:
            for attr in self.required:
                if attr not in item:
                    raise bad_request(f"Failed to parse request. Required attribute "
                                      f"'{attr}' not specified")
        else:
            for attr in sorted(set(item) - self.updatable):
                raise _bad(f"Cannot update read-only attribute {attr}")
        for attr in INTEGERS:
            if attr in item:
                item[attr] = _to_int(item[attr])
        return validate(item, self.schema)


NETWORK = Body("network", "networks", {
    "admin_state_up": _bool, "shared": _bool, "router:external": _bool,
    "provider:network_type": _str, "provider:physical_network": _str,
    "provider:segmentation_id": _int_or_null, "mtu": _int_or_null,
    "port_security_enabled": _bool})

_pool = {"type": "object", "required": ["start", "end"], "additionalProperties": False,
         "properties": {"start": {"type": "string"}, "end": {"type": "string"}}}
_route = {"type": "object", "required": ["destination", "nexthop"],
          "additionalProperties": False,
          "properties": {"destination": {"type": "string"}, "nexthop": {"type": "string"}}}
SUBNET = Body("subnet", "subnets", {
    "network_id": {"type": "string"}, "cidr": {"type": ["string", "null"]},
    "ip_version": {"enum": [4, 6]}, "gateway_ip": {"type": ["string", "null"]},
    "allocation_pools": {"type": ["array", "null"], "items": _pool},
    "enable_dhcp": _bool,
    "dns_nameservers": {"type": ["array", "null"], "items": {"type": "string"}},
    "host_routes": {"type": ["array", "null"], "items": _route},
    "subnetpool_id": _id, "prefixlen": {"type": ["integer", "null"]},
    "ipv6_ra_mode": {"type": "null"}, "ipv6_address_mode": {"type": "null"}},
    required=("network_id", "ip_version"),
    updatable=("name", "description", "gateway_ip", "allocation_pools", "dns_nameservers",
               "host_routes", "enable_dhcp"))

_fixed_ip = {"type": "object", "additionalProperties": False,
             "properties": {"subnet_id": {"type": "string"}, "ip_address": {"type": "string"}}}
_PORT = {"network_id": {"type": "string"}, "admin_state_up": _bool,
         "mac_address": {"type": ["string", "null"]},
         "fixed_ips": {"type": ["array", "null"], "items": _fixed_ip},
         "device_id": _str, "device_owner": _str, "security_groups": _ids,
         "port_security_enabled": _bool, "binding:host_id": _str,
         "binding:profile": {"type": ["object", "null"]},
         "binding:vnic_type": {"enum": ["normal", "direct", "macvtap", "baremetal",
                                        "direct-physical", "virtio-forwarder", None]},
         "allowed_address_pairs": {"type": ["array", "null"], "items": {"type": "object"}}}
PORT = Body("port", "ports", _PORT, required=("network_id",),
            updatable=set(_PORT) - {"network_id"} | {"name", "description"})

_gateway = {"type": ["object", "null"], "additionalProperties": False, "properties": {
    "network_id": {"type": "string"}, "enable_snat": _bool,
    "external_fixed_ips": {"type": ["array", "null"], "items": _fixed_ip}}}
ROUTER = Body("router", "routers", {"admin_state_up": _bool,
                                    "external_gateway_info": _gateway})
ROUTER_INTERFACE = {"type": "object", "additionalProperties": False, "properties": {
    "subnet_id": {"type": "string"}, "port_id": {"type": "string"}}}

# A floating IP has no name (Neutron's floatingip resource never had one).
FLOATINGIP = Body("floatingip", "floatingips", {
    "floating_network_id": {"type": "string"}, "floating_ip_address": _str,
    "subnet_id": _id, "port_id": _id, "fixed_ip_address": _str},
    required=("floating_network_id",),
    updatable=("port_id", "fixed_ip_address", "description"),
    common={k: v for k, v in _COMMON.items() if k != "name"})

SECURITY_GROUP = Body("security_group", "security_groups", {"stateful": _bool})
# A rule has no name either, and no PUT.
SECURITY_GROUP_RULE = Body("security_group_rule", "security_group_rules", {
    "security_group_id": {"type": "string"}, "direction": {"enum": ["ingress", "egress"]},
    "ethertype": {"enum": ["IPv4", "IPv6", None]},
    "protocol": {"type": ["string", "integer", "null"]},
    "port_range_min": _int_or_null, "port_range_max": _int_or_null,
    "remote_ip_prefix": _str, "remote_group_id": _id},
    required=("security_group_id", "direction"), updatable=(),
    common={k: v for k, v in _COMMON.items() if k != "name"})

QUOTA_UPDATE = {"type": "object", "required": ["quota"], "properties": {"quota": {
    "type": "object", "properties": {"check_limit": _bool, "force": _bool},
    "additionalProperties": {"type": "integer", "minimum": -1}}}}

AGENT_UPDATE = {"type": "object", "required": ["agent"], "properties": {"agent": {
    "type": "object", "additionalProperties": False,
    "properties": {"admin_state_up": {"type": "boolean"}, "description": _text}}}}
