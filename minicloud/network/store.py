"""Neutron's tables in `network.db`: networks, subnets, ports and their IP allocations,
routers, floating IPs, security groups and rules, quotas and agents.

`ip_allocations` has one row per address in use, keyed by (subnet, address): even a bug
in IPAM could not hand out an address twice, the database would refuse the second row.
Read-then-write blocks (IPAM, quota checks, name checks) run in `transaction()`.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid

from minicloud.common.db import Database

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
CREATE TABLE IF NOT EXISTS quotas (
    project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource));
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY, agent_type TEXT NOT NULL, binary TEXT NOT NULL, host TEXT NOT NULL,
    topic TEXT NOT NULL, availability_zone TEXT, admin_state_up INTEGER NOT NULL DEFAULT 1,
    heartbeat_at REAL NOT NULL, started_at REAL NOT NULL, created_at REAL NOT NULL,
    configurations TEXT NOT NULL DEFAULT '{{}}', description TEXT NOT NULL DEFAULT '',
    UNIQUE (agent_type, host));
"""


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


class NetworkStore(Database):
    """network.db, with the look-ups several resources share."""

    def __init__(self, path):
        super().__init__(path, create_schema)

    def rows(self, table: str, where: str = "", params=(), order: str = "created_at, id"):
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return self.query(sql + (f" ORDER BY {order}" if order else ""), params)

    def one(self, table: str, where: str, params=()) -> dict | None:
        found = self.query(f"SELECT * FROM {table} WHERE {where} LIMIT 1", params)
        return found[0] if found else None

    def count(self, table: str, where: str, params=()) -> int:
        return self.query(f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", params)[0]["n"]

    def insert(self, db, table: str, row: dict) -> dict:
        now = stamp()
        row = {"created_at": now, "updated_at": now, "revision_number": 0, **row}
        db[table].insert(row)
        return dict(db[table].get(row["id"]))  # with the columns' defaults

    def update(self, db, table: str, row_id: str, changes: dict) -> None:
        if changes:
            db.execute(f"UPDATE {table} SET " + ", ".join(f"{k} = ?" for k in changes) +
                       ", updated_at = ?, revision_number = revision_number + 1 WHERE id = ?",
                       (*changes.values(), stamp(), row_id))

    def allocations(self, port_id: str) -> list[dict]:
        return self.query("SELECT subnet_id, ip_address FROM ip_allocations WHERE port_id = ? "
                          "ORDER BY rowid", (port_id,))

    def subnet_ids(self, network_id: str) -> list[str]:
        return [r["id"] for r in self.rows("subnets", "network_id = ?", (network_id,))]
