"""Cinder's tables in `volume.db`: volumes, snapshots, volume types, attachments, quotas,
and every SQL statement Cinder runs on them (one named method per question or change).

Only cinder-api (the controller) opens this file: the storage node's cinder-volume reports
what it did over RPC (reports.py) and never touches it. Status changes that must not race
(two attaches of one volume, a delete during an attach) are compare-and-set updates
(`move_volume`, ...) that the resource modules call inside `transaction()`. The quota
limits an admin set come from the shared QuotaLimits (common/quota_store.py).
"""

from __future__ import annotations

import datetime
import json
import time
import uuid

from minicloud.common.db import Database
from minicloud.common.quota_store import QUOTAS_TABLE, QuotaLimits

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
""" + QUOTAS_TABLE

JSON_COLUMNS = ("metadata", "image_metadata", "extra_specs", "connector", "connection_info")
NEWEST_FIRST = "created_at DESC, id DESC"  # how Cinder lists
# The columns a list may be filtered on (`?status=available`), per table
VOLUME_FILTERS = ("name", "status", "bootable", "availability_zone")
SNAPSHOT_FILTERS = ("name", "status", "volume_id")
ATTACHMENT_FILTERS = ("volume_id", "instance_uuid", "attach_status")


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


class VolumeStore(QuotaLimits, Database):
    def __init__(self, path, read_only: bool = False):
        super().__init__(path, create_schema, read_only)

    # -- volumes ----------------------------------------------------------------------------
    def volume(self, volume_id: str) -> dict | None:
        return decode(self.get("volumes", volume_id))

    def volumes(self, project_id: str | None, **filters) -> list[dict]:
        """Newest first; one project's, or every project's with `project_id=None`;
        `filters` are columns of VOLUME_FILTERS and the value each must have."""
        return self._list("volumes", project_id, filters, VOLUME_FILTERS)

    def volumes_in_status(self, statuses) -> list[dict]:
        return self._in_status("volumes", statuses)

    def insert_volume(self, row: dict) -> dict:
        return self._insert("volumes", row)

    def update_volume(self, volume_id: str, changes: dict) -> None:
        self._update("volumes", volume_id, {**changes, "updated_at": stamp()})

    def move_volume(self, volume_id: str, from_statuses, to_status: str, **changes) -> bool:
        """Set the status only if it is one of `from_statuses` now (the race-free step)."""
        return self._move("volumes", "status", volume_id, from_statuses,
                          {"status": to_status, **changes, "updated_at": stamp()})

    def delete_volume(self, volume_id: str) -> None:
        self.write("DELETE FROM volumes WHERE id = ?", (volume_id,))

    def volume_type_in_use(self, type_id: str) -> bool:
        return bool(self.query("SELECT 1 FROM volumes WHERE volume_type_id = ? LIMIT 1",
                               (type_id,)))

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self, snapshot_id: str) -> dict | None:
        return decode(self.get("snapshots", snapshot_id))

    def snapshots(self, project_id: str | None, **filters) -> list[dict]:
        """As `volumes`, with the columns of SNAPSHOT_FILTERS."""
        return self._list("snapshots", project_id, filters, SNAPSHOT_FILTERS)

    def snapshots_of_volume(self, volume_id: str) -> list[dict]:
        return [decode(r) for r in self.query("SELECT * FROM snapshots WHERE volume_id = ?",
                                              (volume_id,))]

    def snapshots_in_status(self, statuses) -> list[dict]:
        return self._in_status("snapshots", statuses)

    def insert_snapshot(self, row: dict) -> dict:
        return self._insert("snapshots", row)

    def update_snapshot(self, snapshot_id: str, changes: dict) -> None:
        self._update("snapshots", snapshot_id, {**changes, "updated_at": stamp()})

    def move_snapshot(self, snapshot_id: str, from_statuses, to_status: str) -> bool:
        return self._move("snapshots", "status", snapshot_id, from_statuses,
                          {"status": to_status, "updated_at": stamp()})

    def delete_snapshot(self, snapshot_id: str) -> None:
        self.write("DELETE FROM snapshots WHERE id = ?", (snapshot_id,))

    # -- volume types -----------------------------------------------------------------------
    def volume_type(self, type_id: str) -> dict | None:
        return decode(self.get("volume_types", type_id))

    def volume_type_by_name(self, name: str) -> dict | None:
        found = self.query("SELECT * FROM volume_types WHERE name = ?", (name,))
        return decode(found[0]) if found else None

    def volume_type_by_name_or_id(self, name_or_id: str) -> dict | None:
        """`--type lvm` and `--type <uuid>` both name a type."""
        found = self.query("SELECT * FROM volume_types WHERE id = ? OR name = ? LIMIT 1",
                           (name_or_id, name_or_id))
        return decode(found[0]) if found else None

    def volume_types(self) -> list[dict]:
        """By name."""
        return [decode(r) for r in self.query("SELECT * FROM volume_types ORDER BY name")]

    def insert_volume_type(self, row: dict) -> dict:
        return self._insert("volume_types", row)

    def update_volume_type(self, type_id: str, changes: dict) -> None:
        self._update("volume_types", type_id, changes)

    def delete_volume_type(self, type_id: str) -> None:
        self.write("DELETE FROM volume_types WHERE id = ?", (type_id,))

    # -- attachments ------------------------------------------------------------------------
    def attachment(self, attachment_id: str) -> dict | None:
        return decode(self.get("attachments", attachment_id))

    def attachments(self, project_id: str | None, **filters) -> list[dict]:
        """As `volumes`, with the columns of ATTACHMENT_FILTERS."""
        return self._list("attachments", project_id, filters, ATTACHMENT_FILTERS)

    def attachments_of_volume(self, volume_id: str) -> list[dict]:
        """Oldest first (the order a volume shows them in)."""
        return [decode(r) for r in self.query(
            "SELECT * FROM attachments WHERE volume_id = ? ORDER BY created_at", (volume_id,))]

    def insert_attachment(self, row: dict) -> dict:
        return self._insert("attachments", row)

    def update_attachment(self, attachment_id: str, changes: dict) -> None:
        self._update("attachments", attachment_id, changes)

    def move_attachment(self, attachment_id: str, from_statuses, to_status: str,
                        **changes) -> bool:
        return self._move("attachments", "attach_status", attachment_id, from_statuses,
                          {"attach_status": to_status, **changes})

    def delete_attachment(self, attachment_id: str) -> None:
        self.write("DELETE FROM attachments WHERE id = ?", (attachment_id,))

    # -- usage (quotas; the limits themselves are QuotaLimits') -----------------------------
    def project_usage(self, project_id: str) -> dict:
        """What a project has: volumes, snapshots, and the gigabytes of both."""
        found = self.query(
            "SELECT (SELECT COUNT(*) FROM volumes WHERE project_id = :p) AS volumes, "
            "(SELECT COUNT(*) FROM snapshots WHERE project_id = :p) AS snapshots, "
            "(SELECT COALESCE(SUM(size), 0) FROM volumes WHERE project_id = :p) + "
            "(SELECT COALESCE(SUM(size), 0) FROM snapshots WHERE project_id = :p) AS gigabytes",
            {"p": project_id})[0]
        return dict(found)

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

    # -- the statements the named methods share (table names are this module's own) ---------
    def _list(self, table: str, project_id: str | None, filters: dict, allowed) -> list[dict]:
        unknown = set(filters) - set(allowed)
        if unknown:
            raise ValueError(f"{table} cannot be filtered on {', '.join(sorted(unknown))}")
        if project_id is not None:
            filters = {"project_id": project_id, **filters}
        where = " AND ".join(f"{column} = ?" for column in filters)
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return [decode(r) for r in self.query(f"{sql} ORDER BY {NEWEST_FIRST}",
                                              tuple(filters.values()))]

    def _in_status(self, table: str, statuses) -> list[dict]:
        marks = ", ".join("?" for _ in statuses)
        return [decode(r) for r in self.query(
            f"SELECT * FROM {table} WHERE status IN ({marks}) ORDER BY {NEWEST_FIRST}",
            tuple(statuses))]

    def _insert(self, table: str, row: dict) -> dict:
        self.db[table].insert(encode(row))
        return row

    def _update(self, table: str, row_id: str, changes: dict) -> None:
        self.db[table].update(row_id, encode(changes))

    def _move(self, table: str, column: str, row_id: str, from_statuses,
              changes: dict) -> bool:
        sets = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" for _ in from_statuses)
        changed = self.write(f"UPDATE {table} SET {sets} WHERE id = ? AND {column} IN ({marks})",
                             (*encode(changes).values(), row_id, *from_statuses))
        return changed == 1
