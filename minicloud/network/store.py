"""Neutron's tables in `network.db`: networks, subnets, ports and their IP allocations,
routers, floating IPs, security groups and rules, quotas and agents. All of Neutron's SQL
is in this file; the resource modules call the named methods below.

`ip_allocations` has one row per address in use, keyed by (subnet, address): even a bug
in IPAM could not hand out an address twice, the database would refuse the second row.
Read-then-write blocks (IPAM, quota checks, name checks) open `transaction()` and call
these methods inside it: they run on the same thread's connection, so in that transaction.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid

from minicloud.common.db import Database
from minicloud.common.quota_store import QUOTAS_TABLE, QuotaLimits

_COMMON = """id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', project_id TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '', created_at TEXT, updated_at TEXT,
    revision_number INTEGER NOT NULL DEFAULT 0"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS networks ({_COMMON},
    admin_state_up INTEGER NOT NULL DEFAULT 1, shared INTEGER NOT NULL DEFAULT 0,
    external INTEGER NOT NULL DEFAULT 0, network_type TEXT NOT NULL,
    physical_network TEXT, segmentation_id INTEGER, mtu INTEGER NOT NULL,
    port_security_enabled INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL DEFAULT 'ACTIVE');
CREATE UNIQUE INDEX IF NOT EXISTS networks_vni ON networks(network_type, segmentation_id);
CREATE TABLE IF NOT EXISTS subnets ({_COMMON},
    network_id TEXT NOT NULL REFERENCES networks(id), ip_version INTEGER NOT NULL,
    cidr TEXT NOT NULL, gateway_ip TEXT, allocation_pools TEXT NOT NULL DEFAULT '[]',
    enable_dhcp INTEGER NOT NULL DEFAULT 1, dns_nameservers TEXT NOT NULL DEFAULT '[]',
    host_routes TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS ports ({_COMMON},
    network_id TEXT NOT NULL REFERENCES networks(id), mac_address TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL DEFAULT '', device_owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'DOWN', admin_state_up INTEGER NOT NULL DEFAULT 1,
    binding_host_id TEXT NOT NULL DEFAULT '', binding_profile TEXT NOT NULL DEFAULT '{{}}',
    binding_vnic_type TEXT NOT NULL DEFAULT 'normal',
    binding_vif_type TEXT NOT NULL DEFAULT 'unbound',
    security_groups TEXT NOT NULL DEFAULT '[]', port_security_enabled INTEGER NOT NULL DEFAULT 1,
    allowed_address_pairs TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS ports_network ON ports(network_id);
CREATE INDEX IF NOT EXISTS ports_device ON ports(device_id);
CREATE TABLE IF NOT EXISTS ip_allocations (
    subnet_id TEXT NOT NULL REFERENCES subnets(id), ip_address TEXT NOT NULL,
    network_id TEXT NOT NULL, port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
    PRIMARY KEY (subnet_id, ip_address));
CREATE INDEX IF NOT EXISTS ip_allocations_port ON ip_allocations(port_id);
CREATE TABLE IF NOT EXISTS routers ({_COMMON},
    admin_state_up INTEGER NOT NULL DEFAULT 1, status TEXT NOT NULL DEFAULT 'ACTIVE',
    gw_port_id TEXT, gw_network_id TEXT, enable_snat INTEGER NOT NULL DEFAULT 1,
    routes TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS floatingips ({_COMMON},
    floating_network_id TEXT NOT NULL, floating_ip_address TEXT NOT NULL,
    floating_port_id TEXT NOT NULL, port_id TEXT, fixed_ip_address TEXT, router_id TEXT,
    status TEXT NOT NULL DEFAULT 'DOWN');
CREATE TABLE IF NOT EXISTS security_groups ({_COMMON},
    stateful INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS security_group_rules ({_COMMON},
    security_group_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
    direction TEXT NOT NULL, ethertype TEXT NOT NULL, protocol TEXT,
    port_range_min INTEGER, port_range_max INTEGER, remote_ip_prefix TEXT,
    remote_group_id TEXT);
{QUOTAS_TABLE}
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY, agent_type TEXT NOT NULL, binary TEXT NOT NULL, host TEXT NOT NULL,
    topic TEXT NOT NULL, availability_zone TEXT, admin_state_up INTEGER NOT NULL DEFAULT 1,
    heartbeat_at REAL NOT NULL, started_at REAL NOT NULL, created_at REAL NOT NULL,
    configurations TEXT NOT NULL DEFAULT '{{}}', description TEXT NOT NULL DEFAULT '',
    UNIQUE (agent_type, host));
"""


# The resources with Neutron's standard attributes (timestamps, revision number), and
# what each counts against in a project's quota.
RESOURCE_TABLES = ("networks", "subnets", "ports", "routers", "floatingips",
                   "security_groups", "security_group_rules")
QUOTA_TABLES = {"network": "networks", "subnet": "subnets", "port": "ports",
                "router": "routers", "floatingip": "floatingips",
                "security_group": "security_groups",
                "security_group_rule": "security_group_rules"}
ROUTER_INTERFACE, DHCP_OWNER = "network:router_interface", "network:dhcp"


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(when: float | None = None) -> str:
    """Neutron's timestamp format: 2024-01-01T00:00:00Z."""
    moment = datetime.datetime.fromtimestamp(when if when is not None else time.time(),
                                             datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)


def load(value: str | None, default=None):
    return json.loads(value) if value else default


def _resource_table(table: str) -> str:
    if table not in RESOURCE_TABLES:
        raise ValueError(f"not a Neutron resource table: {table}")
    return table


def _marks(values) -> str:
    return ", ".join("?" * len(values))


class NetworkStore(QuotaLimits, Database):
    """network.db: one method per question the resource modules ask, one per change."""

    def __init__(self, path, read_only: bool = False):
        super().__init__(path, create_schema, read_only)

    def _one(self, sql: str, params=()) -> dict | None:
        found = self.query(sql + " LIMIT 1", params)
        return found[0] if found else None

    def _exists(self, sql: str, params=()) -> bool:
        return self._one(sql, params) is not None

    def _all(self, table: str, order: str = "created_at, id") -> list[dict]:
        return self.query(f"SELECT * FROM {table} ORDER BY {order}")

    # -- any resource: create, change, find by name -----------------------------------------
    def insert(self, table: str, row: dict) -> dict:
        """A new resource row with its standard attributes; returned with the columns'
        defaults."""
        now = stamp()
        row = {"created_at": now, "updated_at": now, "revision_number": 0, **row}
        columns = ", ".join(f"[{k}]" for k in row)
        self.write(f"INSERT INTO {_resource_table(table)} ({columns}) VALUES "
                   f"({_marks(row)})", tuple(row.values()))
        return self.get(table, row["id"])

    def update(self, table: str, row_id: str, changes: dict) -> None:
        """Change columns of a resource; it gets a new `updated_at` and revision number."""
        if changes:
            assignments = ", ".join(f"[{k}] = ?" for k in changes)
            self.write(f"UPDATE {_resource_table(table)} SET {assignments}, updated_at = ?, "
                       "revision_number = revision_number + 1 WHERE id = ?",
                       (*changes.values(), stamp(), row_id))

    def named(self, table: str, name: str, project_id: str | None = None) -> dict | None:
        """The first resource called `name` (in `project_id`, when given)."""
        sql = f"SELECT * FROM {_resource_table(table)} WHERE name = ?"
        if project_id is None:
            return self._one(sql + " ORDER BY created_at, id", (name,))
        return self._one(sql + " AND project_id = ? ORDER BY created_at, id",
                         (name, project_id))

    def usage(self, project_id: str, resource: str) -> int:
        """How many of a quota resource (`network`, `port`, ...) the project has."""
        return self.query(f"SELECT COUNT(*) AS n FROM {QUOTA_TABLES[resource]} "
                          "WHERE project_id = ?", (project_id,))[0]["n"]

    # -- networks ---------------------------------------------------------------------------
    def networks(self) -> list[dict]:
        return self._all("networks")

    def network_ids_of_project(self, project_id: str) -> set[str]:
        return {r["id"] for r in self.query("SELECT id FROM networks WHERE project_id = ?",
                                            (project_id,))}

    def flat_network_on(self, physnet: str) -> bool:
        """Whether a flat network already uses the physical network."""
        return self._exists("SELECT 1 FROM networks WHERE network_type = 'flat' AND "
                            "physical_network = ?", (physnet,))

    def vxlan_ids_in_use(self) -> set[int]:
        return {r["segmentation_id"] for r in self.query(
            "SELECT segmentation_id FROM networks WHERE network_type = 'vxlan'")}

    def network_has_ports_in_use(self, network_id: str) -> bool:
        """Ports other than the network's DHCP port (which goes with the network)."""
        return self._exists("SELECT 1 FROM ports WHERE network_id = ? AND device_owner != ?",
                            (network_id, DHCP_OWNER))

    def delete_network(self, network_id: str) -> None:
        """The network with its ports (their addresses go with them) and its subnets."""
        with self.transaction():
            self.write("DELETE FROM ports WHERE network_id = ?", (network_id,))
            self.write("DELETE FROM subnets WHERE network_id = ?", (network_id,))
            self.write("DELETE FROM networks WHERE id = ?", (network_id,))

    # -- subnets ----------------------------------------------------------------------------
    def subnets(self) -> list[dict]:
        return self._all("subnets")

    def subnets_of(self, network_id: str) -> list[dict]:
        """The network's subnets, oldest first (IPAM's default picks the first)."""
        return self.query("SELECT * FROM subnets WHERE network_id = ? ORDER BY created_at, id",
                          (network_id,))

    def subnet_ids(self, network_id: str) -> list[str]:
        return [s["id"] for s in self.subnets_of(network_id)]

    def delete_subnet(self, subnet_id: str) -> None:
        """The subnet and every address allocated on it."""
        with self.transaction():
            self.write("DELETE FROM ip_allocations WHERE subnet_id = ?", (subnet_id,))
            self.write("DELETE FROM subnets WHERE id = ?", (subnet_id,))

    # -- IP allocations (IPAM) --------------------------------------------------------------
    def allocations(self, port_id: str) -> list[dict]:
        """A port's fixed IPs, [{subnet_id, ip_address}], in the order they were given."""
        return self.query("SELECT subnet_id, ip_address FROM ip_allocations WHERE port_id = ? "
                          "ORDER BY rowid", (port_id,))

    def addresses_in_use(self, subnet_id: str) -> list[str]:
        return [r["ip_address"] for r in self.query(
            "SELECT ip_address FROM ip_allocations WHERE subnet_id = ?", (subnet_id,))]

    def add_allocation(self, subnet_id: str, ip_address: str, network_id: str,
                       port_id: str) -> None:
        self.write("INSERT INTO ip_allocations (subnet_id, ip_address, network_id, port_id) "
                   "VALUES (?, ?, ?, ?)", (subnet_id, ip_address, network_id, port_id))

    def release_allocations(self, port_id: str, subnet_id: str | None = None) -> None:
        """Free the port's addresses (only those on `subnet_id`, when given)."""
        if subnet_id is None:
            self.write("DELETE FROM ip_allocations WHERE port_id = ?", (port_id,))
        else:
            self.write("DELETE FROM ip_allocations WHERE port_id = ? AND subnet_id = ?",
                       (port_id, subnet_id))

    # -- ports ------------------------------------------------------------------------------
    def ports(self) -> list[dict]:
        return self._all("ports")

    def ports_bound_to(self, host: str) -> list[dict]:
        return self.query("SELECT * FROM ports WHERE binding_host_id = ? ORDER BY created_at, id",
                          (host,))

    def ports_on_network(self, network_id: str) -> list[dict]:
        return self.query("SELECT * FROM ports WHERE network_id = ? ORDER BY created_at, id",
                          (network_id,))

    def ports_on_subnet(self, subnet_id: str) -> list[dict]:
        """The ports holding an address on the subnet."""
        return self.query("SELECT p.* FROM ip_allocations a JOIN ports p ON p.id = a.port_id "
                          "WHERE a.subnet_id = ? ORDER BY a.rowid", (subnet_id,))

    def dhcp_port_of(self, network_id: str) -> dict | None:
        return self._one("SELECT * FROM ports WHERE network_id = ? AND device_owner = ?",
                         (network_id, DHCP_OWNER))

    def mac_in_use(self, mac_address: str) -> bool:
        return self._exists("SELECT 1 FROM ports WHERE mac_address = ?", (mac_address,))

    def router_port_holding(self, subnet_id: str, ip_address: str) -> str | None:
        """The id of the router port (interface or gateway) that holds the address."""
        found = self._one("SELECT p.id FROM ip_allocations a JOIN ports p ON p.id = a.port_id "
                          "WHERE a.subnet_id = ? AND a.ip_address = ? AND p.device_owner LIKE "
                          "'network:router%'", (subnet_id, ip_address))
        return found["id"] if found else None

    def delete_port(self, port_id: str) -> None:
        """The port, with its addresses (ON DELETE CASCADE)."""
        self.write("DELETE FROM ports WHERE id = ?", (port_id,))

    # -- routers ----------------------------------------------------------------------------
    def routers(self) -> list[dict]:
        return self._all("routers")

    def router_ports(self, router_id: str) -> list[dict]:
        """The router's gateway and interface ports."""
        return self.query("SELECT * FROM ports WHERE device_id = ? AND device_owner LIKE "
                          "'network:router%' ORDER BY created_at, id", (router_id,))

    def router_has_interfaces(self, router_id: str) -> bool:
        return self._exists("SELECT 1 FROM ports WHERE device_id = ? AND device_owner = ?",
                            (router_id, ROUTER_INTERFACE))

    def router_interface_subnets(self, router_id: str) -> list[dict]:
        """[{id, cidr}] of the subnets the router has an interface on."""
        return self.query("SELECT s.id, s.cidr FROM ports p JOIN ip_allocations a ON "
                          "a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id WHERE "
                          "p.device_id = ? AND p.device_owner = ?", (router_id, ROUTER_INTERFACE))

    def router_interface_on(self, router_id: str, subnet_id: str) -> str | None:
        """The id of the router's interface port on the subnet."""
        found = self._one("SELECT p.id FROM ports p JOIN ip_allocations a ON a.port_id = p.id "
                          "WHERE p.device_id = ? AND p.device_owner = ? AND a.subnet_id = ?",
                          (router_id, ROUTER_INTERFACE, subnet_id))
        return found["id"] if found else None

    def delete_router(self, router_id: str) -> None:
        self.write("DELETE FROM routers WHERE id = ?", (router_id,))

    # -- floating IPs -----------------------------------------------------------------------
    def floatingips(self) -> list[dict]:
        return self._all("floatingips")

    def associated_floatingips(self, router_id: str) -> list[dict]:
        """The floating IPs the router NATs (those associated with a port)."""
        return self.query("SELECT * FROM floatingips WHERE router_id = ? AND port_id IS NOT "
                          "NULL ORDER BY created_at, id", (router_id,))

    def router_has_floatingips(self, router_id: str) -> bool:
        return self._exists("SELECT 1 FROM floatingips WHERE router_id = ?", (router_id,))

    def floatingips_via_subnets(self, router_id: str, subnet_ids: list[str]) -> bool:
        """Whether a floating IP of the router points at an address on these subnets."""
        if not subnet_ids:
            return False
        return self._exists(
            "SELECT 1 FROM floatingips WHERE router_id = ? AND fixed_ip_address IN (SELECT "
            f"ip_address FROM ip_allocations WHERE subnet_id IN ({_marks(subnet_ids)}))",
            (router_id, *subnet_ids))

    def router_between(self, subnet_id: str, external_network_id: str) -> str | None:
        """The oldest router with an interface on the subnet and its gateway on the
        external network."""
        found = self._one(
            "SELECT r.id FROM routers r JOIN ports p ON p.device_id = r.id AND "
            "p.device_owner = ? JOIN ip_allocations a ON a.port_id = p.id WHERE "
            "a.subnet_id = ? AND r.gw_network_id = ? ORDER BY r.created_at",
            (ROUTER_INTERFACE, subnet_id, external_network_id))
        return found["id"] if found else None

    def floatingip_on(self, port_id: str, fixed_ip: str, network_id: str,
                      other_than: str) -> str | None:
        """Another floating IP of the network already on this port's fixed IP."""
        found = self._one("SELECT id FROM floatingips WHERE port_id = ? AND fixed_ip_address "
                          "= ? AND floating_network_id = ? AND id != ?",
                          (port_id, fixed_ip, network_id, other_than))
        return found["id"] if found else None

    def routers_of_floatingips_on(self, port_id: str) -> list[str | None]:
        return [r["router_id"] for r in self.query(
            "SELECT DISTINCT router_id FROM floatingips WHERE port_id = ?", (port_id,))]

    def disassociate_floatingips(self, port_id: str) -> None:
        """The port is going away: its floating IPs stay, unassociated."""
        self.write("UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL, "
                   "router_id = NULL, status = 'DOWN' WHERE port_id = ?", (port_id,))

    def delete_floatingip(self, fip_id: str) -> None:
        self.write("DELETE FROM floatingips WHERE id = ?", (fip_id,))

    # -- security groups --------------------------------------------------------------------
    def security_groups(self) -> list[dict]:
        return self._all("security_groups")

    def security_group_rules(self) -> list[dict]:
        return self._all("security_group_rules")

    def rules_of(self, group_id: str) -> list[dict]:
        return self.query("SELECT * FROM security_group_rules WHERE security_group_id = ? "
                          "ORDER BY created_at, id", (group_id,))

    def security_group_in_use(self, group_id: str) -> bool:
        """Whether a port lists the group (`security_groups` is a JSON list of ids)."""
        return self._exists("SELECT 1 FROM ports WHERE security_groups LIKE ?",
                            (f'%"{group_id}"%',))

    def delete_security_group(self, group_id: str) -> None:
        """The group with its rules (ON DELETE CASCADE)."""
        self.write("DELETE FROM security_groups WHERE id = ?", (group_id,))

    def delete_security_group_rule(self, rule_id: str) -> None:
        self.write("DELETE FROM security_group_rules WHERE id = ?", (rule_id,))

    # -- agents -----------------------------------------------------------------------------
    def agents(self) -> list[dict]:
        return self._all("agents", order="host, agent_type")

    def agent_on(self, agent_type: str, host: str) -> dict | None:
        return self._one("SELECT * FROM agents WHERE agent_type = ? AND host = ?",
                         (agent_type, host))

    def add_agent(self, row: dict) -> None:
        columns = ", ".join(f"[{k}]" for k in row)
        self.write(f"INSERT INTO agents ({columns}) VALUES ({_marks(row)})",
                   tuple(row.values()))

    def update_agent(self, agent_id: str, changes: dict) -> None:
        if changes:
            self.write("UPDATE agents SET " + ", ".join(f"[{k}] = ?" for k in changes) +
                       " WHERE id = ?", (*changes.values(), agent_id))

    def delete_agent(self, agent_id: str) -> None:
        self.write("DELETE FROM agents WHERE id = ?", (agent_id,))
