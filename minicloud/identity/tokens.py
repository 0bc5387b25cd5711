"""Fernet tokens: issue, validate and revoke (Keystone's token provider).

A token is not stored anywhere: it is the Fernet encryption (AES-CBC + HMAC-SHA256) of a
small payload (user, scope, methods, issue and expiry times, audit ids) under a key in the
data directory. Validating decrypts it, then checks expiry, revocation events, and that the
user, the project and the role assignments still exist. Only the exact text Keystone issued
is accepted (common.auth.well_formed): lenient base64 would let `<token>x` decrypt too.
Revoking records an event (this token's audit id, or "every token of user U issued before
T") instead of deleting anything; events are pruned once every token they could match has
expired, so the list stays bounded by the token lifetime.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import secrets
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from minicloud.common import errors
from minicloud.common.auth import well_formed
from minicloud.common.context import RequestContext
from minicloud.identity import passwords
from minicloud.identity.store import IdentityStore

NOT_AUTHENTICATED = "The request you have made requires authentication."


def isotime(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


class FernetKeys:
    """The key repository: `fernet-keys/0` (primary) and older keys still accepted."""

    def __init__(self, key_dir: Path):
        self.key_dir = Path(key_dir)
        self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not any(self.key_dir.iterdir()):
            self._write("0", Fernet.generate_key())
        keys = sorted(self.key_dir.iterdir(), key=lambda p: int(p.name), reverse=True)
        self.fernet = MultiFernet([Fernet(p.read_bytes().strip()) for p in keys])

    def _write(self, name: str, key: bytes) -> None:
        path = self.key_dir / name
        path.touch(mode=0o600, exist_ok=False)  # readable by its owner only; never overwrite
        path.write_bytes(key)


@dataclasses.dataclass
class Token:
    """A validated token: its payload plus the records it refers to, as they are now."""

    user: dict
    methods: list[str]
    issued_at: float
    expires_at: float
    audit_ids: list[str]
    project: dict | None = None
    domain: dict | None = None
    system: bool = False
    roles: list[dict] = dataclasses.field(default_factory=list)

    @property
    def scoped(self) -> bool:
        return bool(self.project or self.domain or self.system)


class TokenService:
    def __init__(self, store: IdentityStore, keys: FernetKeys, ttl: int, clock=time.time):
        self.store = store
        self.keys = keys
        self.ttl = ttl
        self.clock = clock

    # -- issuing -------------------------------------------------------------------------
    def authenticate(self, auth: dict) -> tuple[str, Token]:
        """Check the identity in an `auth` request body and issue a token for its scope."""
        identity = auth["identity"]
        methods = identity["methods"]
        if "password" in methods:
            user = self._password_user(identity.get("password"))
            expires_at, audit_ids, methods_used = self.clock() + self.ttl, [new_audit_id()], ["password"]
        elif "token" in methods:
            old = self.validate(identity.get("token", {}).get("id", ""))
            user, expires_at = old.user, old.expires_at
            audit_ids = [new_audit_id(), old.audit_ids[-1]]
            methods_used = sorted(set(old.methods) | {"token"})
        else:
            raise errors.Unauthorized(f"Unsupported authentication method: {methods}.")
        token = Token(user=user, methods=methods_used, issued_at=self.clock(),
                      expires_at=expires_at, audit_ids=audit_ids)
        self._apply_scope(token, auth.get("scope"))
        return self.encode(token), token

    def _password_user(self, password: dict | None) -> dict:
        if not password or "user" not in password:
            raise errors.BadRequest("Invalid input for field 'identity.password.user': missing.")
        ref = password["user"]
        user = self._find_user(ref)
        if (user is None or not user["enabled"]
                or not passwords.verify_password(ref.get("password", ""), user["password_hash"])):
            raise errors.Unauthorized(NOT_AUTHENTICATED)
        domain = self.store.domain(user["domain_id"])
        if not domain or not domain["enabled"]:
            raise errors.Unauthorized(NOT_AUTHENTICATED)
        return user

    def _find_user(self, ref: dict) -> dict | None:
        if ref.get("id"):
            return self.store.user(ref["id"])
        if not ref.get("name"):
            raise errors.BadRequest("Invalid input for field 'user': expecting id or name.")
        domain = self._find_domain(ref.get("domain"))
        return self.store.user_by_name(ref["name"], domain["id"]) if domain else None

    def _find_domain(self, ref: dict | None) -> dict | None:
        if not ref:
            raise errors.BadRequest("Invalid input for field 'domain': expecting a domain "
                                    "id or name when giving a name.")
        if ref.get("id"):
            return self.store.domain(ref["id"])
        return self.store.domain_by_name(ref.get("name", ""))

    def _apply_scope(self, token: Token, scope: dict | None) -> None:
        if scope == "unscoped":
            return
        if scope is None:
            default = token.user.get("default_project_id")
            project = self.store.project(default) if default else None
            if project and project["enabled"] and self.store.roles_on(
                    token.user["id"], project["id"], "Project"):
                scope = {"project": {"id": project["id"]}}
            else:
                return  # unscoped: no roles, no catalog
        if "project" in scope:
            token.project = self._scope_project(scope["project"])
            token.roles = self.store.effective_roles(token.user["id"], token.project["id"], "Project")
        elif "domain" in scope:
            token.domain = self._find_domain(scope["domain"])
            if not token.domain or not token.domain["enabled"]:
                raise errors.Unauthorized("Could not find the domain to scope to.")
            token.roles = self.store.effective_roles(token.user["id"], token.domain["id"], "Domain")
        elif "system" in scope:
            token.system = True
            token.roles = self.store.effective_roles(token.user["id"], "system", "System")
        if not token.roles:
            raise errors.Unauthorized(
                f"User {token.user['id']} has no access to the requested scope.")

    def _scope_project(self, ref: dict) -> dict:
        if ref.get("id"):
            project = self.store.project(ref["id"])
        else:
            domain = self._find_domain(ref.get("domain"))
            project = self.store.project_by_name(ref.get("name", ""), domain["id"]) if domain else None
        domain = self.store.domain(project["domain_id"]) if project else None
        if project is None or not project["enabled"] or not domain or not domain["enabled"]:
            raise errors.Unauthorized("Could not find the project to scope to, or it is disabled.")
        return project

    def encode(self, token: Token) -> str:
        payload = {"u": token.user["id"], "m": token.methods, "i": token.issued_at,
                   "x": token.expires_at, "a": token.audit_ids,
                   "p": token.project["id"] if token.project else None,
                   "d": token.domain["id"] if token.domain else None, "s": token.system}
        data = json.dumps(payload, separators=(",", ":")).encode()
        return self.keys.fernet.encrypt_at_time(data, int(token.issued_at)).decode()

    # -- validating ------------------------------------------------------------------------
    def validate(self, token_id: str) -> Token:
        """The token's current meaning, or 401 if it is invalid, expired or revoked."""
        if not well_formed(token_id):
            raise errors.Unauthorized(NOT_AUTHENTICATED)
        try:
            payload = json.loads(self.keys.fernet.decrypt(token_id.encode()))
        except (InvalidToken, ValueError, TypeError):
            raise errors.Unauthorized(NOT_AUTHENTICATED) from None
        now = self.clock()
        if payload["x"] <= now:
            raise errors.Unauthorized("The token has expired.")
        user = self.store.user(payload["u"])
        domain = self.store.domain(user["domain_id"]) if user else None
        if user is None or not user["enabled"] or not domain or not domain["enabled"]:
            raise errors.Unauthorized(NOT_AUTHENTICATED)
        if self.store.is_revoked(audit_id=payload["a"][0], user_id=user["id"],
                                 project_id=payload["p"], issued_at=payload["i"]) or (
                len(payload["a"]) > 1 and self.store.is_revoked(
                    audit_id=payload["a"][1], user_id=user["id"], project_id=payload["p"],
                    issued_at=payload["i"])):
            raise errors.Unauthorized("The token has been revoked.")
        token = Token(user=user, methods=payload["m"], issued_at=payload["i"],
                      expires_at=payload["x"], audit_ids=payload["a"])
        scope = ({"project": {"id": payload["p"]}} if payload["p"] else
                 {"domain": {"id": payload["d"]}} if payload["d"] else
                 {"system": {"all": True}} if payload.get("s") else None)
        if scope is not None:
            self._apply_scope(token, scope)
        return token

    def context_for(self, token_id: str) -> RequestContext:
        """The request context of a caller presenting `token_id` (the auth middleware's hook)."""
        token = self.validate(token_id)
        return RequestContext(
            user_id=token.user["id"], user_name=token.user["name"],
            user_domain_id=token.user["domain_id"],
            project_id=token.project["id"] if token.project else None,
            project_name=token.project["name"] if token.project else None,
            domain_id=token.domain["id"] if token.domain else None,
            roles=[r["name"] for r in token.roles], auth_token=token_id)

    # -- revoking --------------------------------------------------------------------------
    def revoke_token(self, token: Token) -> None:
        self.store.prune_revocations(self.clock())
        self.store.revoke(audit_id=token.audit_ids[0], issued_before=token.issued_at,
                          expires_at=token.expires_at)

    def revoke_user(self, user_id: str) -> None:
        """Every token of the user issued until now stops working (password change, disable,
        delete)."""
        now = self.clock()
        self.store.prune_revocations(now)
        # no token issued until now lives past now + ttl: the event matters until then
        self.store.revoke(user_id=user_id, issued_before=now, expires_at=now + self.ttl)

    # -- rendering -------------------------------------------------------------------------
    def body(self, token: Token, *, catalog: bool = True) -> dict:
        user_domain = self.store.domain(token.user["domain_id"]) or {"id": token.user["domain_id"],
                                                                     "name": ""}
        body = {"methods": token.methods, "expires_at": isotime(token.expires_at),
                "issued_at": isotime(token.issued_at), "audit_ids": token.audit_ids,
                "user": {"id": token.user["id"], "name": token.user["name"],
                         "domain": {"id": user_domain["id"], "name": user_domain["name"]},
                         "password_expires_at": None}}
        if token.project:
            domain = self.store.domain(token.project["domain_id"])
            body["project"] = {"id": token.project["id"], "name": token.project["name"],
                               "domain": {"id": domain["id"], "name": domain["name"]}}
            body["is_domain"] = False
        elif token.domain:
            body["domain"] = {"id": token.domain["id"], "name": token.domain["name"]}
        elif token.system:
            body["system"] = {"all": True}
        if token.scoped:
            body["roles"] = [{"id": r["id"], "name": r["name"]} for r in token.roles]
            if catalog:
                body["catalog"] = self.store.catalog(
                    token.project["id"] if token.project else None)
        return {"token": body}
