"""IPAM: which addresses of a subnet are free, and handing them to ports.

Every function here runs inside the caller's `store.transaction()` (it takes the
NetworkStore): the read of the addresses in use and the insert of the new one happen
under one write lock, so two
concurrent port creates can never pick the same address (and the (subnet, address)
primary key of `ip_allocations` would refuse it anyway). A full pool is a 409
IpAddressGenerationFailure; deleting a port deletes its rows, so its addresses are free.
"""

from __future__ import annotations

import ipaddress

from minicloud.network.core import bad_request, conflict
from minicloud.network.store import NetworkStore, load


def used(store: NetworkStore, subnet_id: str) -> set:
    return {ipaddress.ip_address(a) for a in store.addresses_in_use(subnet_id)}


def next_free(store: NetworkStore, subnet: dict):
    """The lowest free address of the subnet's allocation pools, or None."""
    taken = used(store, subnet["id"])
    for pool in load(subnet["allocation_pools"], []):
        address, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        while address <= end:
            if address not in taken:
                return address
            address += 1
    return None


def _check_specific(store: NetworkStore, subnet: dict, ip: str, *, allow_gateway: bool) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise bad_request(f"Invalid input for ip_address. Reason: '{ip}' is not a valid "
                          "IP address.") from None
    network = ipaddress.ip_network(subnet["cidr"])
    if address not in network or address in (network.network_address,
                                              network.broadcast_address):
        raise bad_request(f"IP address {ip} is not a valid IP for the specified subnet.",
                          "InvalidIpForSubnet")
    if not allow_gateway and subnet["gateway_ip"] == str(address):
        raise conflict(f"IP address {ip} already allocated in subnet {subnet['id']}.",
                       "IpAddressAlreadyAllocated")
    if address in used(store, subnet["id"]):
        raise conflict(f"IP address {ip} already allocated in subnet {subnet['id']}.",
                       "IpAddressAlreadyAllocated")
    return str(address)


def allocate(store: NetworkStore, network_id: str, port_id: str, requested: list[dict] | None, *,
             allow_gateway: bool = False) -> list[dict]:
    """Give the port its fixed IPs and record them; returns [{subnet_id, ip_address}].

    `requested` is the port's `fixed_ips`: entries naming an `ip_address`, a `subnet_id`,
    or both. None means one address from the network's first subnet of each IP version.
    """
    subnets = {s["id"]: s for s in store.subnets_of(network_id)}
    if requested is None:
        seen, requested = set(), []
        for subnet in subnets.values():
            if subnet["ip_version"] not in seen:
                seen.add(subnet["ip_version"])
                requested.append({"subnet_id": subnet["id"]})
    result = []
    for entry in requested:
        subnet = _pick_subnet(subnets, entry, network_id)
        if entry.get("ip_address"):
            ip = _check_specific(store, subnet, entry["ip_address"],
                                 allow_gateway=allow_gateway)
        else:
            address = next_free(store, subnet)
            if address is None:
                raise conflict(f"No more IP addresses available on network {network_id}.",
                               "IpAddressGenerationFailure")
            ip = str(address)
        store.add_allocation(subnet["id"], ip, network_id, port_id)
        result.append({"subnet_id": subnet["id"], "ip_address": ip})
    return result


def _pick_subnet(subnets: dict, entry: dict, network_id: str) -> dict:
    if entry.get("subnet_id"):
        subnet = subnets.get(entry["subnet_id"])
        if subnet is None:
            raise bad_request(f"Invalid input for operation: Failed to create port on "
                              f"network {network_id}, because fixed_ips included invalid "
                              f"subnet {entry['subnet_id']}.")
        return subnet
    if entry.get("ip_address"):
        for subnet in subnets.values():
            try:
                if ipaddress.ip_address(entry["ip_address"]) in ipaddress.ip_network(
                        subnet["cidr"]):
                    return subnet
            except ValueError:
                break
        raise bad_request(f"IP address {entry['ip_address']} is not a valid IP for any of "
                          f"the subnets on network {network_id}.", "InvalidIpForNetwork")
    raise bad_request("Invalid input for fixed_ips: each entry needs a subnet_id or an "
                      "ip_address.")


def release(store: NetworkStore, port_id: str) -> None:
    store.release_allocations(port_id)

