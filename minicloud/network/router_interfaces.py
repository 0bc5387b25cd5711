"""`PUT /v2.0/routers/{id}/add_router_interface` and `remove_router_interface`: plugging a
tenant subnet into a router (`openstack router add subnet R S` / `add port R P`).

By subnet, the router gets a new port (`network:router_interface`) holding the subnet's
gateway IP; by port, an existing unused port becomes the interface. The L3 agent is told,
and puts a `qr-` device with that address in the router's namespace.
"""

from __future__ import annotations

import ipaddress

from minicloud.common import errors
from minicloud.common.validation import read_json
from minicloud.network import ipam, ports, schemas
from minicloud.network.core import Neutron, bad_request, conflict, not_found
from minicloud.network.topics import NETWORK_HOST

OWNER = "network:router_interface"


def _info(router: dict, port: dict, subnet_ids: list[str]) -> dict:
    return {"id": router["id"], "tenant_id": router["project_id"],
            "project_id": router["project_id"], "port_id": port["id"],
            "network_id": port["network_id"], "subnet_id": subnet_ids[0] if subnet_ids else None,
            "subnet_ids": subnet_ids}


def _check_overlap(neutron: Neutron, router_id: str, subnet: dict) -> None:
    new = ipaddress.ip_network(subnet["cidr"])
    for attached in neutron.store.router_interface_subnets(router_id):
        subnet_id, cidr = attached["id"], attached["cidr"]
        if subnet_id == subnet["id"]:
            raise bad_request(f"Bad router request: Router already has a port on subnet "
                              f"{subnet['id']}.", "BadRequest")
        if ipaddress.ip_network(cidr).overlaps(new):
            raise bad_request(f"Bad router request: Cidr {subnet['cidr']} of subnet "
                              f"{subnet['id']} overlaps with cidr {cidr} of subnet "
                              f"{subnet_id}.", "BadRequest")


def add(neutron: Neutron, ctx, router_id: str, body: dict) -> dict:
    router = neutron.owned(ctx, "routers", "router", router_id)
    if bool(body.get("subnet_id")) == bool(body.get("port_id")):
        raise bad_request("Bad router request: Either subnet_id or port_id must be "
                          "specified.", "BadRequest")
    with neutron.store.transaction():
        if body.get("subnet_id"):
            port, subnet_ids = _add_subnet(neutron, ctx, router, body["subnet_id"])
        else:
            port, subnet_ids = _add_port(neutron, ctx, router, body["port_id"])
    neutron.notify.port_changed(ctx, port["id"])
    neutron.notify.router_changed(ctx, router_id)
    return _info(router, port, subnet_ids)


def _add_subnet(neutron: Neutron, ctx, router: dict, subnet_id: str):
    subnet = neutron.subnet(ctx, subnet_id)
    if not subnet["gateway_ip"]:
        raise bad_request("Bad router request: Subnet for router interface must have a "
                          "gateway IP.", "BadRequest")
    _check_overlap(neutron, router["id"], subnet)
    net = neutron.store.get("networks", subnet["network_id"])
    port = ports.insert(neutron, net, {
        "project_id": subnet["project_id"], "device_owner": OWNER, "device_id": router["id"],
        "binding_host_id": NETWORK_HOST,
        "fixed_ips": [{"subnet_id": subnet_id, "ip_address": subnet["gateway_ip"]}]},
        check_quota=False, allow_gateway=True)
    return port, [subnet_id]


def _add_port(neutron: Neutron, ctx, router: dict, port_id: str):
    port = neutron.port(ctx, port_id)
    if port["device_id"]:
        raise conflict(f"Unable to complete operation on port {port_id} for network "
                       f"{port['network_id']}. Port already has an attached device "
                       f"{port['device_id']}.", "PortInUse")
    fixed = neutron.store.allocations(port_id)
    if not fixed:
        raise bad_request("Bad router request: Router port must have at least one fixed "
                          "IP.", "BadRequest")
    for allocation in fixed:
        _check_overlap(neutron, router["id"],
                       neutron.store.get("subnets", allocation["subnet_id"]))
    neutron.store.update("ports", port_id, {"device_id": router["id"], "device_owner": OWNER,
                                            "binding_host_id": NETWORK_HOST,
                                            "binding_vif_type": "bridge"})
    return neutron.store.get("ports", port_id), [a["subnet_id"] for a in fixed]


def remove(neutron: Neutron, ctx, router_id: str, body: dict) -> dict:
    router = neutron.owned(ctx, "routers", "router", router_id)
    store = neutron.store
    with store.transaction():
        port = _interface(neutron, ctx, router_id, body)
        subnet_ids = [a["subnet_id"] for a in store.allocations(port["id"])]
        if store.floatingips_via_subnets(router_id, subnet_ids):
            raise conflict(f"Cannot remove the interface of router {router_id} on subnet "
                           f"{subnet_ids[0]}: floating IPs use it.",
                           "RouterInterfaceInUseByFloatingIP")
        ipam.release(store, port["id"])
        store.delete_port(port["id"])
    neutron.notify.port_deleted(ctx, port["id"], port["network_id"])
    neutron.notify.router_changed(ctx, router_id)
    return _info(router, port, subnet_ids)


def _interface(neutron: Neutron, ctx, router_id: str, body: dict) -> dict:
    if body.get("port_id"):
        port = neutron.store.get("ports", body["port_id"])
        if port is None or port["device_id"] != router_id:
            raise not_found("router interface",
                            f"for router {router_id} on port {body['port_id']}")
        return port
    if body.get("subnet_id"):
        found = neutron.store.router_interface_on(router_id, body["subnet_id"])
        if found is None:
            raise errors.NotFound(f"Router {router_id} has no interface on subnet "
                                  f"{body['subnet_id']}", kind="RouterInterfaceNotFoundForSubnet")
        return neutron.store.get("ports", found)
    raise bad_request("Bad router request: Either subnet_id or port_id must be specified.",
                      "BadRequest")


class AddInterface:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_put(self, req, resp, router_id):
        body = read_json(req, schemas.ROUTER_INTERFACE)
        resp.media = add(self.neutron, req.context.ctx, router_id, body)


class RemoveInterface:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_put(self, req, resp, router_id):
        body = read_json(req, schemas.ROUTER_INTERFACE)
        resp.media = remove(self.neutron, req.context.ctx, router_id, body)
