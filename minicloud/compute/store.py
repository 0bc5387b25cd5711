"""Nova's tables in `compute.db`: flavors, key pairs, instances, their actions and events,
compute services and nodes (what each host offers), resource allocations, migrations and
quotas (the limits an admin set, common/quota_store.py; the defaults are core.py's). Every
SQL statement of Nova is here, behind a named method.

Only nova-api and nova-conductor open this database; compute hosts (and the scheduler)
reach it through the conductor over RPC, as in Nova, where nova-compute has no database
credentials at all.
"""

from __future__ import annotations

import json
import time
import uuid

from minicloud.common.db import Database
from minicloud.common.quota_store import QUOTAS_TABLE, QuotaLimits

SCHEMA = """
CREATE TABLE IF NOT EXISTS flavors (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, ram INTEGER NOT NULL,
    vcpus INTEGER NOT NULL, disk INTEGER NOT NULL, ephemeral INTEGER NOT NULL DEFAULT 0,
    swap INTEGER NOT NULL DEFAULT 0, rxtx_factor REAL NOT NULL DEFAULT 1.0,
    is_public INTEGER NOT NULL DEFAULT 1, disabled INTEGER NOT NULL DEFAULT 0,
    description TEXT, extra_specs TEXT NOT NULL DEFAULT '{}', created REAL);
CREATE TABLE IF NOT EXISTS keypairs (
    user_id TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'ssh', created REAL,
    PRIMARY KEY (user_id, name));
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, project_id TEXT NOT NULL,
    user_id TEXT NOT NULL, image_ref TEXT NOT NULL DEFAULT '', flavor TEXT NOT NULL,
    vm_state TEXT NOT NULL, task_state TEXT, power_state INTEGER NOT NULL DEFAULT 0,
    host TEXT, node TEXT, availability_zone TEXT, key_name TEXT, key_data TEXT,
    metadata TEXT NOT NULL DEFAULT '{}', user_data TEXT, security_groups TEXT NOT NULL
    DEFAULT '[]', requested_networks TEXT NOT NULL DEFAULT '[]',
    network_info TEXT NOT NULL DEFAULT '[]', fault TEXT, created REAL NOT NULL,
    updated REAL NOT NULL, launched_at REAL, terminated_at REAL, deleted INTEGER NOT NULL
    DEFAULT 0, description TEXT, locked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS instances_project ON instances(project_id, deleted);
CREATE TABLE IF NOT EXISTS instance_actions (
    request_id TEXT NOT NULL, instance_id TEXT NOT NULL, action TEXT NOT NULL,
    project_id TEXT, user_id TEXT, start_time REAL NOT NULL, updated REAL,
    message TEXT, PRIMARY KEY (instance_id, request_id));
CREATE TABLE IF NOT EXISTS action_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, request_id TEXT NOT NULL,
    event TEXT NOT NULL, start_time REAL NOT NULL, finish_time REAL, result TEXT,
    host TEXT, details TEXT);
CREATE TABLE IF NOT EXISTS services (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, binary TEXT NOT NULL,
    host TEXT NOT NULL, zone TEXT NOT NULL DEFAULT 'nova', disabled INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT, forced_down INTEGER NOT NULL DEFAULT 0, last_seen REAL,
    created REAL, updated REAL, UNIQUE (binary, host));
CREATE TABLE IF NOT EXISTS compute_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, host TEXT NOT NULL UNIQUE,
    hypervisor_type TEXT NOT NULL, host_ip TEXT, vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL, local_gb INTEGER NOT NULL, cpu_ratio REAL NOT NULL,
    ram_ratio REAL NOT NULL, disk_ratio REAL NOT NULL, updated REAL);
-- What each instance holds on each host (two rows while a migration is unconfirmed).
CREATE TABLE IF NOT EXISTS allocations (
    instance_id TEXT NOT NULL, host TEXT NOT NULL, vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL, disk_gb INTEGER NOT NULL, PRIMARY KEY (instance_id, host));
CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL, instance_id TEXT NOT NULL,
    source TEXT, dest TEXT, type TEXT NOT NULL, status TEXT NOT NULL, created REAL,
    updated REAL);
-- Volumes attached to instances (Nova's block_device_mapping; the root disk is not here).
CREATE TABLE IF NOT EXISTS block_device_mappings (
    uuid TEXT PRIMARY KEY, instance_id TEXT NOT NULL, volume_id TEXT NOT NULL,
    attachment_id TEXT, device_name TEXT NOT NULL, tag TEXT,
    delete_on_termination INTEGER NOT NULL DEFAULT 0, created REAL,
    UNIQUE (instance_id, volume_id), UNIQUE (instance_id, device_name));
""" + QUOTAS_TABLE

