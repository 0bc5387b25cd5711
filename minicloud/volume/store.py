"""Cinder's tables in `volume.db`: volumes, snapshots, volume types, attachments, quotas.

Only cinder-api (the controller) opens this file: the storage node's cinder-volume reports
what it did over RPC (reports.py) and never touches it. Status changes that must not race
(two attaches of one volume, a delete during an attach) are compare-and-set updates in
`transaction()`.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid

from minicloud.common.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS volumes (
    id TEXT PRIMARY KEY, name TEXT, description TEXT, project_id TEXT NOT NULL,
    user_id TEXT, size INTEGER NOT NULL, status TEXT NOT NULL,
    attach_status TEXT NOT NULL DEFAULT 'detached', volume_type_id TEXT, host TEXT,
    availability_zone TEXT NOT NULL DEFAULT 'nova', bootable INTEGER NOT NULL DEFAULT 0,
    snapshot_id TEXT, source_volid TEXT, image_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}', image_metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, updated_at TEXT);
CREATE INDEX IF NOT EXISTS volumes_project ON volumes(project_id);
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY, name TEXT, description TEXT, project_id TEXT NOT NULL,
    user_id TEXT, volume_id TEXT NOT NULL, size INTEGER NOT NULL, status TEXT NOT NULL,
    progress TEXT NOT NULL DEFAULT '0%', host TEXT, metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, updated_at TEXT);
CREATE INDEX IF NOT EXISTS snapshots_volume ON snapshots(volume_id);
CREATE TABLE IF NOT EXISTS volume_types (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT,
    is_public INTEGER NOT NULL DEFAULT 1, extra_specs TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY, volume_id TEXT NOT NULL REFERENCES volumes(id),
    project_id TEXT NOT NULL, instance_uuid TEXT, attached_host TEXT, mountpoint TEXT,
    attach_status TEXT NOT NULL, attach_mode TEXT NOT NULL DEFAULT 'rw',
    connector TEXT NOT NULL DEFAULT '{}', connection_info TEXT NOT NULL DEFAULT '{}',
    attach_time TEXT, detach_time TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attachments_volume ON attachments(volume_id);
CREATE TABLE IF NOT EXISTS quotas (
    project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource));
"""

JSON_COLUMNS = ("metadata", "image_metadata", "extra_specs", "connector", "connection_info")


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(when: float | None = None) -> str:
    """Cinder's timestamp format: 2024-01-01T00:00:00.000000."""
    moment = datetime.datetime.fromtimestamp(when if when is not None else time.time(),
                                             datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: json.loads(v) if k in JSON_COLUMNS and v is not None else v
            for k, v in row.items()}


def encode(fields: dict) -> dict:
    return {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in fields.items()}


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)


class VolumeStore(Database):
    def __init__(self, path):
        super().__init__(path, create_schema)

    def rows(self, table: str, where: str = "", params=(), order: str = "created_at DESC, id DESC"):
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return [decode(r) for r in self.query(sql + (f" ORDER BY {order}" if order else ""),
                                              params)]

    def row(self, table: str, row_id: str) -> dict | None:
        return decode(self.get(table, row_id))

    def insert(self, table: str, row: dict) -> dict:
        self.db[table].insert(encode(row))
        return row

    def update(self, table: str, row_id: str, changes: dict) -> None:
        if table != "volume_types" and table != "attachments":
            changes = {**changes, "updated_at": stamp()}
        self.db[table].update(row_id, encode(changes))

    def move(self, table: str, row_id: str, from_statuses, to_status: str, **changes) -> bool:
        """Set the status only if it is one of `from_statuses` now (the race-free step)."""
        column = "attach_status" if table == "attachments" else "status"
        changes = {column: to_status, **changes}
        if table != "attachments":
            changes["updated_at"] = stamp()
        sets = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" for _ in from_statuses)
        cursor = self.db.execute(
            f"UPDATE {table} SET {sets} WHERE id = ? AND {column} IN ({marks})",
            (*encode(changes).values(), row_id, *from_statuses))
        return cursor.rowcount == 1

    def delete(self, table: str, row_id: str) -> None:
        self.db.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))

    def count(self, table: str, where: str, params=()) -> int:
        return self.query(f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", params)[0]["n"]

    def total(self, table: str, column: str, where: str, params=()) -> int:
        found = self.query(f"SELECT COALESCE(SUM({column}), 0) AS n FROM {table} WHERE {where}",
                           params)
        return found[0]["n"]

    def type_usage(self, project_id: str, type_id: str) -> dict:
        """A project's volumes, snapshots and gigabytes of one volume type (the per-type
        quota lines: `volumes_<type>`, ...); a snapshot counts as its volume's type."""
        volumes = self.query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS gb FROM volumes "
            "WHERE project_id = ? AND volume_type_id = ?", (project_id, type_id))[0]
        snapshots = self.query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(snapshots.size), 0) AS gb FROM snapshots "
            "JOIN volumes ON volumes.id = snapshots.volume_id "
            "WHERE snapshots.project_id = ? AND volumes.volume_type_id = ?",
            (project_id, type_id))[0]
        return {"volumes": volumes["n"], "snapshots": snapshots["n"],
                "gigabytes": volumes["gb"] + snapshots["gb"]}
