"""`/v2.0/security-group-rules` (`openstack security group rule ...`).

Validation follows Neutron: a protocol is a known name or a number 0-255; a port is
0-65535; a port range needs a protocol that has ports (tcp, udp, sctp, dccp, udplite),
with both ends given, none 0 and min <= max (1-65535 is stored as no range); for icmp the
two fields are the ICMP type and code, 0-255, and a code needs a type; other protocols
take no ports. The `remote_ip_prefix` must be of the rule's ethertype family; an
identical rule is a 409 SecurityGroupRuleExists. Rules can be created in bulk
(`{"security_group_rules": [...]}`), all or none.
"""

from __future__ import annotations

import ipaddress

import falcon

from minicloud.common import policy
from minicloud.network import bulk, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict
from minicloud.network.store import new_id

PROTOCOLS = {"ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1,
             "igmp": 2, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58,
             "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89,
             "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
             "vrrp": 112}
WITH_PORTS = {"tcp", "udp", "sctp", "dccp", "udplite", "6", "17", "132", "33", "136"}
ICMP = {"icmp", "ipv6-icmp", "icmpv6", "1", "58"}


def view(row: dict, group: dict | None = None) -> dict:
    body = {k: row[k] for k in ("id", "project_id", "description", "created_at", "updated_at",
                                "revision_number", "security_group_id", "direction",
                                "ethertype", "protocol", "port_range_min", "port_range_max",
                                "remote_ip_prefix", "remote_group_id")}
    body.update(tenant_id=row["project_id"], normalized_cidr=normalized(row["remote_ip_prefix"]),
                belongs_to_default_sg=bool(group and group["name"] == "default"))
    return body


def _protocol(value) -> str | None:
    if value is None or str(value).lower() in ("", "any"):
        return None
    text = str(value).lower()
    if text in PROTOCOLS or (text.isdigit() and 0 <= int(text) <= 255):
        return text
    raise bad_request(f"Security group rule protocol {value} not supported. Only protocol "
                      f"values [{', '.join(sorted(PROTOCOLS))}] and integer representations "
                      "[0 to 255] are supported.", "SecurityGroupRuleInvalidProtocol")


def _port_value(value):
    """neutron's convert_validate_port_value: 0-65535, whatever the protocol."""
    if value is not None and not 0 <= value <= 65535:
        raise bad_request(f"Invalid value for port {value}", "SecurityGroupInvalidPortValue")
    return value


def _ports(protocol: str | None, low, high) -> tuple:
    """Neutron's port range rules, per kind of protocol."""
    low, high = _port_value(low), _port_value(high)
    if low is None and high is None:
        return None, None
    if protocol is None:
        raise bad_request("Must also specify protocol if port range is given.",
                          "SecurityGroupProtocolRequiredWithPorts")
    if protocol in WITH_PORTS:
        if low == 0 or high == 0:
            raise bad_request("Invalid value for port 0", "SecurityGroupInvalidPortValue")
        if low is None or high is None or low > high:
            raise bad_request("For TCP/UDP protocols, port_range_min must be <= "
                              "port_range_max", "SecurityGroupInvalidPortRange")
        # The whole range is no range: Neutron stores it as none (the backends prefer it).
        return (None, None) if (low, high) == (1, 65535) else (low, high)
    if protocol in ICMP:
        for value, field, attr in ((low, "type", "port_range_min"),
                                   (high, "code", "port_range_max")):
            if value is not None and not 0 <= value <= 255:
                raise bad_request(f"Invalid value for ICMP {field} ({attr}) {value}. It must "
                                  "be 0 to 255.", "SecurityGroupInvalidIcmpValue")
        if low is None:
            raise bad_request(f"ICMP code (port-range-max) {high} is provided but ICMP type "
                              "(port-range-min) is missing.", "SecurityGroupMissingIcmpType")
        return low, high
    number = PROTOCOLS.get(protocol, protocol)  # Neutron names the protocol by number
    raise bad_request(f"Ports cannot be specified for protocol {number}. Ports are only "
                      "supported for DCCP, SCTP, TCP, UDP, UDPLITE.",
                      "SecurityGroupInvalidProtocolForPort")