# As DevStack creates them: id, name, ram MB, disk GB, vcpus.
DEFAULT_FLAVORS = [("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 20, 1),
                   ("3", "m1.medium", 4096, 40, 2), ("4", "m1.large", 8192, 80, 4),
                   ("5", "m1.xlarge", 16384, 160, 8)]

JSON_FIELDS = ("flavor", "metadata", "security_groups", "requested_networks", "network_info",
               "fault", "extra_specs", "system_metadata")


def new_uuid() -> str:
    return str(uuid.uuid4())


# Columns of the server actions (server_actions.py): who locked a server and why, and
# Nova's system_metadata (a resize's old and new flavor, the shelved image). Added with
# ALTER TABLE so that an older compute.db gains them too.
ADDED_COLUMNS = {"instances": ("locked_by TEXT", "locked_reason TEXT",
                               "system_metadata TEXT NOT NULL DEFAULT '{}'",
                               # accessIPv4/accessIPv6, as the user set them (servers.py)
                               "access_ip_v4 TEXT", "access_ip_v6 TEXT",
                               # OS-EXT-SRV-ATTR:hostname once set by PUT (>= 2.90)
                               "hostname TEXT")}


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)
    for table, columns in ADDED_COLUMNS.items():
        have = {c.name for c in db[table].columns}
        for column in columns:
            if column.split()[0] not in have:
                db.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    for key in JSON_FIELDS:
        if key in row and isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


def encode(fields: dict) -> dict:
    return {k: json.dumps(v) if k in JSON_FIELDS and not isinstance(v, str) and v is not None
            else v for k, v in fields.items()}


