"""`/v2.0/floatingips`: public addresses from the external network (`openstack floating ip
...`), NATed by the L3 agent to a port's fixed IP.

Association needs a path: the port's subnet must be an interface of a router whose
gateway is on the floating IP's network, else 404 ExternalGatewayForFloatingIPNotFound
(exactly Neutron's rule). Associating sets `fixed_ip_address`, `router_id` and status
ACTIVE; `port_id: null` disassociates. Each floating IP holds a `network:floatingip` port
on the external network, so IPAM never hands its address to anyone else.
"""

from __future__ import annotations

import ipaddress

import falcon

from minicloud.common import errors, policy
from minicloud.network import attributes, ipam, nova_notifier, ports, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict, forbidden
from minicloud.network.store import new_id


def view(neutron: Neutron, row: dict) -> dict:
    details = None
    if row["port_id"]:
        port = neutron.store.get("ports", row["port_id"])
        if port:
            details = {k: port[k] for k in ("name", "network_id", "mac_address", "status",
                                            "device_id", "device_owner")}
            details["admin_state_up"] = bool(port["admin_state_up"])
    body = {k: v for k, v in views.common(row).items() if k != "name"}  # a FIP has none
    return {**body, "floating_ip_address": row["floating_ip_address"],
            "floating_network_id": row["floating_network_id"],
            "fixed_ip_address": row["fixed_ip_address"], "port_id": row["port_id"],
            "router_id": row["router_id"], "status": row["status"], "port_details": details}


def _check_addresses(fields: dict) -> None:
    """neutron-lib's ip_address_or_none on both address attributes."""
    for attr in ("floating_ip_address", "fixed_ip_address"):
        if fields.get(attr) is not None:
            attributes.ip_address(attr, fields[attr])


def _router_for(neutron: Neutron, fip: dict, port: dict, subnet_id: str) -> str:
    """The router that connects the port's subnet to the floating IP's network."""
    found = neutron.store.router_between(subnet_id, fip["floating_network_id"])
    if found is None:
        raise errors.NotFound(
            f"External network {fip['floating_network_id']} is not reachable from subnet "
            f"{subnet_id}.  Therefore, cannot associate Port {port['id']} with a Floating IP.",
            kind="ExternalGatewayForFloatingIPNotFound")
    return found


def _association(neutron: Neutron, ctx, fip: dict, port_id: str | None,
                 fixed_ip: str | None) -> dict:
    """The columns that (dis)associate `fip` with `port_id`."""
    if not port_id:
        return {"port_id": None, "fixed_ip_address": None, "router_id": None, "status": "DOWN"}
    port = neutron.port(ctx, port_id)
    v4 = [a for a in neutron.store.allocations(port_id)
          if ipaddress.ip_address(a["ip_address"]).version == 4]
    if fixed_ip:
        v4 = [a for a in v4 if a["ip_address"] == fixed_ip]
        if not v4:
            raise bad_request(f"Port {port_id} does not have fixed ip {fixed_ip}.", "BadRequest")
    if not v4:
        raise bad_request(f"Bad floatingip request: Port {port_id} does not have any IPv4 "
                          "address.", "BadRequest")
    chosen = v4[0]
    if neutron.store.floatingip_on(port_id, chosen["ip_address"], fip["floating_network_id"],
                                   fip["id"]):
        raise conflict(f"Cannot associate floating IP {fip['floating_ip_address']} "
                       f"({fip['id']}) with port {port_id} using fixed IP "
                       f"{chosen['ip_address']}, as that fixed IP already has a floating IP "
                       f"on external network {fip['floating_network_id']}.",
                       "FloatingIPPortAlreadyAssociated")
    router_id = _router_for(neutron, fip, port, chosen["subnet_id"])
    return {"port_id": port_id, "fixed_ip_address": chosen["ip_address"],
            "router_id": router_id, "status": "ACTIVE"}


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    _check_addresses(fields)
    if fields.get("floating_ip_address") and not ctx.is_admin:
        raise forbidden("create_floatingip:floating_ip_address")
    net = neutron.network(ctx, fields["floating_network_id"])
    if not net["external"]:
        raise bad_request(f"Bad floatingip request: Network {net['id']} is not a valid "
                          "external network.", "BadRequest")
    project_id = neutron.project_of(ctx, fields)
    wanted = {}
    if fields.get("subnet_id"):
        wanted["subnet_id"] = fields["subnet_id"]
    if fields.get("floating_ip_address"):
        wanted["ip_address"] = fields["floating_ip_address"]
    with neutron.store.transaction():
        neutron.check_quota(project_id, "floatingip")
        fip_id = new_id()
        port = ports.insert(neutron, net, {
            "project_id": "", "device_owner": "network:floatingip", "device_id": fip_id,
            "fixed_ips": [wanted] if wanted else None}, check_quota=False)
        address = neutron.store.allocations(port["id"])
        if not address:
            raise conflict(f"No more IP addresses available on network {net['id']}.",
                           "IpAddressGenerationFailure")
        row = {"id": fip_id, "project_id": project_id, "name": "",
               "description": fields.get("description") or "",
               "floating_network_id": net["id"], "floating_port_id": port["id"],
               "floating_ip_address": address[0]["ip_address"]}
        row.update(_association(neutron, ctx, row, fields.get("port_id"),
                                fields.get("fixed_ip_address")))
        row = neutron.store.insert("floatingips", row)
    neutron.notify.router_changed(ctx, row["router_id"])
    nova_notifier.ports_changed(neutron, {row["port_id"]})
    return row


