"""Checks of single attribute values, as neutron-lib's validators make them before a
request reaches the plugin: MAC addresses, IP addresses and subnets, DNS nameservers,
host routes, allowed address pairs and non-negative integers.

Each failure is a 400 whose message reads like Neutron's ("Invalid input for mac_address.
Reason: 'ff:ff:ff:ff:ff:ff' is not a valid MAC address."). The resource modules call these
before they open a transaction, so a bad value never touches the database.
"""

from __future__ import annotations

import ipaddress
import re

from minicloud.network.core import bad_request, conflict

_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
# neutron-lib's INVALID_MAC_ADDRESSES: no port may use these.
INVALID_MACS = ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
MAX_DNS_NAMESERVERS = 5        # Neutron's max_dns_nameservers default
MAX_HOST_ROUTES = 20           # max_subnet_host_routes
MAX_ADDRESS_PAIRS = 10         # max_allowed_address_pair


def invalid(attr: str, reason: str, kind: str = "InvalidInput"):
    return bad_request(f"Invalid input for {attr}. Reason: {reason}.", kind)


def mac_address(attr: str, value) -> str:
    """A MAC in `aa:bb:cc:dd:ee:ff` form, lower case; never all zeros or broadcast."""
    text = value if isinstance(value, str) else ""
    if not _MAC.match(text) or text.lower().replace("-", ":") in INVALID_MACS:
        raise invalid(attr, f"'{value}' is not a valid MAC address")
    return text.lower().replace("-", ":")


def is_multicast_mac(mac: str) -> bool:
    return bool(int(mac.split(":")[0], 16) & 1)


def ip_address(attr: str, value):
    try:
        if not isinstance(value, str) or value != value.strip():
            raise ValueError
        return ipaddress.ip_address(value)
    except ValueError:
        raise invalid(attr, f"'{value}' is not a valid IP address") from None


def subnet(attr: str, value):
    """A CIDR as neutron-lib wants it: with a prefix length, host bits clear (IPv4)."""
    try:
        if not isinstance(value, str) or "/" not in value:
            raise ValueError
        network = ipaddress.ip_network(value, strict=False)
        if network.version == 4 and str(network) != value:
            raise ValueError
        return network
    except ValueError:
        raise invalid(attr, f"'{value}' is not a valid IP subnet") from None


def non_negative(attr: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(attr, f"'{value}' should be non-negative")
    return value


def nameservers(values: list, version: int | None = None) -> list[str]:
    """Unique IP addresses (of the subnet's IP version), at most MAX_DNS_NAMESERVERS."""
    seen: list[str] = []
    for value in values:
        try:
            address = ip_address("dns_nameservers", value)
        except Exception:
            raise invalid("dns_nameservers", f"'{value}' is not a valid nameserver. "
                          f"'{value}' is not a valid IP address") from None
        if value in seen:
            raise invalid("dns_nameservers", f"Duplicate nameserver '{value}'")
        if version and address.version != version:
            raise bad_request(f"Invalid input for operation: {value} is not a valid "
                              f"IPv{version} address for dns_nameserver.")
        seen.append(value)
    if len(seen) > MAX_DNS_NAMESERVERS:
        raise bad_request(f"Unable to complete operation for subnet. The number of DNS "
                          f"nameservers exceeds the limit {MAX_DNS_NAMESERVERS}.",
                          "DNSNameServersExhausted")
    return seen


def host_routes(routes: list, version: int | None = None) -> list[dict]:
    """Unique {destination, nexthop} pairs; a loopback destination is not routable."""
    seen: list[dict] = []
    for route in routes:
        network = subnet("host_routes", route["destination"])
        if network.network_address != ipaddress.ip_interface(route["destination"]).ip:
            raise invalid("host_routes", f"'{route['destination']}' is not a valid CIDR")
        if network.is_loopback:
            raise invalid("host_routes", f"'{route['destination']}' is not a routable CIDR")
        hop = ip_address("host_routes", route["nexthop"])
        if version and (network.version != version or hop.version != version):
            raise bad_request(f"Invalid input for operation: host route {route} does not "
                              f"match ip_version {version}.")
        if route in seen:
            raise invalid("host_routes", f"Duplicate hostroute '{route}'")
        seen.append(route)
    if len(seen) > MAX_HOST_ROUTES:
        raise bad_request(f"Unable to complete operation for subnet. The number of host "
                          f"routes exceeds the limit {MAX_HOST_ROUTES}.", "HostRoutesExhausted")
    return seen


def address_pairs(pairs: list, port_mac: str | None) -> list[dict]:
    """allowed_address_pairs: an IP or CIDR each (never multicast), an optional MAC that
    defaults to the port's; no duplicates; at most MAX_ADDRESS_PAIRS."""
    if len(pairs) > MAX_ADDRESS_PAIRS:
        raise bad_request(f"The number of allowed address pair exceeds the maximum "
                          f"{MAX_ADDRESS_PAIRS}.", "AllowedAddressPairExhausted")
    out, seen = [], set()
    for pair in pairs:
        out.append(_address_pair(pair, port_mac))
        key = (pair.get("mac_address"), pair["ip_address"])
        if key in seen:
            raise bad_request(f"Invalid input for operation: Request contains duplicate "
                              f"address pair: mac_address {key[0]} ip_address {key[1]}.",
                              "DuplicateAddressPairInRequest")
        seen.add(key)
    return out


def _address_pair(pair: dict, port_mac: str | None) -> dict:
    if "ip_address" not in pair:
        raise bad_request("Invalid input for operation: AllowedAddressPair must contain "
                          "ip_address.", "AllowedAddressPairsMissingIP")
    unknown = set(pair) - {"ip_address", "mac_address"}
    if unknown:
        raise bad_request(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'",
                          "HTTPBadRequest")
    mac = pair.get("mac_address")
    if mac is not None:
        try:
            mac = mac_address("allowed_address_pairs", mac)
        except Exception:
            raise bad_request(f"'{mac}' is not a valid MAC address", "HTTPBadRequest") from None
    text = pair["ip_address"]
    try:
        network = (subnet if isinstance(text, str) and "/" in text else ip_address)(
            "allowed_address_pairs", text)
    except Exception:
        what = "IP subnet" if isinstance(text, str) and "/" in text else "IP address"
        raise bad_request(f"'{text}' is not a valid {what}", "HTTPBadRequest") from None
    if network.is_multicast:
        raise bad_request(f"IP {text} is a multicast address, which is not supported.",
                          "HTTPBadRequest")
    if mac is not None and is_multicast_mac(mac):
        raise bad_request(f"MAC address {mac} is a multicast address, which is not "
                          "supported.", "HTTPBadRequest")
    return {"ip_address": text, "mac_address": mac or port_mac}


def pairs_need_port_security(pairs: list, port_security: bool) -> None:
    if pairs and not port_security:
        raise conflict("Port Security must be enabled in order to have allowed address "
                       "pairs on a port.", "AddressPairAndPortSecurityRequired")
