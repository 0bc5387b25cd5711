"""Glance's tables in `image.db`: the image records (the bytes live in files, see files.py).
All of Glance's SQL is here; the other modules call the named methods below.

Tags and extra properties are JSON columns: a teaching cloud holds a few dozen images, so
the listing's filters on them run in Python (listing.py) rather than on tables of their own.
"""

from __future__ import annotations

import json

from minicloud.common.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL, visibility TEXT NOT NULL,
    protected INTEGER NOT NULL DEFAULT 0, os_hidden INTEGER NOT NULL DEFAULT 0,
    checksum TEXT, os_hash_algo TEXT, os_hash_value TEXT, size INTEGER, virtual_size INTEGER,
    min_disk INTEGER NOT NULL DEFAULT 0, min_ram INTEGER NOT NULL DEFAULT 0,
    disk_format TEXT, container_format TEXT, owner TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]', properties TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS images_owner ON images(owner);
-- Facts about this store itself (e.g. that the bootstrap image was registered once).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

JSON_COLUMNS = ("tags", "properties")


def create_schema(db) -> None:
    db.conn.executescript(SCHEMA)


def decode(row: dict | None) -> dict | None:
    """A row with its JSON columns as Python values."""
    if row is None:
        return None
    return {**row, **{k: json.loads(row[k]) for k in JSON_COLUMNS}}


def encode(fields: dict) -> dict:
    return {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in fields.items()}


class ImageStore(Database):
    def __init__(self, path, read_only: bool = False):
        super().__init__(path, create_schema, read_only)

    def images_with_data(self) -> list[dict]:
        """The images whose bytes must be on disk (active or deactivated)."""
        return [decode(r) for r in self.query(
            "SELECT * FROM images WHERE status IN ('active', 'deactivated') ORDER BY id")]

    def image(self, image_id: str) -> dict | None:
        return decode(self.get("images", image_id))

    def listable_images(self, project_id: str, *, everything: bool, visibility: str | None,
                        others_community: bool) -> list[dict]:
        """The images a listing may show (core.Glance.listable says who gets which), newest
        first: only those of `visibility` (None: of any); without `others_community`, no
        community image of another project than `project_id`; unless `everything`, only
        public and community images and `project_id`'s own."""
        where, params = [], []
        if visibility is not None:
            where.append("visibility = ?")
            params.append(visibility)
        if not others_community:
            where.append("(visibility != 'community' OR owner = ?)")
            params.append(project_id)
        if not everything:
            where.append("(visibility IN ('public', 'community') OR owner = ?)")
            params.append(project_id)
        sql = "SELECT * FROM images" + (f" WHERE {' AND '.join(where)}" if where else "")
        return [decode(r) for r in self.query(sql + " ORDER BY created_at DESC, id DESC",
                                              params)]

    def insert(self, row: dict) -> None:
        self.db["images"].insert(encode(row))

    def update(self, image_id: str, changes: dict) -> None:
        self.db["images"].update(image_id, encode(changes))

    def delete(self, image_id: str) -> None:
        self.db.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def move_status(self, image_id: str, from_status: str, to_status: str, **changes) -> bool:
        """Change the status only if it still is `from_status` (two uploads cannot both win)."""
        sets = ", ".join(f"{k} = ?" for k in ("status", *changes))
        cursor = self.db.execute(
            f"UPDATE images SET {sets} WHERE id = ? AND status = ?",
            (to_status, *encode(changes).values(), image_id, from_status))
        return cursor.rowcount == 1

    def recover_uploads(self) -> None:
        """After a crash, uploads that were under way never finished: back to `queued`."""
        self.db.execute("UPDATE images SET status = 'queued' WHERE status = 'saving'")

    def meta(self, key: str) -> str | None:
        row = self.get("meta", key)
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db["meta"].upsert({"key": key, "value": value}, pk="key")
