"""Keystone's tables: domains, projects, users, groups, roles, assignments, the catalog and
token revocation events, in `identity.db`. All of Keystone's SQL is here, behind named
methods; the resource modules call those (several in one `transaction()` when a check and
a write must be atomic).

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
    """identity.db: every query Keystone makes, one named method each."""

    def __init__(self, path, read_only: bool = False):
        super().__init__(path, create_schema, read_only)

    # -- building blocks (column = value filters; a None value filters nothing) ------------
    def _select(self, table: str, filters: dict, order: str) -> list[dict]:
        used = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} = ?" for column in used)
        sql = f"SELECT * FROM {table}" + (f" WHERE {where}" if where else "")
        return self.query(f"{sql} ORDER BY {order}", tuple(used.values()))

    def _first(self, table: str, filters: dict) -> dict | None:
        where = " AND ".join(f"{column} = ?" for column in filters)
        found = self.query(f"SELECT * FROM {table} WHERE {where} LIMIT 1",
                           tuple(filters.values()))
        return found[0] if found else None

    def _insert(self, table: str, row: dict) -> dict:
        self.db[table].insert(row)
        return row

    def _update(self, table: str, row_id: str, changes: dict) -> None:
        if changes:
            self.db[table].update(row_id, changes)

    # -- domains ----------------------------------------------------------------------------
    def domain(self, domain_id: str) -> dict | None:
        return self.get("domains", domain_id)

    def domain_by_name(self, name: str) -> dict | None:
        return self._first("domains", {"name": name})

    def domains(self, *, name: str | None = None, enabled: bool | None = None) -> list[dict]:
        return self._select("domains", {"name": name, "enabled": _flag(enabled)}, "name")

    def insert_domain(self, row: dict) -> dict:
        return self._insert("domains", row)

    def update_domain(self, domain_id: str, changes: dict) -> None:
        self._update("domains", domain_id, changes)

    def delete_domain(self, domain_id: str) -> None:
        """The domain and everything it owns: its projects, users, groups and every role
        assignment on them or held by them. Group memberships go with the users and groups
        (ON DELETE CASCADE)."""
        owned = ("SELECT id FROM projects WHERE domain_id = :d UNION SELECT id FROM users "
                 "WHERE domain_id = :d UNION SELECT id FROM groups_ WHERE domain_id = :d")
        params = {"d": domain_id}
        with self.transaction() as db:
            db.execute(f"DELETE FROM assignments WHERE target_id = :d "
                       f"OR target_id IN ({owned}) OR actor_id IN ({owned})", params)
            for table in ("projects", "users", "groups_"):
                db.execute(f"DELETE FROM {table} WHERE domain_id = :d", params)
            db.execute("DELETE FROM domains WHERE id = :d", params)

    # -- projects ---------------------------------------------------------------------------
    def project(self, project_id: str) -> dict | None:
        return self.get("projects", project_id)

    def project_by_name(self, name: str, domain_id: str) -> dict | None:
        return self._first("projects", {"name": name, "domain_id": domain_id})

    def projects(self, *, name: str | None = None, domain_id: str | None = None,
                 parent_id: str | None = None, enabled: bool | None = None) -> list[dict]:
        rows = self._select("projects", {"name": name, "domain_id": domain_id,
                                         "enabled": _flag(enabled)}, "name")
        if parent_id is None:
            return rows
        # a top-level project's parent is its domain
        return [r for r in rows if (r["parent_id"] or r["domain_id"]) == parent_id]

    def has_child_projects(self, project_id: str) -> bool:
        return self._first("projects", {"parent_id": project_id}) is not None

    def insert_project(self, row: dict) -> dict:
        return self._insert("projects", row)

    def update_project(self, project_id: str, changes: dict) -> None:
        self._update("projects", project_id, changes)

    def delete_project(self, project_id: str) -> None:
        """The project and the role assignments on it."""
        with self.transaction() as db:
            db.execute("DELETE FROM assignments WHERE target_id = ? AND type IN "
                       "('UserProject', 'GroupProject')", (project_id,))
            db["projects"].delete(project_id)

    # -- users ------------------------------------------------------------------------------
    def user(self, user_id: str) -> dict | None:
        return self.get("users", user_id)

    def user_by_name(self, name: str, domain_id: str) -> dict | None:
        return self._first("users", {"name": name, "domain_id": domain_id})

    def users(self, *, name: str | None = None, domain_id: str | None = None,
              enabled: bool | None = None) -> list[dict]:
        return self._select("users", {"name": name, "domain_id": domain_id,
                                      "enabled": _flag(enabled)}, "name")

    def insert_user(self, row: dict) -> dict:
        return self._insert("users", row)

    def update_user(self, user_id: str, changes: dict) -> None:
        self._update("users", user_id, changes)

    def delete_user(self, user_id: str) -> None:
        """The user and the role assignments they hold; group memberships go with the row
        (ON DELETE CASCADE), assignments name the user only by id."""
        with self.transaction() as db:
            db.execute("DELETE FROM assignments WHERE actor_id = ? AND type LIKE 'User%'",
                       (user_id,))
            db["users"].delete(user_id)

    # -- groups and their members -----------------------------------------------------------
    def group(self, group_id: str) -> dict | None:
        return self.get("groups_", group_id)

    def group_by_name(self, name: str, domain_id: str) -> dict | None:
        return self._first("groups_", {"name": name, "domain_id": domain_id})

    def groups(self, *, name: str | None = None, domain_id: str | None = None) -> list[dict]:
        return self._select("groups_", {"name": name, "domain_id": domain_id}, "name")

    def insert_group(self, row: dict) -> dict:
        return self._insert("groups_", row)

    def update_group(self, group_id: str, changes: dict) -> None:
        self._update("groups_", group_id, changes)

    def delete_group(self, group_id: str) -> None:
        """The group and the role assignments it holds (memberships: ON DELETE CASCADE)."""
        with self.transaction() as db:
            db.execute("DELETE FROM assignments WHERE actor_id = ? AND type LIKE 'Group%'",
                       (group_id,))
            db["groups_"].delete(group_id)

    def group_users(self, group_id: str) -> list[dict]:
        return self.query("SELECT users.* FROM users JOIN group_members ON "
                          "group_members.user_id = users.id WHERE group_id = ? "
                          "ORDER BY name", (group_id,))

    def group_user_ids(self, group_id: str) -> list[str]:
        return [r["user_id"] for r in self.query(
            "SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id",
            (group_id,))]

    def user_groups(self, user_id: str) -> list[dict]:
        return self.query("SELECT groups_.* FROM groups_ JOIN group_members ON "
                          "group_members.group_id = groups_.id WHERE user_id = ? "
                          "ORDER BY name", (user_id,))

    def user_group_ids(self, user_id: str) -> list[str]:
        return [r["group_id"] for r in
                self.query("SELECT group_id FROM group_members WHERE user_id = ?", (user_id,))]

    def is_member(self, group_id: str, user_id: str) -> bool:
        return self.get("group_members", (group_id, user_id)) is not None

    def add_member(self, group_id: str, user_id: str) -> None:
        self.db["group_members"].insert({"group_id": group_id, "user_id": user_id},
                                        ignore=True)

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.write("DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                   (group_id, user_id))

    # -- roles and role inference -----------------------------------------------------------
    def role(self, role_id: str) -> dict | None:
        return self.get("roles", role_id)

    def role_by_name(self, name: str) -> dict | None:
        return self._first("roles", {"name": name})

    def roles(self, *, name: str | None = None, domain_id: str | None = None) -> list[dict]:
        return self._select("roles", {"name": name, "domain_id": domain_id}, "name")

    def insert_role(self, row: dict) -> dict:
        return self._insert("roles", row)

    def update_role(self, role_id: str, changes: dict) -> None:
        self._update("roles", role_id, changes)

    def delete_role(self, role_id: str) -> None:
        """The role and its assignments. The foreign key cascades too; saying it here keeps
        the rule visible."""
        with self.transaction() as db:
            db.execute("DELETE FROM assignments WHERE role_id = ?", (role_id,))
            db["roles"].delete(role_id)

    def implied_roles(self, prior_role_id: str) -> list[dict]:
        """The roles one rule each says `prior_role_id` implies (not their closure)."""
        return self.query("SELECT roles.* FROM implied_roles JOIN roles ON roles.id = "
                          "implied_roles.implied_role_id WHERE prior_role_id = ? "
                          "ORDER BY name", (prior_role_id,))

    def prior_roles(self) -> list[dict]:
        """The roles that imply at least one other."""
        return self.query("SELECT DISTINCT roles.* FROM implied_roles JOIN roles ON "
                          "roles.id = implied_roles.prior_role_id ORDER BY name")

    def implies(self, prior_role_id: str, implied_role_id: str) -> bool:
        """Whether that one rule exists."""
        return self.get("implied_roles", (prior_role_id, implied_role_id)) is not None

    def role_reaches(self, start_id: str, goal_id: str) -> bool:
        """Whether `start_id` is `goal_id` or implies it through a chain of rules."""
        return bool(self.query(
            "WITH RECURSIVE c(id) AS (SELECT ? UNION SELECT implied_role_id FROM "
            "implied_roles JOIN c ON prior_role_id = c.id) SELECT 1 FROM c WHERE id = ?",
            (start_id, goal_id)))

    def add_implied_role(self, prior_role_id: str, implied_role_id: str) -> None:
        self.db["implied_roles"].upsert({"prior_role_id": prior_role_id,
                                         "implied_role_id": implied_role_id},
                                        pk=("prior_role_id", "implied_role_id"))

    def delete_implied_role(self, prior_role_id: str, implied_role_id: str) -> None:
        self.write("DELETE FROM implied_roles WHERE prior_role_id = ? AND implied_role_id = ?",
                   (prior_role_id, implied_role_id))

    # -- role assignments -------------------------------------------------------------------
    @staticmethod
    def _grant_key(kind: str, actor_id: str, target_id: str, role_id: str) -> tuple:
        """A grant's primary key; `kind` is the assignment type ("UserProject", ...)."""
        return kind, actor_id, target_id, role_id, 0

    def granted_roles(self, kind: str, actor_id: str, target_id: str) -> list[dict]:
        """The roles one actor holds directly on one target."""
        return self.query(
            "SELECT roles.* FROM roles JOIN assignments ON assignments.role_id = roles.id "
            "WHERE type = ? AND actor_id = ? AND target_id = ? ORDER BY roles.name",
            (kind, actor_id, target_id))

    def has_grant(self, kind: str, actor_id: str, target_id: str, role_id: str) -> bool:
        key = self._grant_key(kind, actor_id, target_id, role_id)
        return self.get("assignments", key) is not None

    def grant(self, kind: str, actor_id: str, target_id: str, role_id: str) -> None:
        """Give the role (nothing happens if the actor holds it already)."""
        key = self._grant_key(kind, actor_id, target_id, role_id)
        self.db["assignments"].insert(dict(zip(
            ("type", "actor_id", "target_id", "role_id", "inherited"), key)), ignore=True)

    def revoke_grant(self, kind: str, actor_id: str, target_id: str, role_id: str) -> None:
        self.write("DELETE FROM assignments WHERE type = ? AND actor_id = ? AND target_id = ? "
                   "AND role_id = ? AND inherited = ?",
                   self._grant_key(kind, actor_id, target_id, role_id))

    def role_assignments(self, *, role_id: str | None = None, project_id: str | None = None,
                         domain_id: str | None = None, system: bool = False,
                         inherited: bool = False, group_id: str | None = None,
                         user_id: str | None = None, via_groups: bool = False) -> list[dict]:
        """Assignment rows matching every filter given (`GET /v3/role_assignments`).
        `via_groups`: with `user_id`, the assignments of the user's groups count too."""
        where, params = [], []
        if role_id is not None:
            where.append("role_id = ?")
            params.append(role_id)
        for kind, target_id in (("Project", project_id), ("Domain", domain_id)):
            if target_id is not None:
                where.append(f"type LIKE '%{kind}' AND target_id = ?")
                params.append(target_id)
        if system:
            where.append("type LIKE '%System'")
        if inherited:
            where.append("inherited = 1")
        if group_id is not None:
            where.append("type LIKE 'Group%' AND actor_id = ?")
            params.append(group_id)
        if user_id is not None:
            groups = self.user_group_ids(user_id) if via_groups else []
            marks = ",".join("?" * len(groups)) or "NULL"
            where.append(f"((type LIKE 'User%' AND actor_id = ?) OR "
                         f"(type LIKE 'Group%' AND actor_id IN ({marks})))")
            params.extend([user_id, *groups])
        sql = "SELECT * FROM assignments" + (" WHERE " + " AND ".join(where) if where else "")
        return self.query(sql + " ORDER BY type DESC, target_id, actor_id, role_id", params)

    # -- what a token carries ---------------------------------------------------------------
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
        services = self._select("services", {"enabled": 1}, "type")
        endpoints = self._select("endpoints", {"enabled": 1}, "interface")
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

    # -- the catalog tables: regions, services, endpoints -----------------------------------
    def region(self, region_id: str) -> dict | None:
        return self.get("regions", region_id)

    def regions(self, *, parent_region_id: str | None = None) -> list[dict]:
        return self._select("regions", {"parent_region_id": parent_region_id}, "id")

    def insert_region(self, row: dict) -> dict:
        return self._insert("regions", row)

    def update_region(self, region_id: str, changes: dict) -> None:
        self._update("regions", region_id, changes)

    def region_subtree(self, region_id: str) -> list[str]:
        """The region's id and those of all its descendants."""
        tree, frontier = [region_id], [region_id]
        while frontier:
            marks = ",".join("?" * len(frontier))
            frontier = [r["id"] for r in self.query(
                f"SELECT id FROM regions WHERE parent_region_id IN ({marks})", frontier)]
            tree.extend(frontier)
        return tree

    def regions_have_endpoints(self, region_ids: list[str]) -> bool:
        marks = ",".join("?" * len(region_ids))
        return bool(self.query(
            f"SELECT 1 FROM endpoints WHERE region_id IN ({marks}) LIMIT 1", region_ids))

    def delete_regions(self, region_ids: list[str]) -> None:
        marks = ",".join("?" * len(region_ids))
        self.write(f"DELETE FROM regions WHERE id IN ({marks})", region_ids)

    def service(self, service_id: str) -> dict | None:
        return self.get("services", service_id)

    def services(self, *, type: str | None = None, name: str | None = None) -> list[dict]:
        return self._select("services", {"type": type, "name": name}, "type")

    def insert_service(self, row: dict) -> dict:
        return self._insert("services", row)

    def update_service(self, service_id: str, changes: dict) -> None:
        self._update("services", service_id, changes)

    def delete_service(self, service_id: str) -> None:
        """The service and its endpoints."""
        with self.transaction() as db:
            db.execute("DELETE FROM endpoints WHERE service_id = ?", (service_id,))
            db["services"].delete(service_id)

    def endpoint(self, endpoint_id: str) -> dict | None:
        return self.get("endpoints", endpoint_id)

    def endpoints(self, *, service_id: str | None = None, interface: str | None = None,
                  region_id: str | None = None) -> list[dict]:
        return self._select("endpoints", {"service_id": service_id, "interface": interface,
                                          "region_id": region_id}, "service_id, interface")

    def insert_endpoint(self, row: dict) -> dict:
        return self._insert("endpoints", row)

    def update_endpoint(self, endpoint_id: str, changes: dict) -> None:
        self._update("endpoints", endpoint_id, changes)

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.db["endpoints"].delete(endpoint_id)

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


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def load_json(value: str | None, default):
    return json.loads(value) if value else default
