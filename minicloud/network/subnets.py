"""`/v2.0/subnets`: address ranges on a network (`openstack subnet ...`).

The gateway defaults to the first host; the allocation pool to every other host. CIDRs
may overlap across networks (each tenant has its own 10.0.0.0/24) but not within one.
A subnet with DHCP enabled gets the network's DHCP port (the DHCP agent's address, the
first free one) and the DHCP agent is told. Limitations: no subnet pools, no IPv6 RA modes,
no changing the CIDR, gateway or pools after creation.
"""

from __future__ import annotations

import ipaddress
import json

import falcon

from minicloud.common import policy
from minicloud.common.validation import read_json
from minicloud.network import ipam, ports, schemas, views
from minicloud.network.core import Neutron, bad_request, conflict, forbidden
from minicloud.network.store import load, new_id


def view(row: dict) -> dict:
    return {**views.common(row), "network_id": row["network_id"],
            "ip_version": row["ip_version"], "cidr": row["cidr"],
            "gateway_ip": row["gateway_ip"],
            "allocation_pools": load(row["allocation_pools"], []),
            "enable_dhcp": bool(row["enable_dhcp"]),
            "dns_nameservers": load(row["dns_nameservers"], []),
            "host_routes": load(row["host_routes"], []),
            "ipv6_ra_mode": None, "ipv6_address_mode": None, "subnetpool_id": None,
            "service_types": [], "segment_id": None, "dns_publish_fixed_ip": False}


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


