"""`/v2.0/subnets`: address ranges on a network (`openstack subnet ...`).

The gateway defaults to the first host; the allocation pool to every other host. CIDRs
may overlap across networks (each tenant has its own 10.0.0.0/24) but not within one.
A subnet with DHCP enabled gets the network's DHCP port (the DHCP agent's address, the
first free one) and the DHCP agent is told. An update may change the gateway (or drop it
with null), the pools, DNS servers, host routes and DHCP, with Neutron's checks: the
gateway stays out of the pools, and a gateway a router interface holds cannot move.
Subnets of a shared or an external network are visible to every project (Neutron's
get_subnet policy, with the subnet-external-network extension's `router:external`).
Limitations: no subnet pools, no IPv6 RA modes, no changing the CIDR; a gateway must lie
inside the CIDR (real Neutron also accepts one outside it).
"""

from __future__ import annotations

import ipaddress
import json

import falcon

from minicloud.common import policy
from minicloud.network import attributes, bulk, ipam, ports, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict, forbidden
from minicloud.network.store import load, new_id


def view(neutron: Neutron, row: dict) -> dict:
    net = neutron.store.get("networks", row["network_id"])
    return {**views.common(row), "network_id": row["network_id"],
            "ip_version": row["ip_version"], "cidr": row["cidr"],
            "gateway_ip": row["gateway_ip"],
            "allocation_pools": load(row["allocation_pools"], []),
            "enable_dhcp": bool(row["enable_dhcp"]),
            "dns_nameservers": load(row["dns_nameservers"], []),
            "host_routes": load(row["host_routes"], []),
            "ipv6_ra_mode": None, "ipv6_address_mode": None, "subnetpool_id": None,
            "router:external": bool(net and net["external"])}


def _cidr(fields: dict):
    cidr, version = fields.get("cidr"), fields.get("ip_version") or 4
    if not cidr:
        raise bad_request("Bad subnet request: a cidr must be specified in the absence of a "
                          "subnet pool (minicloud has no subnet pools).", "BadRequest")
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise bad_request(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP "
                          "subnet.") from None
    if str(network) != cidr and "/" in cidr:
        raise bad_request(f"Invalid input for cidr. Reason: '{cidr}' isn't a recognized IP "
                          f"subnet cidr, '{network}' is recommended.")
    if network.version != version:
        raise bad_request(f"Invalid input for operation: cidr {cidr} does not match "
                          f"ip_version {version}.")
    if network.max_prefixlen - network.prefixlen < 2:
        raise bad_request(f"Invalid input for operation: cidr {cidr} leaves no address for "
                          "hosts.")
    return network


def _check_dhcp_possible(network) -> None:
    """Neutron refuses DHCP on subnets no DHCP server can serve."""
    if network.prefixlen > network.max_prefixlen - 2:
        why = "Subnet has a prefix length that is incompatible with DHCP service enabled"
    elif network.is_multicast:
        why = "Multicast IP subnet is not supported if enable_dhcp is True"
    elif network.is_loopback:
        why = "Loopback IP subnet is not supported if enable_dhcp is True"
    elif network.version == 4 and int(network.network_address) == 0:
        why = "First IP '0.0.0.0' of network is not supported if enable_dhcp is True"
    else:
        return
    raise bad_request(f"Invalid input for operation: {why}.")