def update(neutron: Neutron, ctx, fip_id: str, fields: dict) -> dict:
    _check_addresses(fields)
    fip = neutron.owned(ctx, "floatingips", "floating IP", fip_id)
    changes = {"description": fields["description"] or ""} if "description" in fields else {}
    with neutron.store.transaction():
        if "port_id" in fields:
            changes.update(_association(neutron, ctx, fip, fields["port_id"],
                                        fields.get("fixed_ip_address")))
        neutron.store.update("floatingips", fip_id, changes)
    row = neutron.store.get("floatingips", fip_id)
    for router_id in {fip["router_id"], row["router_id"]} - {None}:
        neutron.notify.router_changed(ctx, router_id)
    if fip["port_id"] != row["port_id"]:
        nova_notifier.ports_changed(neutron, {fip["port_id"], row["port_id"]})
    return row


def delete(neutron: Neutron, ctx, fip_id: str) -> None:
    fip = neutron.owned(ctx, "floatingips", "floating IP", fip_id)
    with neutron.store.transaction():
        ipam.release(neutron.store, fip["floating_port_id"])
        neutron.store.delete_port(fip["floating_port_id"])
        neutron.store.delete_floatingip(fip_id)
    neutron.notify.router_changed(ctx, fip["router_id"])
    nova_notifier.ports_changed(neutron, {fip["port_id"]})


def _one(req) -> dict:
    """A floating IP POST body; no bulk here: Nova hears of each association at once."""
    items, many = schemas.FLOATINGIP.create(req)
    if many:
        raise bad_request("Bulk operation not supported for floating IPs (minicloud).",
                          "HTTPBadRequest")
    return items[0]


class FloatingIPs:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        rows = self.neutron.visible(req.context.ctx, self.neutron.store.floatingips())
        resp.media = {"floatingips": views.select(req, [view(self.neutron, r) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        row = create(self.neutron, req.context.ctx, _one(req))
        resp.status = falcon.HTTP_201
        resp.media = {"floatingip": view(self.neutron, row)}


class FloatingIP:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, floatingip_id):
        row = self.neutron.owned(req.context.ctx, "floatingips", "floating IP", floatingip_id)
        resp.media = {"floatingip": views.only_fields(req, view(self.neutron, row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, floatingip_id):
        fields = schemas.FLOATINGIP.update(req)
        resp.media = {"floatingip": view(self.neutron, update(
            self.neutron, req.context.ctx, floatingip_id, fields))}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, floatingip_id):
        delete(self.neutron, req.context.ctx, floatingip_id)
        resp.status = falcon.HTTP_204