def _address(text: str, what: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise bad_request(f"Invalid input for {what}. Reason: '{text}' is not a valid IP "
                          "address.") from None


def _gateway(network, fields: dict) -> str | None:
    if "gateway_ip" not in fields:
        return str(network.network_address + 1)
    if fields["gateway_ip"] is None:
        return None
    gateway = _address(fields["gateway_ip"], "gateway_ip")
    if gateway not in network or gateway in (network.network_address,
                                             network.broadcast_address):
        raise bad_request(f"Invalid input for operation: Gateway IP {gateway} is not a valid "
                          f"address on subnet {network}.", "GatewayNotValidOnSubnet")
    return str(gateway)


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
        if gw is not None and start <= gw <= end:
            raise conflict(f"Gateway ip {gw} conflicts with allocation pool {start}-{end}.",
                           "GatewayConflictWithAllocationPools")
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        if start <= end:
            raise bad_request("Found overlapping allocation pools.", "OverlappingAllocationPools")
    return [{"start": str(a), "end": str(b)} for a, b in ranges]


def _extras(fields: dict) -> dict:
    out = {}
    if "dns_nameservers" in fields:
        servers = fields["dns_nameservers"] or []
        for server in servers:
            _address(server, "dns_nameservers")
        out["dns_nameservers"] = json.dumps(servers)
    if "host_routes" in fields:
        routes = fields["host_routes"] or []
        for route in routes:
            try:
                ipaddress.ip_network(route["destination"])
            except ValueError:
                raise bad_request(f"Invalid input for host_routes. Reason: "
                                  f"'{route['destination']}' is not a valid IP subnet.") from None
            _address(route["nexthop"], "host_routes")
        out["host_routes"] = json.dumps(routes)
    return out


def _check_overlap(db, network_id: str, network) -> None:
    for other in db.query("SELECT cidr FROM subnets WHERE network_id = ?", (network_id,)):
        if ipaddress.ip_network(other["cidr"]).overlaps(network):
            raise bad_request(f"Invalid input for operation: Requested subnet with cidr: "
                              f"{network} for network: {network_id} overlaps with another "
                              "subnet.")


def create(neutron: Neutron, ctx, fields: dict) -> dict:
    net = neutron.network(ctx, fields["network_id"])
    if not neutron.owns(ctx, net):
        raise forbidden("create_subnet")
    if fields.get("subnetpool_id"):
        raise bad_request("minicloud has no subnet pools: give a cidr.", "BadRequest")
    network = _cidr(fields)
    gateway = _gateway(network, fields)
    pools = _pools(network, gateway, fields.get("allocation_pools"))
    project_id = neutron.project_of(ctx, fields)
    with neutron.store.transaction() as db:
        neutron.check_quota(project_id, "subnet")
        _check_overlap(db, net["id"], network)
        row = neutron.store.insert(db, "subnets", {
            "id": new_id(), "name": fields.get("name") or "", "project_id": project_id,
            "description": fields.get("description") or "", "network_id": net["id"],
            "ip_version": network.version, "cidr": str(network), "gateway_ip": gateway,
            "allocation_pools": json.dumps(pools),
            "enable_dhcp": int(fields.get("enable_dhcp") is not False),
            "dns_nameservers": "[]", "host_routes": "[]", **_extras(fields)})
        dhcp_port = ensure_dhcp_port(neutron, db, net, row) if row["enable_dhcp"] else None
    neutron.notify.dhcp_changed(ctx, net["id"])
    if dhcp_port:
        neutron.notify.port_changed(ctx, dhcp_port)
    return row


def ensure_dhcp_port(neutron: Neutron, db, net: dict, subnet: dict) -> str | None:
    """The network's DHCP port gets an address on every DHCP subnet (the DHCP server's)."""
    found = db.execute("SELECT id FROM ports WHERE network_id = ? AND device_owner = "
                       "'network:dhcp'", (net["id"],)).fetchone()
    if found:
        ipam.allocate(db, net["id"], found[0], [{"subnet_id": subnet["id"]}])
        return found[0]
    port = ports.insert(neutron, db, net, {
        "project_id": net["project_id"], "device_owner": "network:dhcp",
        "device_id": f"dhcp-{net['id']}", "binding_host_id": "network",
        "fixed_ips": [{"subnet_id": subnet["id"]}]}, check_quota=False)
    return port["id"]


def update(neutron: Neutron, ctx, subnet_id: str, fields: dict) -> dict:
    sub = neutron.subnet(ctx, subnet_id)
    if not neutron.owns(ctx, sub):
        raise forbidden("update_subnet")
    for fixed in ("gateway_ip", "allocation_pools"):
        if fixed in fields:
            raise bad_request(f"minicloud cannot change {fixed} of an existing subnet.",
                              "BadRequest")
    changes = {k: fields[k] or "" for k in ("name", "description") if k in fields}
    changes.update(_extras(fields))
    if fields.get("enable_dhcp") is not None:
        changes["enable_dhcp"] = int(fields["enable_dhcp"])
    with neutron.store.transaction() as db:
        neutron.store.update(db, "subnets", subnet_id, changes)
        if changes.get("enable_dhcp"):
            net = neutron.store.get("networks", sub["network_id"])
            has = db.execute("SELECT 1 FROM ip_allocations a JOIN ports p ON p.id = a.port_id "
                             "WHERE a.subnet_id = ? AND p.device_owner = 'network:dhcp'",
                             (subnet_id,)).fetchone()
            if not has:
                ensure_dhcp_port(neutron, db, net, sub)
    neutron.notify.dhcp_changed(ctx, sub["network_id"])
    return neutron.store.get("subnets", subnet_id)


def delete(neutron: Neutron, ctx, subnet_id: str) -> None:
    sub = neutron.subnet(ctx, subnet_id)
    if not neutron.owns(ctx, sub):
        raise forbidden("delete_subnet")
    with neutron.store.transaction() as db:
        users = db.execute("SELECT p.id, p.device_owner FROM ip_allocations a JOIN ports p "
                           "ON p.id = a.port_id WHERE a.subnet_id = ?", (subnet_id,)).fetchall()
        if any(owner != "network:dhcp" for _, owner in users):
            raise conflict(f"Unable to complete operation on subnet {subnet_id}: One or more "
                           "ports have an IP allocation from this subnet.", "SubnetInUse")
        db.execute("DELETE FROM ip_allocations WHERE subnet_id = ?", (subnet_id,))
        db.execute("DELETE FROM subnets WHERE id = ?", (subnet_id,))
        emptied = [pid for pid, _ in users if not neutron.store.allocations(pid)]
        for port_id in emptied:
            db.execute("DELETE FROM ports WHERE id = ?", (port_id,))
    for port_id in emptied:
        neutron.notify.port_deleted(ctx, port_id, sub["network_id"])
    neutron.notify.dhcp_changed(ctx, sub["network_id"])


class Subnets:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp):
        ctx, store = req.context.ctx, self.neutron.store
        rows = store.rows("subnets")
        if not ctx.is_admin:
            seen = {n["id"] for n in store.rows("networks") if n["project_id"] == ctx.project_id
                    or n["shared"] or n["external"]}
            rows = [r for r in rows if r["network_id"] in seen]
        resp.media = {"subnets": views.select(req, [view(r) for r in rows])}

    @falcon.before(policy.require("member"))
    def on_post(self, req, resp):
        row = create(self.neutron, req.context.ctx,
                     read_json(req, schemas.SUBNET_CREATE)["subnet"])
        resp.status = falcon.HTTP_201
        resp.media = {"subnet": view(row)}


class Subnet:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron

    def on_get(self, req, resp, subnet_id):
        row = self.neutron.subnet(req.context.ctx, subnet_id)
        resp.media = {"subnet": views.only_fields(req, view(row))}

    @falcon.before(policy.require("member"))
    def on_put(self, req, resp, subnet_id):
        fields = read_json(req, schemas.SUBNET_UPDATE)["subnet"]
        resp.media = {"subnet": view(update(self.neutron, req.context.ctx, subnet_id, fields))}

    @falcon.before(policy.require("member"))
    def on_delete(self, req, resp, subnet_id):
        delete(self.neutron, req.context.ctx, subnet_id)
        resp.status = falcon.HTTP_204