def _address(text: str, what: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise bad_request(f"Invalid input for {what}. Reason: '{text}' is not a valid IP "
                          "address.") from None


def _gateway(network, fields: dict) -> str | None:
    """The gateway asked for (None allowed), on the subnet and neither its network nor
    its broadcast address; the first host when not asked for at all."""
    if "gateway_ip" not in fields:
        return str(network.network_address + 1)
    if fields["gateway_ip"] is None:
        return None
    gateway = _address(fields["gateway_ip"], "gateway_ip")
    if gateway.version != network.version:
        raise bad_request(f"Invalid input for operation: {gateway} is not a valid IPv"
                          f"{network.version} address for gateway_ip.")
    if gateway not in network or gateway in (network.network_address,
                                             network.broadcast_address):
        raise bad_request(f"Invalid input for operation: Gateway IP {gateway} is not a valid "
                          f"address on subnet {network}.", "GatewayNotValidOnSubnet")
    return str(gateway)


def _check_gateway_out_of_pools(gateway: str | None, pools: list[dict]) -> None:
    if gateway is None:
        return
    gw = ipaddress.ip_address(gateway)
    for pool in pools:
        if ipaddress.ip_address(pool["start"]) <= gw <= ipaddress.ip_address(pool["end"]):
            raise conflict(f"Gateway ip {gw} conflicts with allocation pool "
                           f"{pool['start']}-{pool['end']}.",
                           "GatewayConflictWithAllocationPools")


def _pools(network, gateway: str | None, given: list | None) -> list[dict]:
    first, last = network.network_address + 1, network.broadcast_address - (
        1 if network.version == 4 else 0)
    gw = ipaddress.ip_address(gateway) if gateway else None
    if not given:
        if gw is None or not first <= gw <= last:
            return [{"start": str(first), "end": str(last)}]
        pools = [(first, gw - 1), (gw + 1, last)]
        return [{"start": str(a), "end": str(b)} for a, b in pools if a <= b]
    ranges = []
    for pool in given:
        start, end = _address(pool["start"], "allocation_pools"), _address(
            pool["end"], "allocation_pools")
        if start > end or start not in network or end not in network or start < first \
                or end > last:
            raise bad_request(f"The allocation pool {start}-{end} spans beyond the subnet "
                              f"cidr {network}.", "OutOfBoundsAllocationPool")
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        if start <= end:
            raise bad_request("Found overlapping allocation pools.", "OverlappingAllocationPools")
    pools = [{"start": str(a), "end": str(b)} for a, b in ranges]
    _check_gateway_out_of_pools(gateway, pools)
    return pools


def _extras(fields: dict, version: int) -> dict:
    out = {}
    if "dns_nameservers" in fields:
        out["dns_nameservers"] = json.dumps(
            attributes.nameservers(fields["dns_nameservers"] or [], version))
    if "host_routes" in fields:
        out["host_routes"] = json.dumps(
            attributes.host_routes(fields["host_routes"] or [], version))
    return out


def _check_overlap(neutron: Neutron, network_id: str, network) -> None:
    for other in neutron.store.subnets_of(network_id):
        if ipaddress.ip_network(other["cidr"]).overlaps(network):
            raise bad_request(f"Invalid input for operation: Requested subnet with cidr: "
                              f"{network} for network: {network_id} overlaps with another "
                              "subnet.")


def _check_network_mtu(net: dict, version: int) -> None:
    minimum = 1280 if version == 6 else 68
    if net["mtu"] < minimum:
        raise conflict(f"MTU of {net['id']} is not valid, subnet requires a minimum of "
                       f"{minimum}", "NetworkMTUSubnetConflict")


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    net = neutron.network(ctx, fields["network_id"])
    if not neutron.owns(ctx, net):
        raise forbidden("create_subnet")
    if fields.get("subnetpool_id"):
        raise bad_request("minicloud has no subnet pools: give a cidr.", "BadRequest")
    network = _cidr(fields)
    enable_dhcp = fields.get("enable_dhcp") is not False
    if enable_dhcp:
        _check_dhcp_possible(network)
    gateway = _gateway(network, fields)
    pools = _pools(network, gateway, fields.get("allocation_pools"))
    extras = _extras(fields, network.version)
    _check_network_mtu(net, network.version)
    project_id = neutron.project_of(ctx, fields)
    with neutron.store.transaction():
        neutron.check_quota(project_id, "subnet")
        _check_overlap(neutron, net["id"], network)
        row = neutron.store.insert("subnets", {
            "id": new_id(), "name": fields.get("name") or "", "project_id": project_id,
            "description": fields.get("description") or "", "network_id": net["id"],
            "ip_version": network.version, "cidr": str(network), "gateway_ip": gateway,
            "allocation_pools": json.dumps(pools), "enable_dhcp": int(enable_dhcp),
            "dns_nameservers": "[]", "host_routes": "[]", **extras})
        dhcp_port = ensure_dhcp_port(neutron, net, row) if row["enable_dhcp"] else None
    neutron.notify.dhcp_changed(ctx, net["id"])
    if dhcp_port:
        neutron.notify.port_changed(ctx, dhcp_port)
    return row


def ensure_dhcp_port(neutron: Neutron, net: dict, subnet: dict) -> str | None:
    """The network's DHCP port gets an address on every DHCP subnet (the DHCP server's)."""
    found = neutron.store.dhcp_port_of(net["id"])
    if found:
        ipam.allocate(neutron.store, net["id"], found["id"], [{"subnet_id": subnet["id"]}])
        return found["id"]
    port = ports.insert(neutron, net, {
        "project_id": net["project_id"], "device_owner": "network:dhcp",
        "device_id": f"dhcp-{net['id']}", "binding_host_id": "network",
        "fixed_ips": [{"subnet_id": subnet["id"]}]}, check_quota=False)
    return port["id"]


def _release_dhcp_address(neutron: Neutron, subnet_id: str) -> tuple[str | None, bool]:
    """DHCP turned off: the DHCP port gives back its address on the subnet, and goes
    away if that was its last one. Returns (port id, whether it was deleted)."""
    store = neutron.store
    found = [p for p in store.ports_on_subnet(subnet_id) if p["device_owner"] == "network:dhcp"]
    if not found:
        return None, False
    port_id = found[0]["id"]
    store.release_allocations(port_id, subnet_id)
    if store.allocations(port_id):
        return port_id, False
    store.delete_port(port_id)
    return port_id, True


def _check_gateway_free(neutron: Neutron, sub: dict, new_gateway: str | None) -> None:
    """Neutron's GatewayIpInUse: a gateway a router interface holds cannot move."""
    if new_gateway == sub["gateway_ip"] or not sub["gateway_ip"]:
        return
    holder = neutron.store.router_port_holding(sub["id"], sub["gateway_ip"])
    if holder:
        raise conflict(f"Current gateway ip {sub['gateway_ip']} already in use by port "
                       f"{holder}. Unable to update.", "GatewayIpInUse")


def _changes(sub: dict, fields: dict) -> dict:
    """The columns an update writes, each value checked as on create."""
    network = ipaddress.ip_network(sub["cidr"])
    changes = {k: fields[k] or "" for k in ("name", "description") if k in fields}
    changes.update(_extras(fields, network.version))
    gateway = _gateway(network, fields) if "gateway_ip" in fields else sub["gateway_ip"]
    if "allocation_pools" in fields:
        pools = _pools(network, gateway, fields["allocation_pools"])
        changes["allocation_pools"] = json.dumps(pools)
    elif gateway != sub["gateway_ip"]:
        _check_gateway_out_of_pools(gateway, load(sub["allocation_pools"], []))
    if "gateway_ip" in fields:
        changes["gateway_ip"] = gateway
    if fields.get("enable_dhcp") is not None:
        if fields["enable_dhcp"] and not sub["enable_dhcp"]:
            _check_dhcp_possible(network)
        changes["enable_dhcp"] = int(fields["enable_dhcp"])
    return changes


def update(neutron: Neutron, ctx, subnet_id: str, fields: dict) -> dict:
    """Name, description, gateway, pools, DNS servers, host routes and DHCP can change;
    the DHCP agent hears of it (network_update), as Neutron tells it."""
    sub = neutron.subnet(ctx, subnet_id)
    if not neutron.owns(ctx, sub):
        raise forbidden("update_subnet")
    changes = _changes(sub, fields)
    dhcp_port, port_gone = None, False
    with neutron.store.transaction():
        if "gateway_ip" in changes:
            _check_gateway_free(neutron, sub, changes["gateway_ip"])
        neutron.store.update("subnets", subnet_id, changes)
        turned = changes.get("enable_dhcp", sub["enable_dhcp"])
        if turned and not sub["enable_dhcp"]:
            net = neutron.store.get("networks", sub["network_id"])
            dhcp_port = ensure_dhcp_port(neutron, net, sub)
        elif sub["enable_dhcp"] and not turned:
            dhcp_port, port_gone = _release_dhcp_address(neutron, subnet_id)
    if dhcp_port and port_gone:
        neutron.notify.port_deleted(ctx, dhcp_port, sub["network_id"])
    elif dhcp_port:
        neutron.notify.port_changed(ctx, dhcp_port)
    neutron.notify.dhcp_changed(ctx, sub["network_id"])
    return neutron.store.get("subnets", subnet_id)


def delete(neutron: Neutron, ctx, subnet_id: str) -> None:
    sub = neutron.subnet(ctx, subnet_id)
    if not neutron.owns(ctx, sub):
        raise forbidden("delete_subnet")
    store = neutron.store
    with store.transaction():
        users = store.ports_on_subnet(subnet_id)
        if any(p["device_owner"] != "network:dhcp" for p in users):
            raise conflict(f"Unable to complete operation on subnet {subnet_id}: One or more "
                           "ports have an IP allocation from this subnet.", "SubnetInUse")
        store.delete_subnet(subnet_id)
        emptied = [p["id"] for p in users if not store.allocations(p["id"])]
        for port_id in emptied:
            store.delete_port(port_id)
    for port_id in emptied:
        neutron.notify.port_deleted(ctx, port_id, sub["network_id"])
    neutron.notify.dhcp_changed(ctx, sub["network_id"])


class Subnets:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx, store = req.context.ctx, self.neutron.store
        rows = store.subnets()
        if not ctx.is_admin:
            seen = {n["id"] for n in store.networks() if n["project_id"] == ctx.project_id
                    or n["shared"] or n["external"]}
            rows = [r for r in rows if r["network_id"] in seen]
        resp.media = {"subnets": views.select(req, [view(self.neutron, r) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        items, many = schemas.SUBNET.create(req)
        rows = bulk.create_all(self.neutron, req.context.ctx, create, items)
        bulk.answer(resp, schemas.SUBNET, rows, lambda r: view(self.neutron, r), many)


class Subnet:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, subnet_id):
        row = self.neutron.subnet(req.context.ctx, subnet_id)
        resp.media = {"subnet": views.only_fields(req, view(self.neutron, row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, subnet_id):
        row = update(self.neutron, req.context.ctx, subnet_id, schemas.SUBNET.update(req))
        resp.media = {"subnet": view(self.neutron, row)}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, subnet_id):
        delete(self.neutron, req.context.ctx, subnet_id)
        resp.status = falcon.HTTP_204
