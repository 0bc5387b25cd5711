"""`/v2.0/routers`: virtual routers (`openstack router ...`), run by the L3 agent.

A router's external gateway is a port (`network:router_gateway`) with an address on the
external network; with SNAT on (the default), tenant traffic leaves through that address.
Interfaces (add/remove_router_interface, in router_interfaces.py) connect tenant subnets.
A router with interfaces cannot be deleted (409 RouterInUse). Limitations: no extra routes,
no HA or distributed routers, one gateway per router (no external-gateway-multihoming):
`routes`, `ha`, `distributed` are unrecognized attributes, as in a Neutron without those
extensions.
"""

from __future__ import annotations

import falcon

from minicloud.common import policy
from minicloud.network import bulk, ipam, ports, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict, forbidden
from minicloud.network.topics import NETWORK_HOST
from minicloud.network.store import new_id


def view(neutron: Neutron, row: dict) -> dict:
    gateway = None
    if row["gw_network_id"]:
        fixed = neutron.store.allocations(row["gw_port_id"]) if row["gw_port_id"] else []
        gateway = {"network_id": row["gw_network_id"], "enable_snat": bool(row["enable_snat"]),
                   "external_fixed_ips": fixed}
    return {**views.common(row), "status": row["status"],
            "admin_state_up": bool(row["admin_state_up"]), "external_gateway_info": gateway}


def _set_gateway(neutron: Neutron, ctx, router: dict, info: dict | None) -> None:
    """Replace the router's gateway port by one on `info["network_id"]` (or none)."""
    if info is not None and info.get("enable_snat") is False and not ctx.is_admin:
        raise forbidden("update_router:external_gateway_info:enable_snat")
    if info is not None and info.get("external_fixed_ips") and not ctx.is_admin:
        raise forbidden("update_router:external_gateway_info:external_fixed_ips")
    new_net = info.get("network_id") if info else None
    if new_net:
        net = neutron.network(ctx, new_net)
        if not net["external"]:
            raise bad_request(f"Bad router request: Network {new_net} is not an external "
                              "network.", "BadRequest")
    if router["gw_network_id"] and router["gw_network_id"] != new_net:
        if neutron.store.router_has_floatingips(router["id"]):
            raise conflict(f"Gateway cannot be updated for router {router['id']}, since a "
                           "gateway to external network "
                           f"{router['gw_network_id']} is required by one or more floating "
                           "IPs.", "RouterExternalGatewayInUseByFloatingIp")
        ipam.release(neutron.store, router["gw_port_id"])
        neutron.store.delete_port(router["gw_port_id"])
        router.update(gw_port_id=None, gw_network_id=None)
    if new_net and router["gw_network_id"] != new_net:
        port = ports.insert(neutron, neutron.store.get("networks", new_net), {
            "project_id": "", "device_owner": "network:router_gateway",
            "device_id": router["id"], "binding_host_id": NETWORK_HOST,
            "fixed_ips": info.get("external_fixed_ips") or None}, check_quota=False)
        router.update(gw_port_id=port["id"], gw_network_id=new_net)
    changes = {"gw_port_id": router["gw_port_id"], "gw_network_id": router["gw_network_id"]}
    if info is not None and info.get("enable_snat") is not None:
        changes["enable_snat"] = int(info["enable_snat"])
    neutron.store.update("routers", router["id"], changes)


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    project_id = neutron.project_of(ctx, fields)
    with neutron.store.transaction():
        neutron.check_quota(project_id, "router")
        row = neutron.store.insert("routers", {
            "id": new_id(), "name": fields.get("name") or "", "project_id": project_id,
            "description": fields.get("description") or "",
            "admin_state_up": int(fields.get("admin_state_up") is not False)})
        if fields.get("external_gateway_info"):
            _set_gateway(neutron, ctx, row, fields["external_gateway_info"])
    _notify(neutron, ctx, row["id"])
    return neutron.store.get("routers", row["id"])


def update(neutron: Neutron, ctx, router_id: str, fields: dict) -> dict:
    router = neutron.owned(ctx, "routers", "router", router_id)
    changes = {k: fields[k] or "" for k in ("name", "description") if k in fields}
    if fields.get("admin_state_up") is not None:
        changes["admin_state_up"] = int(fields["admin_state_up"])
    with neutron.store.transaction():
        neutron.store.update("routers", router_id, changes)
        if "external_gateway_info" in fields:
            info = fields["external_gateway_info"] or None
            if info is not None and not info.get("network_id"):
                info = None if not router["gw_network_id"] else {
                    **info, "network_id": router["gw_network_id"]}
            _set_gateway(neutron, ctx, dict(router), info)
    old_port = router["gw_port_id"]
    if old_port and old_port != neutron.store.get("routers", router_id)["gw_port_id"]:
        neutron.notify.port_deleted(ctx, old_port, router["gw_network_id"])
    _notify(neutron, ctx, router_id)
    return neutron.store.get("routers", router_id)


def _notify(neutron: Neutron, ctx, router_id: str) -> None:
    neutron.notify.router_changed(ctx, router_id)
    router = neutron.store.get("routers", router_id)
    if router and router["gw_port_id"]:
        neutron.notify.port_changed(ctx, router["gw_port_id"])


def delete(neutron: Neutron, ctx, router_id: str) -> None:
    router = neutron.owned(ctx, "routers", "router", router_id)
    with neutron.store.transaction():
        if neutron.store.router_has_interfaces(router_id):
            raise conflict(f"Router {router_id} still has ports", "RouterInUse")
        if router["gw_port_id"]:
            _set_gateway(neutron, ctx, dict(router), None)
        neutron.store.delete_router(router_id)
    if router["gw_port_id"]:
        neutron.notify.port_deleted(ctx, router["gw_port_id"], router["gw_network_id"])
    neutron.notify.router_deleted(ctx, router_id)


class Routers:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx = req.context.ctx
        rows = self.neutron.visible(ctx, self.neutron.store.routers())
        resp.media = {"routers": views.select(req, [view(self.neutron, r) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        items, many = schemas.ROUTER.create(req)
        rows = bulk.create_all(self.neutron, req.context.ctx, create, items)
        bulk.answer(resp, schemas.ROUTER, rows, lambda r: view(self.neutron, r), many)


class Router:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, router_id):
        row = self.neutron.owned(req.context.ctx, "routers", "router", router_id)
        resp.media = {"router": views.only_fields(req, view(self.neutron, row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, router_id):
        fields = schemas.ROUTER.update(req)
        resp.media = {"router": view(self.neutron, update(self.neutron, req.context.ctx,
                                                          router_id, fields))}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, router_id):
        delete(self.neutron, req.context.ctx, router_id)
        resp.status = falcon.HTTP_204

