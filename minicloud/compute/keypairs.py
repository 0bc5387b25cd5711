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
from minicloud.compute import schemas, views
from minicloud.compute.core import Nova
from minicloud.compute.flavors import paginate
from minicloud.compute.microversions import at_least
from minicloud.common.timeutils import isotime


MAX_RSA_BITS = 16384  # OpenSSH's limit: a longer key could never log in


def _invalid() -> errors.BadRequest:
    return errors.BadRequest("Keypair data is invalid: failed to generate fingerprint")


def fingerprint(public_key: str) -> str:
    """Nova's fingerprint of an SSH key: MD5 of the key blob, as colon-separated hex. The
    key must parse as an OpenSSH public key (a truncated or garbled one is 400)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
        blob = base64.b64decode(public_key.split()[1], validate=True)
    except (ValueError, IndexError, TypeError, UnicodeEncodeError):
        raise _invalid() from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size > MAX_RSA_BITS:
        raise _invalid()
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def x509_fingerprint(pem: str) -> str:
    """The SHA-1 fingerprint of an x509 certificate (`type: x509`, from 2.2)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, UnicodeEncodeError):
        raise _invalid() from None
    digest = cert.fingerprint(hashes.SHA1()).hex()
    return ":".join(digest[i:i + 2] for i in range(0, 40, 2))


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


def creator(req, wanted: str | None) -> str:
    """Whose key pair a create makes: the caller's, or (admins, >= 2.10) `user_id`'s."""
    ctx = req.context.ctx
    if not wanted or wanted == ctx.user_id:
        return ctx.user_id
    if not ctx.is_admin:
        raise errors.Forbidden("Policy doesn't allow os_compute_api:os-keypairs:create to be "
                               "performed.", kind="forbidden")
    return wanted


class Keypairs:
    def __init__(self, api: Nova):
        self.api, self.store = api, api.store

    def _check_quota(self, req, user_id: str) -> None:
        limit = self.api.quotas(req.context.ctx.project_id)["key_pairs"]
        if 0 <= limit <= self.store.keypair_count(user_id):
            raise errors.Forbidden("Quota exceeded, too many key pairs.", kind="forbidden")

    def on_get(self, req, resp):
        rows = self.store.keypairs(owner(req))
        if at_least(req, "2.35"):  # limit and marker (a key pair's name) page the list
            rows = paginate(req, rows, key="name")
        resp.media = {"keypairs": [{"keypair": view(req, r)} for r in rows]}
        limit = req.get_param("limit")
        if at_least(req, "2.35") and limit and rows and len(rows) == int(limit):
            resp.media["keypairs_links"] = [{"rel": "next", "href": (
                f"{views.root(req)}/os-keypairs?limit={limit}&marker={rows[-1]['name']}")}]

    def on_post(self, req, resp):
        fields = read_json(req, schemas.keypair_create(req))["keypair"]
        user_id = creator(req, fields.get("user_id"))
        private = None
        public = fields.get("public_key")
        kind = fields.get("type", "ssh")
        if not public:  # a new pair is made only for SSH and before 2.92
            if kind == "x509":
                raise errors.BadRequest("Keypair data is invalid: generating x509 key pairs "
                                        "is not supported")
            private, public = generate()
        row = {"user_id": user_id, "name": fields["name"], "public_key": public.strip(),
               "fingerprint": x509_fingerprint(public) if kind == "x509" else
               fingerprint(public), "type": kind, "created": self.store.clock()}
        with self.store.transaction():
            if self.store.keypair(user_id, row["name"]):
                raise errors.Conflict(f"Key pair '{row['name']}' already exists.")
            self._check_quota(req, user_id)
            self.store.add_keypair(row)
        body = {**view(req, row), "user_id": user_id}
        if private:
            body["private_key"] = private
        resp.media = {"keypair": body}
        resp.status = falcon.HTTP_201 if at_least(req, "2.2") else falcon.HTTP_200


class Keypair:
    def __init__(self, api: Nova):
        self.store = api.store

    def _row(self, req, name: str) -> dict:
        found = self.store.keypair(owner(req), name)
        if found is None:
            raise errors.NotFound(f"Keypair {name} not found for user {owner(req)}.")
        return found

    def on_get(self, req, resp, name):
        resp.media = {"keypair": view(req, self._row(req, name), full=True)}

    def on_delete(self, req, resp, name):
        row = self._row(req, name)
        self.store.delete_keypair(row["user_id"], name)
        resp.status = falcon.HTTP_204 if at_least(req, "2.2") else falcon.HTTP_202
