"""`/v2.0/networks`: virtual switches (`openstack network ...`).

A tenant network is type `vxlan` with a VNI taken from `Config.vni_range` (MTU 1450: the
VXLAN header costs 50 bytes of the data network's 1500); the external network is `flat`
on physnet `public` (MTU 1500). Provider attributes and `router:external` are admin-only,
to set and to see. A network with ports other than its DHCP port cannot be deleted.
`mtu` is writable (net-mtu-writable): 0 means "the largest the segment allows", more
than that is a 400, and less than its subnets need (68, IPv6 1280) a 409.
"""

from __future__ import annotations

import falcon

from minicloud.common import policy
from minicloud.network import attributes, bulk, schemas, views
from minicloud.network.core import (Neutron, ServiceUnavailable, bad_request, conflict,
                                    forbidden)
from minicloud.network.store import new_id

FLAT_PHYSNETS = ("public",)
MTU = {"vxlan": 1450, "flat": 1500}
PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
MAX_VNI = 2 ** 24 - 1  # a VXLAN Network Identifier has 24 bits
IPV4_MIN_MTU, IPV6_MIN_MTU = 68, 1280


def view(neutron: Neutron, ctx, row: dict) -> dict:
    body = {**views.common(row), "status": row["status"],
            "admin_state_up": bool(row["admin_state_up"]),
            "subnets": neutron.store.subnet_ids(row["id"]), "shared": bool(row["shared"]),
            "router:external": bool(row["external"]), "mtu": row["mtu"],
            "port_security_enabled": bool(row["port_security_enabled"])}
    if ctx.is_admin:
        body.update({"provider:network_type": row["network_type"],
                     "provider:physical_network": row["physical_network"],
                     "provider:segmentation_id": row["segmentation_id"]})
    return body


def vni_range(config) -> tuple[int, int]:
    low, _, high = config.vni_range.partition(":")
    return int(low), int(high or low)


def _segment(neutron: Neutron, fields: dict) -> dict:
    """provider:* of a new network: given by an admin, or the next free VNI."""
    kind = fields.get("provider:network_type") or "vxlan"
    physnet = fields.get("provider:physical_network")
    seg_id = fields.get("provider:segmentation_id")
    if kind == "flat":
        if seg_id is not None:
            raise bad_request("Invalid input for operation: provider:segmentation_id "
                              "prohibited for flat provider network.")
        if physnet not in FLAT_PHYSNETS:
            raise bad_request(f"Invalid input for operation: physical_network '{physnet}' "
                              f"unknown for flat provider network (known: "
                              f"{', '.join(FLAT_PHYSNETS)}).")
        if neutron.store.flat_network_on(physnet):
            raise conflict(f"Unable to create the flat network. Physical network {physnet} "
                           "is in use.", "FlatNetworkInUse")
        return {"network_type": "flat", "physical_network": physnet, "segmentation_id": None}
    if kind != "vxlan":
        raise bad_request(f"Invalid input for operation: network_type value '{kind}' not "
                          "supported (minicloud has vxlan and flat).")
    if physnet:
        raise bad_request("Invalid input for operation: provider:physical_network specified "
                          "for vxlan network.")
    if seg_id is not None and not 1 <= seg_id <= MAX_VNI:
        raise bad_request(f"Invalid input for operation: segmentation_id out of range (1 "
                          f"through {MAX_VNI}).")
    used = neutron.store.vxlan_ids_in_use()
    low, high = vni_range(neutron.config)
    if seg_id is not None:
        if seg_id in used:
            raise conflict(f"Unable to create the network. The VXLAN ID {seg_id} is in use.",
                           "TunnelIdInUse")
        return {"network_type": "vxlan", "physical_network": None, "segmentation_id": seg_id}
    for vni in range(low, high + 1):
        if vni not in used:
            return {"network_type": "vxlan", "physical_network": None, "segmentation_id": vni}
    raise ServiceUnavailable("Unable to create the network. No tenant network is available "
                             "for allocation.", kind="NoNetworkAvailable")


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    for admin_only in (*PROVIDER, "router:external", "shared"):
        if fields.get(admin_only) not in (None, False) and not ctx.is_admin:
            raise forbidden(f"create_network:{admin_only}")
    project_id = neutron.project_of(ctx, fields)
    with neutron.store.transaction():
        neutron.check_quota(project_id, "network")
        segment = _segment(neutron, fields)
        mtu = _mtu(fields.get("mtu"), MTU[segment["network_type"]])
        row = neutron.store.insert("networks", {
            "id": new_id(), "name": fields.get("name") or "", "project_id": project_id,
            "description": fields.get("description") or "",
            "admin_state_up": int(fields.get("admin_state_up") is not False),
            "shared": int(bool(fields.get("shared"))),
            "external": int(bool(fields.get("router:external"))),
            "mtu": mtu,
            "port_security_enabled": int(fields.get("port_security_enabled") is not False),
            **segment})
    return row


