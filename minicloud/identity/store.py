"""Keystone's tables: domains, projects, users, groups, roles, assignments, the catalog and
token revocation events, in `identity.db`.

Tokens themselves are not stored (Fernet tokens carry their own payload); only the events
that revoke them are. Passwords are stored only as a KDF hash (see passwords.py).
"""

from __future__ import annotations

import json
import uuid

from minicloud.common.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1, tags TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
    description TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1,
    parent_id TEXT, tags TEXT NOT NULL DEFAULT '[]', UNIQUE (domain_id, name));
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
    enabled INTEGER NOT NULL DEFAULT 1, default_project_id TEXT, email TEXT,
    description TEXT, password_hash TEXT, password_created_at REAL,
    extra TEXT NOT NULL DEFAULT '{}', UNIQUE (domain_id, name));
CREATE TABLE IF NOT EXISTS groups_ (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
    description TEXT NOT NULL DEFAULT '', UNIQUE (domain_id, name));
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL REFERENCES groups_(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id));
CREATE TABLE IF NOT EXISTS roles (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, domain_id TEXT,
    description TEXT NOT NULL DEFAULT '');
-- type: UserProject, UserDomain, GroupProject, GroupDomain, UserSystem, GroupSystem
CREATE TABLE IF NOT EXISTS assignments (
    type TEXT NOT NULL, actor_id TEXT NOT NULL, target_id TEXT NOT NULL,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    inherited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (type, actor_id, target_id, role_id, inherited));
CREATE INDEX IF NOT EXISTS assignments_target ON assignments(target_id);
-- Role inference: holding the prior role implies the implied one (admin -> member -> reader).
CREATE TABLE IF NOT EXISTS implied_roles (
    prior_role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    implied_role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id));
CREATE TABLE IF NOT EXISTS regions (
    id TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '', parent_region_id TEXT);
