"""`/v2.0/ports`: virtual NICs (`openstack port ...`; Nova creates one per server NIC).

A port gets a MAC `fa:16:3e:xx:xx:xx` and its fixed IPs from IPAM (a requested
`ip_address` or `subnet_id` is honoured). `binding:*` attributes are admin-only (Nova
sets `binding:host_id` to the compute node; the bridge agent of that host then wires the
port and reports it up: status DOWN -> ACTIVE). Ports owned by a router or a floating IP
cannot be deleted directly. A given `mac_address` must be a MAC, neither all zeros nor
broadcast (a multicast MAC passes, as in Neutron); `allowed_address_pairs` get the port's
MAC when they name none, and need port security.
"""

from __future__ import annotations

import json
import random

import falcon

from minicloud.common import policy
from minicloud.network import attributes, bulk, ipam, nova_notifier, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict, forbidden, not_found
from minicloud.network.store import load, new_id

BINDING = ("binding:host_id", "binding:profile")
# what a port's groups' member sets (remote group rules) are made of
MEMBERSHIP = {"security_groups", "fixed_ips", "allowed_address_pairs"}
PROTECTED_OWNERS = ("network:router_interface", "network:router_gateway", "network:floatingip")
_random = random.SystemRandom()


def new_mac() -> str:
    return "fa:16:3e:" + ":".join(f"{_random.randrange(256):02x}" for _ in range(3))


def view(neutron: Neutron, ctx, row: dict) -> dict:
    body = {**views.common(row), "network_id": row["network_id"],
            "mac_address": row["mac_address"], "fixed_ips": neutron.store.allocations(row["id"]),
            "device_id": row["device_id"], "device_owner": row["device_owner"],
            "status": row["status"], "admin_state_up": bool(row["admin_state_up"]),
            "security_groups": load(row["security_groups"], []),
            "port_security_enabled": bool(row["port_security_enabled"]),
            "allowed_address_pairs": load(row["allowed_address_pairs"], []),
            "binding:vnic_type": row["binding_vnic_type"]}
    if ctx.is_admin:
        body.update({"binding:host_id": row["binding_host_id"],
                     "binding:profile": load(row["binding_profile"], {}),
                     "binding:vif_type": row["binding_vif_type"], "binding:vif_details": {}})
    return body


def _security_groups(neutron: Neutron, ctx, project_id: str, fields: dict) -> list[str]:
    if fields.get("port_security_enabled") is False:
        return list(fields.get("security_groups") or [])
    if fields.get("security_groups") is None:
        default = neutron.default_security_group(project_id)
        return [default["id"]] if default else []
    for group_id in fields["security_groups"]:
        group = neutron.store.get("security_groups", group_id)
        if group is None or not (ctx.is_admin or group["project_id"] == project_id):
            raise not_found("security group", group_id)
    return list(fields["security_groups"])


def insert(neutron: Neutron, net: dict, fields: dict, *, check_quota: bool = True,
           allow_gateway: bool = False) -> dict:
    """Insert a port and allocate its IPs (inside the caller's transaction)."""
    store = neutron.store
    if check_quota:
        neutron.check_quota(fields["project_id"], "port")
    mac = fields.get("mac_address") or new_mac()
    while not fields.get("mac_address") and store.mac_in_use(mac):
        mac = new_mac()
    if fields.get("mac_address") and store.mac_in_use(mac):
        raise conflict(f"Unable to complete operation for network {net['id']}. The mac "
                       f"address {mac} is in use.", "MacAddressInUse")
    host = fields.get("binding_host_id") or ""
    port_security = fields.get("port_security_enabled") is not False and bool(
        net["port_security_enabled"])
    pairs = attributes.address_pairs(fields.get("allowed_address_pairs") or [], mac)
    attributes.pairs_need_port_security(pairs, port_security)
    row = store.insert("ports", {
        "id": new_id(), "name": fields.get("name") or "", "project_id": fields["project_id"],
        "description": fields.get("description") or "", "network_id": net["id"],
        "mac_address": mac, "device_id": fields.get("device_id") or "",
        "device_owner": fields.get("device_owner") or "", "status": "DOWN",
        "admin_state_up": int(fields.get("admin_state_up") is not False),
        "binding_host_id": host, "binding_profile": json.dumps(fields.get("binding_profile")
                                                               or {}),
        "binding_vnic_type": fields.get("binding_vnic_type") or "normal",
        "binding_vif_type": "bridge" if host else "unbound",
        "security_groups": json.dumps(fields.get("security_groups") or []),
        "port_security_enabled": int(port_security), "allowed_address_pairs": json.dumps(pairs)})
    ipam.allocate(store, net["id"], row["id"], fields.get("fixed_ips"),
                  allow_gateway=allow_gateway)
    return row


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    for admin_only in BINDING:
        if fields.get(admin_only) and not ctx.is_admin:
            raise forbidden(f"create_port:{admin_only}")
    net = neutron.network(ctx, fields["network_id"])
    if not (neutron.owns(ctx, net) or net["shared"]):
        raise forbidden("create_port:network_id")  # an external network of another project
    mac = fields.get("mac_address")
    if mac is not None:
        mac = attributes.mac_address("mac_address", mac)
    project_id = neutron.project_of(ctx, fields)
    row_fields = {**fields, "project_id": project_id, "mac_address": mac,
                  "security_groups": _security_groups(neutron, ctx, project_id, fields),
                  "binding_host_id": fields.get("binding:host_id"),
                  "binding_profile": fields.get("binding:profile"),
                  "binding_vnic_type": fields.get("binding:vnic_type")}
    with neutron.store.transaction():
        row = insert(neutron, net, row_fields)
    neutron.notify.port_changed(ctx, row["id"])
    neutron.notify.security_groups_member_updated(ctx, load(row["security_groups"], []))
    return row