def _mtu(wanted, largest: int) -> int:
    """The MTU a network gets: 0 or none asks for the largest its segment allows."""
    if wanted is None:
        return largest
    attributes.non_negative("mtu", wanted)
    if wanted > largest:
        raise bad_request(f"Invalid input for operation: Requested MTU is too big, maximum "
                          f"is {largest}.")
    return wanted or largest


def _check_mtu_fits_subnets(neutron: Neutron, network_id: str, mtu: int) -> None:
    """Neutron's NetworkMTUSubnetConflict: IPv4 needs 68 bytes, IPv6 1280."""
    versions = {s["ip_version"] for s in neutron.store.subnets_of(network_id)}
    minimum = IPV6_MIN_MTU if 6 in versions else IPV4_MIN_MTU if versions else 0
    if mtu < minimum:
        raise conflict(f"MTU of {network_id} is not valid, subnet requires a minimum of "
                       f"{minimum}", "NetworkMTUSubnetConflict")


def update(neutron: Neutron, ctx, network_id: str, fields: dict) -> dict:
    net = neutron.network(ctx, network_id)
    if not neutron.owns(ctx, net):
        raise forbidden("update_network")
    if any(k in fields for k in PROVIDER):
        raise bad_request("Invalid input for operation: updating provider attributes is not "
                          "supported.")
    for admin_only in ("router:external", "shared"):
        if admin_only in fields and not ctx.is_admin:
            raise forbidden(f"update_network:{admin_only}")
    changes = {k: fields[k] or "" for k in ("name", "description") if k in fields}
    for key, column in (("admin_state_up", "admin_state_up"), ("shared", "shared"),
                        ("router:external", "external"),
                        ("port_security_enabled", "port_security_enabled")):
        if fields.get(key) is not None:
            changes[column] = int(fields[key])
    if fields.get("mtu") is not None:
        changes["mtu"] = _mtu(fields["mtu"], MTU[net["network_type"]])
    with neutron.store.transaction():
        if "mtu" in changes:
            _check_mtu_fits_subnets(neutron, network_id, changes["mtu"])
        neutron.store.update("networks", network_id, changes)
    if changes.get("mtu", net["mtu"]) != net["mtu"]:
        neutron.notify.dhcp_changed(ctx, network_id)  # network_update: the new MTU
    return neutron.store.get("networks", network_id)


def delete(neutron: Neutron, ctx, network_id: str) -> None:
    net = neutron.network(ctx, network_id)
    if not neutron.owns(ctx, net):
        raise forbidden("delete_network")
    with neutron.store.transaction():
        if neutron.store.network_has_ports_in_use(network_id):
            raise conflict(f"Unable to complete operation on network {network_id}. There are "
                           "one or more ports still in use on the network.", "NetworkInUse")
        neutron.store.delete_network(network_id)
    neutron.notify.network_deleted(ctx, network_id)


class Networks:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx = req.context.ctx
        rows = self.neutron.store.networks()
        if not ctx.is_admin:
            rows = [r for r in rows if r["project_id"] == ctx.project_id or r["shared"]
                    or r["external"]]
        resp.media = {"networks": views.select(req, [view(self.neutron, ctx, r)
                                                      for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        ctx = req.context.ctx
        items, many = schemas.NETWORK.create(req)
        rows = bulk.create_all(self.neutron, ctx, create, items)
        bulk.answer(resp, schemas.NETWORK, rows, lambda r: view(self.neutron, ctx, r), many)


class Network:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, network_id):
        row = self.neutron.network(req.context.ctx, network_id)
        resp.media = {"network": views.only_fields(req, view(self.neutron, req.context.ctx,
                                                             row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, network_id):
        fields = schemas.NETWORK.update(req)
        row = update(self.neutron, req.context.ctx, network_id, fields)
        resp.media = {"network": view(self.neutron, req.context.ctx, row)}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, network_id):
        delete(self.neutron, req.context.ctx, network_id)
        resp.status = falcon.HTTP_204

