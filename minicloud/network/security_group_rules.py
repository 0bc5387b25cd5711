"""`/v2.0/security-group-rules` (`openstack security group rule ...`).

Validation follows Neutron: a protocol is a known name or a number 0-255; a port range
needs a protocol that has ports (tcp, udp, sctp, dccp, udplite), with min <= max in
1-65535 (for icmp the two fields are the ICMP type and code, 0-255); the
`remote_ip_prefix` must be of the rule's ethertype family; an identical rule is a 409
SecurityGroupRuleExists.
"""

from __future__ import annotations

import ipaddress

import falcon

from minicloud.common import policy
from minicloud.common.validation import read_json
from minicloud.network import schemas, views
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
    body.update(tenant_id=row["project_id"], tags=[], remote_address_group_id=None,
                normalized_cidr=row["remote_ip_prefix"],
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


def _ports(protocol: str | None, low, high) -> tuple:
    if low is None and high is None:
        return None, None
    if protocol is None:
        raise bad_request("Must also specify protocol if port range is given.",
                          "SecurityGroupProtocolRequiredWithPorts")
    if protocol in ICMP:
        for value, what in ((low, "type"), (high, "code")):
            if value is not None and not 0 <= value <= 255:
                raise bad_request(f"Invalid value for ICMP {what} {value}: must be 0-255.",
                                  "SecurityGroupInvalidIcmpValue")
        return low, high
    if protocol not in WITH_PORTS:
        raise bad_request(f"Invalid protocol {protocol} for port range, only supported for "
                          "TCP, UDP, UDPLITE, SCTP and DCCP.",
                          "SecurityGroupInvalidProtocolForPortRange")
    low, high = (low if low is not None else high), (high if high is not None else low)
    for value in (low, high):
        if not 1 <= value <= 65535:
            raise bad_request(f"Invalid value for port {value}.", "SecurityGroupInvalidPortValue")
    if low > high:
        raise bad_request("For TCP/UDP protocols, port_range_min must be <= port_range_max",
                          "SecurityGroupInvalidPortRange")
    return low, high


def _prefix(prefix: str | None, ethertype: str) -> str | None:
    if not prefix:
        return None
    try:
        network = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise bad_request(f"Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a "
                          "valid IP subnet.") from None
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
    with neutron.store.transaction() as db:
        _check_duplicate(neutron, row)
        neutron.check_quota(group["project_id"], "security_group_rule")
        row = neutron.store.insert(db, "security_group_rules", {
            "id": new_id(), "project_id": group["project_id"],
            "description": fields.get("description") or "", **row})
    return row


def _same_prefix(a: str | None, b: str | None) -> bool:
    anywhere = (None, "0.0.0.0/0", "::/0")
    return a == b or (a in anywhere and b in anywhere)


def _check_duplicate(neutron: Neutron, new: dict) -> None:
    for rule in neutron.store.rows("security_group_rules", "security_group_id = ?",
                                   (new["security_group_id"],)):
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
        groups = {g["id"]: g for g in store.rows("security_groups")}
        rows = self.neutron.visible(ctx, store.rows("security_group_rules"))
        resp.media = {"security_group_rules": views.select(
            req, [view(r, groups.get(r["security_group_id"])) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        fields = read_json(req, schemas.SECURITY_GROUP_RULE_CREATE)["security_group_rule"]
        row = create(self.neutron, req.context.ctx, fields)
        resp.status = falcon.HTTP_201
        group = self.neutron.store.get("security_groups", row["security_group_id"])
        resp.media = {"security_group_rule": view(row, group)}


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
        self._find(req.context.ctx, rule_id)
        with self.neutron.store.transaction() as db:
            db.execute("DELETE FROM security_group_rules WHERE id = ?", (rule_id,))
        resp.status = falcon.HTTP_204