def update(neutron: Neutron, ctx, port_id: str, fields: dict) -> dict:
    port = neutron.port(ctx, port_id)
    for admin_only in BINDING:
        if admin_only in fields and not ctx.is_admin:
            raise forbidden(f"update_port:{admin_only}")
    if "mac_address" in fields and fields["mac_address"] != port["mac_address"]:
        raise bad_request("Cannot change the mac_address of a port (minicloud).", "BadRequest")
    changes = {k: fields[k] or "" for k in ("name", "description", "device_id", "device_owner")
               if k in fields}
    for key in ("admin_state_up", "port_security_enabled"):
        if fields.get(key) is not None:
            changes[key] = int(fields[key])
    if "security_groups" in fields:
        changes["security_groups"] = json.dumps(
            _security_groups(neutron, ctx, port["project_id"], fields))
    if "allowed_address_pairs" in fields or "port_security_enabled" in fields:
        pairs = attributes.address_pairs(fields.get(
            "allowed_address_pairs", load(port["allowed_address_pairs"], [])) or [],
            port["mac_address"])
        attributes.pairs_need_port_security(pairs, bool(changes.get(
            "port_security_enabled", port["port_security_enabled"])))
        changes["allowed_address_pairs"] = json.dumps(pairs)
    if "binding:host_id" in fields:
        host = fields["binding:host_id"] or ""
        changes.update(binding_host_id=host, binding_vif_type="bridge" if host else "unbound",
                       status="DOWN")
    if "binding:profile" in fields:
        changes["binding_profile"] = json.dumps(fields["binding:profile"] or {})
    if fields.get("binding:vnic_type"):
        changes["binding_vnic_type"] = fields["binding:vnic_type"]
    with neutron.store.transaction():
        if "fixed_ips" in fields:
            ipam.release(neutron.store, port_id)
            ipam.allocate(neutron.store, port["network_id"], port_id, fields["fixed_ips"] or [])
        neutron.store.update("ports", port_id, changes)
    neutron.notify.port_changed(ctx, port_id)
    if MEMBERSHIP & set(fields):  # the groups' member sets on every agent follow
        groups = load(port["security_groups"], []) + load(
            neutron.store.get("ports", port_id)["security_groups"], [])
        neutron.notify.security_groups_member_updated(ctx, groups)
    if "fixed_ips" in fields:
        nova_notifier.ports_changed(neutron, {port_id})
    return neutron.store.get("ports", port_id)


def delete(neutron: Neutron, ctx, port_id: str, *, internal: bool = False) -> None:
    port = neutron.port(ctx, port_id)
    if port["device_owner"] in PROTECTED_OWNERS and not internal:
        raise conflict(f"Port {port_id} cannot be deleted directly via the port API: has "
                       f"device owner {port['device_owner']}.", "L3PortInUse")
    store = neutron.store
    with store.transaction():
        routers = store.routers_of_floatingips_on(port_id)
        store.disassociate_floatingips(port_id)
        ipam.release(store, port_id)
        store.delete_port(port_id)
    neutron.notify.port_deleted(ctx, port_id, port["network_id"])
    neutron.notify.security_groups_member_updated(ctx, load(port["security_groups"], []))
    for router_id in routers:
        neutron.notify.router_changed(ctx, router_id)


def visible_rows(neutron: Neutron, ctx) -> list[dict]:
    rows = neutron.store.ports()
    if ctx.is_admin:
        return rows
    mine = neutron.store.network_ids_of_project(ctx.project_id)
    return [r for r in rows if r["project_id"] == ctx.project_id or r["network_id"] in mine]


class Ports:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx = req.context.ctx
        items = [view(self.neutron, ctx, r) for r in visible_rows(self.neutron, ctx)]
        resp.media = {"ports": views.select(req, items)}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        ctx = req.context.ctx
        items, many = schemas.PORT.create(req)
        rows = bulk.create_all(self.neutron, ctx, create, items)
        bulk.answer(resp, schemas.PORT, rows, lambda r: view(self.neutron, ctx, r), many)


class Port:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, port_id):
        row = self.neutron.port(req.context.ctx, port_id)
        resp.media = {"port": views.only_fields(req, view(self.neutron, req.context.ctx, row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, port_id):
        fields = schemas.PORT.update(req)
        row = update(self.neutron, req.context.ctx, port_id, fields)
        resp.media = {"port": view(self.neutron, req.context.ctx, row)}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, port_id):
        delete(self.neutron, req.context.ctx, port_id)
        resp.status = falcon.HTTP_204
