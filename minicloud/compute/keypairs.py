"""`/os-keypairs`: SSH public keys, per user (`openstack keypair ...`).

The CLI generates the key pair itself and imports the public half; a request without a
public key gets a fresh ed25519 pair whose private half is returned once. Admins may act
on another user's key pairs with `?user_id=` (>= 2.10).
"""

from __future__ import annotations

import base64
import hashlib

import falcon

from minicloud.common import errors
from minicloud.common.validation import read_json
from minicloud.compute import schemas
from minicloud.compute.microversions import at_least
from minicloud.compute.store import ComputeStore, isotime


def fingerprint(public_key: str) -> str:
    """Nova's fingerprint of an SSH key: MD5 of the key blob, as colon-separated hex."""
    parts = public_key.strip().split()
    try:
        blob = base64.b64decode(parts[1], validate=True)
        if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
            raise ValueError
    except (IndexError, ValueError):
        raise errors.BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def generate() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public + " Generated-by-Nova"


def view(req, row: dict, full: bool = False) -> dict:
    body = {"name": row["name"], "public_key": row["public_key"],
            "fingerprint": row["fingerprint"]}
    if at_least(req, "2.2"):
        body["type"] = row["type"]
    if full:
        body.update({"user_id": row["user_id"], "created_at": isotime(row["created"]),
                     "deleted": False, "deleted_at": None, "updated_at": None, "id": 0})
    return body


def owner(req) -> str:
    ctx = req.context.ctx
    wanted = req.get_param("user_id")
    if wanted and wanted != ctx.user_id:
        if not ctx.is_admin:
            raise errors.Forbidden(f"Policy doesn't allow os_compute_api:os-keypairs to be "
                                   f"performed.", kind="forbidden")
        return wanted
    return ctx.user_id


class Keypairs:
    def __init__(self, store: ComputeStore):
        self.store = store

    def on_get(self, req, resp):
        rows = self.store.query("SELECT * FROM keypairs WHERE user_id = ? ORDER BY name",
                                (owner(req),))
        resp.media = {"keypairs": [{"keypair": view(req, r)} for r in rows]}

    def on_post(self, req, resp):
        fields = read_json(req, schemas.KEYPAIR_CREATE)["keypair"]
        user_id = fields.get("user_id") if req.context.ctx.is_admin and fields.get(
            "user_id") else req.context.ctx.user_id
        private = None
        public = fields.get("public_key")
        if not public:
            private, public = generate()
        row = {"user_id": user_id, "name": fields["name"], "public_key": public.strip(),
               "fingerprint": fingerprint(public), "type": fields.get("type", "ssh"),
               "created": self.store.clock()}
        with self.store.transaction() as db:
            if self.store.query("SELECT 1 FROM keypairs WHERE user_id = ? AND name = ?",
                                (user_id, row["name"])):
                raise errors.Conflict(f"Key pair '{row['name']}' already exists.")
            db["keypairs"].insert(row)
        body = {**view(req, row), "user_id": user_id}
        if private:
            body["private_key"] = private
        resp.media = {"keypair": body}
        resp.status = falcon.HTTP_201 if at_least(req, "2.2") else falcon.HTTP_200


class Keypair:
    def __init__(self, store: ComputeStore):
        self.store = store

    def _row(self, req, name: str) -> dict:
        found = self.store.query("SELECT * FROM keypairs WHERE user_id = ? AND name = ?",
                                 (owner(req), name))
        if not found:
            raise errors.NotFound(f"Keypair {name} not found for user {owner(req)}.")
        return found[0]

    def on_get(self, req, resp, name):
        resp.media = {"keypair": view(req, self._row(req, name), full=True)}

    def on_delete(self, req, resp, name):
        row = self._row(req, name)
        self.store.db.execute("DELETE FROM keypairs WHERE user_id = ? AND name = ?",
                              (row["user_id"], name))
        resp.status = falcon.HTTP_204 if at_least(req, "2.2") else falcon.HTTP_202
