"""JSON schemas of Neutron request bodies (checked before any responder runs).

Bodies are enveloped (`{"network": {...}}`). Unknown attributes are refused with 400, as
Neutron does; attributes of extensions minicloud does not implement but that the clients
may send with a null/empty value (qos_policy_id, dns_domain, ...) are accepted and ignored.
"""

_str = {"type": ["string", "null"], "maxLength": 255}
_text = {"type": ["string", "null"], "maxLength": 1024}
_id = {"type": ["string", "null"], "maxLength": 64}
_bool = {"type": ["boolean", "null"]}
_ids = {"type": ["array", "null"], "items": {"type": "string"}}
_ignored = {}  # accepted (any value) and ignored
_int_or_null = {"type": ["integer", "null"]}

_COMMON = {"name": _str, "description": _text, "project_id": _id, "tenant_id": _id,
           "tags": _ignored}


def _envelope(key: str, properties: dict, required: tuple = ()) -> dict:
    return {"type": "object", "required": [key], "additionalProperties": False,
            "properties": {key: {"type": "object", "required": list(required),
                                 "additionalProperties": False,
                                 "properties": {**_COMMON, **properties}}}}


_NETWORK = {"admin_state_up": _bool, "shared": _bool, "router:external": _bool,
            "provider:network_type": _str, "provider:physical_network": _str,
            "provider:segmentation_id": _int_or_null, "mtu": _int_or_null,
            "port_security_enabled": _bool, "availability_zone_hints": _ignored,
            "dns_domain": _ignored, "qos_policy_id": _ignored, "is_default": _ignored,
            "segments": _ignored}
NETWORK_CREATE = _envelope("network", _NETWORK)
NETWORK_UPDATE = _envelope("network", _NETWORK)

_pool = {"type": "object", "required": ["start", "end"], "additionalProperties": False,
         "properties": {"start": {"type": "string"}, "end": {"type": "string"}}}
_route = {"type": "object", "required": ["destination", "nexthop"],
          "additionalProperties": False,
          "properties": {"destination": {"type": "string"}, "nexthop": {"type": "string"}}}
_SUBNET = {"network_id": {"type": "string"}, "cidr": {"type": ["string", "null"]},
           "ip_version": {"enum": [4, 6]}, "gateway_ip": {"type": ["string", "null"]},
           "allocation_pools": {"type": ["array", "null"], "items": _pool},
           "enable_dhcp": _bool,
           "dns_nameservers": {"type": ["array", "null"], "items": {"type": "string"}},
           "host_routes": {"type": ["array", "null"], "items": _route},
           "subnetpool_id": _id, "prefixlen": _ignored, "use_default_subnetpool": _ignored,
           "ipv6_ra_mode": {"type": "null"}, "ipv6_address_mode": {"type": "null"},
           "segment_id": {"type": "null"}, "service_types": _ignored, "dns_publish_fixed_ip":
           _ignored}
SUBNET_CREATE = _envelope("subnet", _SUBNET, ("network_id",))
SUBNET_UPDATE = _envelope("subnet", {k: v for k, v in _SUBNET.items()
                                     if k not in ("network_id", "cidr", "ip_version")})

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
         "allowed_address_pairs": {"type": ["array", "null"]}, "dns_name": _ignored,
         "dns_domain": _ignored, "qos_policy_id": _ignored, "extra_dhcp_opts": _ignored,
         "propagate_uplink_status": _ignored, "numa_affinity_policy": _ignored}
PORT_CREATE = _envelope("port", _PORT, ("network_id",))
PORT_UPDATE = _envelope("port", {k: v for k, v in _PORT.items() if k != "network_id"})

_gateway = {"type": ["object", "null"], "additionalProperties": False, "properties": {
    "network_id": {"type": "string"}, "enable_snat": _bool,
    "external_fixed_ips": {"type": ["array", "null"], "items": _fixed_ip},
    "qos_policy_id": _ignored}}
_ROUTER = {"admin_state_up": _bool, "external_gateway_info": _gateway,
           "distributed": _bool, "ha": _bool, "routes": {"type": ["array", "null"],
                                                         "maxItems": 0},
           "availability_zone_hints": _ignored, "flavor_id": _ignored,
           "enable_ndp_proxy": _ignored}
ROUTER_CREATE = _envelope("router", _ROUTER)
ROUTER_UPDATE = _envelope("router", _ROUTER)
ROUTER_INTERFACE = {"type": "object", "additionalProperties": False, "properties": {
    "subnet_id": {"type": "string"}, "port_id": {"type": "string"}}}

_FIP = {"floating_network_id": {"type": "string"}, "floating_ip_address": _str,
        "subnet_id": _id, "port_id": _id, "fixed_ip_address": _str, "dns_domain": _ignored,
        "dns_name": _ignored, "qos_policy_id": _ignored}
FLOATINGIP_CREATE = _envelope("floatingip", _FIP, ("floating_network_id",))
FLOATINGIP_UPDATE = _envelope("floatingip", {k: v for k, v in _FIP.items()
                                             if k in ("port_id", "fixed_ip_address",
                                                      "description")})

_SG = {"stateful": _bool}
SECURITY_GROUP_CREATE = _envelope("security_group", _SG)
SECURITY_GROUP_UPDATE = _envelope("security_group", _SG)
SECURITY_GROUP_RULE_CREATE = _envelope("security_group_rule", {
    "security_group_id": {"type": "string"}, "direction": {"enum": ["ingress", "egress"]},
    "ethertype": {"enum": ["IPv4", "IPv6", None]},
    "protocol": {"type": ["string", "integer", "null"]},
    "port_range_min": _int_or_null, "port_range_max": _int_or_null,
    "remote_ip_prefix": _str, "remote_group_id": _id, "remote_address_group_id":
    {"type": "null"}}, ("security_group_id", "direction"))

QUOTA_UPDATE = {"type": "object", "required": ["quota"], "properties": {"quota": {
    "type": "object", "properties": {"check_limit": _bool, "force": _bool},
    "additionalProperties": {"type": "integer", "minimum": -1}}}}

AGENT_UPDATE = {"type": "object", "required": ["agent"], "properties": {"agent": {
    "type": "object", "additionalProperties": False,
    "properties": {"admin_state_up": {"type": "boolean"}, "description": _text}}}}