def normalized(prefix: str | None) -> str | None:
    """`normalized_cidr`: the prefix with its host bits cleared (10.0.0.5/8 -> 10.0.0.0/8)."""
    return str(ipaddress.ip_network(prefix, strict=False)) if prefix else None


def _prefix(prefix: str | None, ethertype: str) -> str | None:
    """The prefix as given, with a length (10.0.0.5 -> 10.0.0.5/32), as Neutron keeps it."""
    if not prefix:
        return None
    try:
        network = ipaddress.ip_interface(prefix)
    except ValueError:
        raise bad_request(f"Invalid CIDR {prefix} given as IP prefix.", "InvalidCIDR") from None
    if f"IPv{network.version}" != ethertype:
        raise bad_request(f"Conflicting value ethertype {ethertype} for CIDR {prefix}",
                          "SecurityGroupRuleParameterConflict")
    return str(network)


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    if ctx.project_id:
        neutron.default_security_group(ctx.project_id)
    group = neutron.owned(ctx, "security_groups", "security group", fields["security_group_id"])
    ethertype = fields.get("ethertype") or "IPv4"
    protocol = _protocol(fields.get("protocol"))
    low, high = _ports(protocol, fields.get("port_range_min"), fields.get("port_range_max"))
    prefix = _prefix(fields.get("remote_ip_prefix"), ethertype)
    remote_group = fields.get("remote_group_id")
    if prefix and remote_group:
        raise bad_request("Only remote_ip_prefix or remote_group_id may be provided.",
                          "SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if remote_group:
        neutron.owned(ctx, "security_groups", "security group", remote_group)
    row = {"security_group_id": group["id"], "direction": fields["direction"],
           "ethertype": ethertype, "protocol": protocol, "port_range_min": low,
           "port_range_max": high, "remote_ip_prefix": prefix, "remote_group_id": remote_group}
    with neutron.store.transaction():
        _check_duplicate(neutron, row)
        neutron.check_quota(group["project_id"], "security_group_rule")
        row = neutron.store.insert("security_group_rules", {
            "id": new_id(), "project_id": group["project_id"],
            "description": fields.get("description") or "", **row})
    neutron.notify.security_groups_rule_updated(ctx, [group["id"]])
    return row


def _same_prefix(a: str | None, b: str | None) -> bool:
    anywhere = (None, "0.0.0.0/0", "::/0")  # compared as given, as Neutron does
    return a == b or (a in anywhere and b in anywhere)


def _check_duplicate(neutron: Neutron, new: dict) -> None:
    for rule in neutron.store.rules_of(new["security_group_id"]):
        same = all(rule[k] == new[k] for k in ("direction", "ethertype", "protocol",
                                               "port_range_min", "port_range_max",
                                               "remote_group_id"))
        if same and _same_prefix(rule["remote_ip_prefix"], new["remote_ip_prefix"]):
            raise conflict(f"Security group rule already exists. Rule id is {rule['id']}.",
                           "SecurityGroupRuleExists")


class SecurityGroupRules:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx, store = req.context.ctx, self.neutron.store
        groups = {g["id"]: g for g in store.security_groups()}
        rows = self.neutron.visible(ctx, store.security_group_rules())
        resp.media = {"security_group_rules": views.select(
            req, [view(r, groups.get(r["security_group_id"])) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        items, many = schemas.SECURITY_GROUP_RULE.create(req)
        rows = bulk.create_all(self.neutron, req.context.ctx, create, items)
        bulk.answer(resp, schemas.SECURITY_GROUP_RULE, rows, self._view, many)

    def _view(self, row: dict) -> dict:
        return view(row, self.neutron.store.get("security_groups", row["security_group_id"]))


class SecurityGroupRule:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def _find(self, ctx, rule_id: str) -> dict:
        return self.neutron.owned(ctx, "security_group_rules", "security group rule", rule_id)

    def on_get(self, req, resp, rule_id):
        row = self._find(req.context.ctx, rule_id)
        group = self.neutron.store.get("security_groups", row["security_group_id"])
        resp.media = {"security_group_rule": views.only_fields(req, view(row, group))}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, rule_id):
        row = self._find(req.context.ctx, rule_id)
        self.neutron.store.delete_security_group_rule(rule_id)
        self.neutron.notify.security_groups_rule_updated(req.context.ctx,
                                                         [row["security_group_id"]])
        resp.status = falcon.HTTP_204