CREATE TABLE IF NOT EXISTS services (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS endpoints (
    id TEXT PRIMARY KEY, service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    interface TEXT NOT NULL, region_id TEXT REFERENCES regions(id), url TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1);
-- A token is revoked when an event matches it: its audit id, or its user before a time.
CREATE TABLE IF NOT EXISTS revocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, audit_id TEXT, user_id TEXT, project_id TEXT,
    issued_before REAL NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS revocations_audit ON revocations(audit_id);
CREATE INDEX IF NOT EXISTS revocations_user ON revocations(user_id);
CREATE INDEX IF NOT EXISTS revocations_expiry ON revocations(expires_at);
"""


def new_id() -> str:
    return uuid.uuid4().hex


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)


class IdentityStore(Database):
    """identity.db, with the look-ups that more than one resource needs."""

    def __init__(self, path):
        super().__init__(path, create_schema)

    # -- generic helpers ------------------------------------------------------------------
    def rows(self, table: str, where: str = "", params=(), order: str = "name") -> list[dict]:
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        if order:
            sql += f" ORDER BY {order}"
        return self.query(sql, params)

    def one(self, table: str, where: str, params=()) -> dict | None:
        found = self.query(f"SELECT * FROM {table} WHERE {where} LIMIT 1", params)
        return found[0] if found else None

    # -- look-ups used by tokens and by several resources ----------------------------------
    def domain(self, domain_id: str) -> dict | None:
        return self.get("domains", domain_id)

    def domain_by_name(self, name: str) -> dict | None:
        return self.one("domains", "name = ?", (name,))

    def project(self, project_id: str) -> dict | None:
        return self.get("projects", project_id)

    def project_by_name(self, name: str, domain_id: str) -> dict | None:
        return self.one("projects", "name = ? AND domain_id = ?", (name, domain_id))

    def user(self, user_id: str) -> dict | None:
        return self.get("users", user_id)

    def user_by_name(self, name: str, domain_id: str) -> dict | None:
        return self.one("users", "name = ? AND domain_id = ?", (name, domain_id))

    def role(self, role_id: str) -> dict | None:
        return self.get("roles", role_id)

    def role_by_name(self, name: str) -> dict | None:
        return self.one("roles", "name = ?", (name,))

    def user_group_ids(self, user_id: str) -> list[str]:
        return [r["group_id"] for r in
                self.query("SELECT group_id FROM group_members WHERE user_id = ?", (user_id,))]

    def roles_on(self, user_id: str, target_id: str, kind: str) -> list[dict]:
        """Roles the user holds on a project or domain (`kind`: Project, Domain or System),
        directly or through a group."""
        actors = [user_id, *self.user_group_ids(user_id)]
        marks = ",".join("?" * len(actors))
        return self.query(
            f"SELECT DISTINCT roles.id, roles.name FROM assignments JOIN roles "
            f"ON roles.id = assignments.role_id WHERE assignments.type IN (?, ?) "
            f"AND assignments.target_id = ? AND assignments.actor_id IN ({marks}) "
            f"ORDER BY roles.name",
            (f"User{kind}", f"Group{kind}", target_id, *actors))

    def effective_roles(self, user_id: str, target_id: str, kind: str) -> list[dict]:
        """The roles a token carries: those held (roles_on) plus every role they imply."""
        held = self.roles_on(user_id, target_id, kind)
        if not held:
            return []
        marks = ",".join("?" * len(held))
        return self.query(
            f"WITH RECURSIVE closure(id) AS (SELECT id FROM roles WHERE id IN ({marks}) "
            f"UNION SELECT implied_role_id FROM implied_roles JOIN closure "
            f"ON implied_roles.prior_role_id = closure.id) "
            f"SELECT roles.id, roles.name FROM roles JOIN closure USING (id) ORDER BY roles.name",
            [r["id"] for r in held])

    def user_project_ids(self, user_id: str) -> list[str]:
        """Projects where the user holds any role, directly or through a group."""
        actors = [user_id, *self.user_group_ids(user_id)]
        marks = ",".join("?" * len(actors))
        return [r["target_id"] for r in self.query(
            f"SELECT DISTINCT target_id FROM assignments WHERE type IN "
            f"('UserProject', 'GroupProject') AND actor_id IN ({marks})", actors)]

    def catalog(self, project_id: str | None = None) -> list[dict]:
        """The service catalog as a token scoped to `project_id` carries it: services with
        their enabled endpoints, `$(project_id)s` in URLs filled in (endpoints that need a
        project are left out of other tokens, as Keystone does)."""
        services = self.rows("services", "enabled = 1", order="type")
        endpoints = self.rows("endpoints", "enabled = 1", order="interface")
        catalog = []
        for svc in services:
            eps = [{"id": e["id"], "interface": e["interface"], "region": e["region_id"],
                    "region_id": e["region_id"],
                    "url": e["url"].replace("$(project_id)s", project_id or "")}
                   for e in endpoints if e["service_id"] == svc["id"]
                   and (project_id or "$(project_id)s" not in e["url"])]
            catalog.append({"id": svc["id"], "type": svc["type"], "name": svc["name"],
                            "endpoints": eps})
        return catalog

    # -- revocation -------------------------------------------------------------------------
    def revoke(self, *, issued_before: float, expires_at: float, audit_id: str | None = None,
               user_id: str | None = None, project_id: str | None = None) -> None:
        self.db["revocations"].insert({"audit_id": audit_id, "user_id": user_id,
                                       "project_id": project_id, "issued_before": issued_before,
                                       "expires_at": expires_at})

    def is_revoked(self, *, audit_id: str, user_id: str, project_id: str | None,
                   issued_at: float) -> bool:
        hit = self.query(
            "SELECT 1 FROM revocations WHERE (audit_id = ?) OR "
            "(audit_id IS NULL AND user_id = ? AND issued_before >= ?) OR "
            "(audit_id IS NULL AND user_id IS NULL AND project_id = ? AND issued_before >= ?) "
            "LIMIT 1", (audit_id, user_id, issued_at, project_id, issued_at))
        return bool(hit)

    def prune_revocations(self, now: float) -> None:
        """Forget events whose tokens have all expired: they can never match a valid token."""
        self.write("DELETE FROM revocations WHERE expires_at < ?", (now,))

    def revocation_count(self) -> int:
        return self.query("SELECT COUNT(*) AS n FROM revocations")[0]["n"]


def load_json(value: str | None, default):
    return json.loads(value) if value else default