class ComputeStore(Database, QuotaLimits):
    def __init__(self, path, clock=time.time, read_only: bool = False):
        super().__init__(path, create_schema, read_only)
        self.clock = clock
        if not read_only:
            self._seed_flavors()

    def _seed_flavors(self) -> None:
        with self.transaction() as db:
            for fid, name, ram, disk, vcpus in DEFAULT_FLAVORS:
                if not self.query("SELECT 1 FROM flavors WHERE id = ? OR name = ?", (fid, name)):
                    db["flavors"].insert({"id": fid, "name": name, "ram": ram, "disk": disk,
                                          "vcpus": vcpus, "created": self.clock()})

    # -- flavors ----------------------------------------------------------------------------
    def flavor(self, ident: str) -> dict | None:
        return decode(self.get("flavors", ident))

    def flavor_named(self, name: str) -> dict | None:
        found = self.query("SELECT * FROM flavors WHERE name = ?", (name,))
        return decode(found[0]) if found else None

    def flavors(self, *, public: bool | None = None, min_ram: int | None = None,
                min_disk: int | None = None) -> list[dict]:
        """Flavors by RAM then id; `public` None lists public and private ones."""
        where, params = [], []
        if public is not None:
            where.append("is_public = ?")
            params.append(int(public))
        for column, minimum in (("ram", min_ram), ("disk", min_disk)):
            if minimum is not None:
                where.append(f"{column} >= ?")
                params.append(minimum)
        sql = "SELECT * FROM flavors" + (f" WHERE {' AND '.join(where)}" if where else "")
        return [decode(r) for r in self.query(sql + " ORDER BY ram, id", params)]

    def add_flavor(self, row: dict) -> None:
        self.db["flavors"].insert(row)

    def delete_flavor(self, flavor_id: str) -> None:
        self.write("DELETE FROM flavors WHERE id = ?", (flavor_id,))

    def set_extra_specs(self, flavor_id: str, specs: dict) -> None:
        self.write("UPDATE flavors SET extra_specs = ? WHERE id = ?",
                   (json.dumps(specs), flavor_id))

    # -- key pairs --------------------------------------------------------------------------
    def keypairs(self, user_id: str) -> list[dict]:
        return self.query("SELECT * FROM keypairs WHERE user_id = ? ORDER BY name", (user_id,))

    def keypair(self, user_id: str, name: str) -> dict | None:
        return self.get("keypairs", (user_id, name))

    def keypair_count(self, user_id: str) -> int:
        return self.query("SELECT COUNT(*) AS n FROM keypairs WHERE user_id = ?",
                          (user_id,))[0]["n"]

    def add_keypair(self, row: dict) -> None:
        self.db["keypairs"].insert(row)

    def delete_keypair(self, user_id: str, name: str) -> None:
        self.write("DELETE FROM keypairs WHERE user_id = ? AND name = ?", (user_id, name))

    # -- instances --------------------------------------------------------------------------
    def instance(self, instance_id: str, include_deleted: bool = False) -> dict | None:
        row = decode(self.get("instances", instance_id))
        if row is None or (row["deleted"] and not include_deleted):
            return None
        return self._with_volumes([row])[0]

    def instances(self, *, project_id: str | None = None, user_id: str | None = None,
                  host: str | None = None, image_ref: str | None = None) -> list[dict]:
        """The live instances, newest first; each filter given must match."""
        wanted = {"project_id": project_id, "user_id": user_id, "host": host,
                  "image_ref": image_ref}
        equal = {column: value for column, value in wanted.items() if value is not None}
        where = "".join(f" AND {column} = ?" for column in equal)
        rows = self.query(f"SELECT * FROM instances WHERE deleted = 0{where} ORDER BY "
                          f"created DESC, seq DESC", list(equal.values()))
        return self._with_volumes([decode(r) for r in rows])

    def unscheduled_instances(self) -> list[dict]:
        """Instances still building that never reached a host."""
        rows = self.query("SELECT * FROM instances WHERE deleted = 0 AND host IS NULL AND "
                          "vm_state = 'building' ORDER BY created DESC, seq DESC")
        return self._with_volumes([decode(r) for r in rows])

    def _with_volumes(self, rows: list[dict]) -> list[dict]:
        """Each instance with `volumes_attached`: [{"id", "delete_on_termination"}]."""
        if not rows:
            return rows
        marks = ", ".join("?" for _ in rows)
        found: dict[str, list] = {}
        for bdm in self.query(f"SELECT instance_id, volume_id, delete_on_termination FROM "
                              f"block_device_mappings WHERE instance_id IN ({marks}) ORDER BY "
                              f"device_name", [r["id"] for r in rows]):
            found.setdefault(bdm["instance_id"], []).append(
                {"id": bdm["volume_id"],
                 "delete_on_termination": bool(bdm["delete_on_termination"])})
        for row in rows:
            row["volumes_attached"] = found.get(row["id"], [])
        return rows

    # -- block device mappings (attached volumes) -------------------------------------------
    def bdms(self, instance_id: str) -> list[dict]:
        return self.query("SELECT * FROM block_device_mappings WHERE instance_id = ? ORDER BY "
                          "device_name", (instance_id,))

    def bdm(self, instance_id: str, volume_id: str) -> dict | None:
        found = self.query("SELECT * FROM block_device_mappings WHERE instance_id = ? AND "
                           "volume_id = ?", (instance_id, volume_id))
        return found[0] if found else None

    def add_bdm(self, row: dict) -> dict:
        self.db["block_device_mappings"].insert({"created": self.clock(), **row})
        return self.bdm(row["instance_id"], row["volume_id"])

    def set_bdm_attachment(self, bdm_uuid: str, attachment_id: str) -> None:
        self.db.execute("UPDATE block_device_mappings SET attachment_id = ? WHERE uuid = ?",
                        (attachment_id, bdm_uuid))

    def delete_bdm(self, bdm_uuid: str) -> None:
        self.db.execute("DELETE FROM block_device_mappings WHERE uuid = ?", (bdm_uuid,))

    def create_instance(self, fields: dict) -> dict:
        now = self.clock()
        with self.transaction() as db:
            seq = self.query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM instances")[0]["n"]
            row = {"seq": seq, "created": now, "updated": now, **fields}
            db["instances"].insert(encode(row))
        return self.instance(fields["id"])

    def delete_instances(self, instance_ids: list[str]) -> None:
        """Rows that must not exist after all (a create that lost its quota recheck)."""
        marks = ", ".join("?" for _ in instance_ids)
        with self.transaction() as db:
            for table, column in (("action_events", "instance_id"),
                                  ("instance_actions", "instance_id"), ("instances", "id")):
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", instance_ids)

    def update_instance(self, instance_id: str, **fields) -> dict | None:
        fields["updated"] = self.clock()
        with self.transaction() as db:
            db["instances"].update(instance_id, encode(fields))
        return self.instance(instance_id, include_deleted=True)

    def usage(self, project_id: str) -> dict:
        """The project's live servers, vCPUs and RAM, summed by SQLite (a quota check runs
        inside the create's write transaction: it must not read every row into Python)."""
        row = self.query("SELECT COUNT(*) AS instances, "
                         "COALESCE(SUM(json_extract(flavor, '$.vcpus')), 0) AS cores, "
                         "COALESCE(SUM(json_extract(flavor, '$.ram')), 0) AS ram "
                         "FROM instances WHERE deleted = 0 AND project_id = ?", (project_id,))[0]
        return {"instances": row["instances"], "cores": row["cores"], "ram": row["ram"]}

    # -- instance actions -------------------------------------------------------------------
    def start_action(self, ctx, instance_id: str, action: str) -> None:
        self.db["instance_actions"].upsert({
            "request_id": ctx.request_id, "instance_id": instance_id, "action": action,
            "project_id": ctx.project_id, "user_id": ctx.user_id, "start_time": self.clock(),
            "updated": self.clock()}, pk=("instance_id", "request_id"))

    def add_event(self, instance_id: str, request_id: str, event: str, *, result: str,
                  host: str | None = None, details: str | None = None,
                  start: float | None = None) -> None:
        now = self.clock()
        self.db["action_events"].insert({
            "instance_id": instance_id, "request_id": request_id, "event": event,
            "start_time": start or now, "finish_time": now, "result": result, "host": host,
            "details": details})
        if result == "Error":
            self.db.execute("UPDATE instance_actions SET message = 'Error', updated = ? WHERE "
                            "instance_id = ? AND request_id = ?", (now, instance_id, request_id))

    def instance_actions(self, instance_id: str) -> list[dict]:
        return self.query("SELECT * FROM instance_actions WHERE instance_id = ? ORDER BY "
                          "start_time DESC", (instance_id,))

    def instance_action(self, instance_id: str, request_id: str) -> dict | None:
        return self.get("instance_actions", (instance_id, request_id))

    def action_events(self, instance_id: str, request_id: str) -> list[dict]:
        return self.query("SELECT * FROM action_events WHERE instance_id = ? AND "
                          "request_id = ? ORDER BY id", (instance_id, request_id))

    # -- services and nodes -----------------------------------------------------------------
    def ensure_service(self, binary: str, host: str) -> dict:
        with self.transaction() as db:
            found = self.query("SELECT * FROM services WHERE binary = ? AND host = ?",
                               (binary, host))
            if found:
                return found[0]
            now = self.clock()
            db["services"].insert({"uuid": new_uuid(), "binary": binary, "host": host,
                                   "created": now, "updated": now, "last_seen": now})
        return self.query("SELECT * FROM services WHERE binary = ? AND host = ?",
                          (binary, host))[0]

    def heartbeat(self, binary: str, host: str) -> None:
        self.ensure_service(binary, host)
        self.db.execute("UPDATE services SET last_seen = ? WHERE binary = ? AND host = ?",
                        (self.clock(), binary, host))

    def services(self) -> list[dict]:
        return self.query("SELECT * FROM services ORDER BY id")

    def update_service(self, service_id: int, **fields) -> None:
        """Enable or disable a service, or force it down (`compute service set`)."""
        self.db["services"].update(service_id, fields)

    def delete_service(self, service_id: int) -> None:
        self.write("DELETE FROM services WHERE id = ?", (service_id,))

    def compute_node(self, host: str) -> dict | None:
        found = self.query("SELECT * FROM compute_nodes WHERE host = ?", (host,))
        return found[0] if found else None

    def compute_nodes(self) -> list[dict]:
        return self.query("SELECT * FROM compute_nodes ORDER BY id")

    def upsert_compute_node(self, host: str, resources: dict) -> None:
        with self.transaction() as db:
            found = self.query("SELECT uuid FROM compute_nodes WHERE host = ?", (host,))
            row = {"host": host, "updated": self.clock(), **resources,
                   "uuid": found[0]["uuid"] if found else new_uuid()}
            db["compute_nodes"].upsert(row, pk="host")

    def used(self) -> dict[str, dict]:
        """Per host: vcpus, memory_mb, disk_gb allocated and number of instances."""
        rows = self.query("SELECT host, SUM(vcpus) AS vcpus, SUM(memory_mb) AS memory_mb, "
                          "SUM(disk_gb) AS disk_gb, COUNT(*) AS instances FROM allocations "
                          "GROUP BY host")
        return {r["host"]: r for r in rows}

    def allocations(self) -> list[dict]:
        """Every claim a host holds: instance_id, host and the resources."""
        return self.query("SELECT * FROM allocations ORDER BY host, instance_id")

    def allocate(self, instance_id: str, host: str, flavor: dict) -> None:
        self.db["allocations"].upsert({
            "instance_id": instance_id, "host": host, "vcpus": flavor["vcpus"],
            "memory_mb": flavor["ram"], "disk_gb": flavor["disk"]},
            pk=("instance_id", "host"))

    def free(self, instance_id: str, host: str | None = None) -> None:
        if host is None:
            self.db.execute("DELETE FROM allocations WHERE instance_id = ?", (instance_id,))
        else:
            self.db.execute("DELETE FROM allocations WHERE instance_id = ? AND host = ?",
                            (instance_id, host))

    # -- migrations -------------------------------------------------------------------------
    def add_migration(self, instance_id: str, source: str, dest: str | None, kind: str,
                      status: str = "migrating") -> dict:
        """`dest` may wait for the scheduler (an evacuation without a requested host)."""
        now = self.clock()
        row = {"uuid": new_uuid(), "instance_id": instance_id, "source": source, "dest": dest,
               "type": kind, "status": status, "created": now, "updated": now}
        self.db["migrations"].insert(row)
        return row

    def migration(self, instance_id: str, status: str | None = None) -> dict | None:
        sql = "SELECT * FROM migrations WHERE instance_id = ?"
        params = [instance_id]
        if status:
            sql += " AND status = ?"
            params.append(status)
        found = self.query(sql + " ORDER BY id DESC LIMIT 1", params)
        return found[0] if found else None

    def migrations(self, *, instance_id: str | None = None, status: str | None = None,
                   kind: str | None = None, host: str | None = None) -> list[dict]:
        """Migrations, newest first; `host` matches the source or the destination."""
        where, params = [], []
        for column, value in (("instance_id", instance_id), ("status", status),
                              ("type", kind)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if host:
            where.append("(source = ? OR dest = ?)")
            params += [host, host]
        sql = "SELECT * FROM migrations" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self.query(sql + " ORDER BY id DESC", params)

    def set_migration_status(self, migration_uuid: str, status: str,
                             dest: str | None = None) -> None:
        """The new status (and the destination, once the conductor chose it)."""
        self.db.execute("UPDATE migrations SET status = ?, dest = COALESCE(?, dest), "
                        "updated = ? WHERE uuid = ?",
                        (status, dest, self.clock(), migration_uuid))
