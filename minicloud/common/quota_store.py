"""The per-project quota limits an admin set (`openstack quota set`), one shape for the
`quotas` table that Nova, Neutron and Cinder each keep in their own database.

A project without a row for a resource has the cloud's default; the service decides what
that default is. The stores mix this class in next to `Database`.
"""

from __future__ import annotations

QUOTAS_TABLE = """CREATE TABLE IF NOT EXISTS quotas (
    project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource));"""


class QuotaLimits:
    """Mixed into a service's store (a `Database` whose schema has QUOTAS_TABLE)."""

    def quota_limits(self, project_id: str) -> dict[str, int]:
        """The limits an admin set for a project, by resource."""
        rows = self.query("SELECT resource, hard_limit FROM quotas WHERE project_id = ?",
                          (project_id,))
        return {r["resource"]: r["hard_limit"] for r in rows}

    def quota_limit(self, project_id: str, resource: str) -> int | None:
        """The limit an admin set, or None where the default applies."""
        return self.quota_limits(project_id).get(resource)

    def set_quota_limit(self, project_id: str, resource: str, limit: int) -> None:
        self.write("INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?, ?, ?) "
                   "ON CONFLICT (project_id, resource) DO UPDATE SET "
                   "hard_limit = excluded.hard_limit", (project_id, resource, limit))

    def delete_quota_limits(self, project_id: str) -> None:
        """Back to the defaults (`openstack quota delete`)."""
        self.write("DELETE FROM quotas WHERE project_id = ?", (project_id,))

    def quota_projects(self) -> list[str]:
        """The projects with at least one limit set, sorted."""
        return [r["project_id"] for r in
                self.query("SELECT DISTINCT project_id FROM quotas ORDER BY project_id")]
