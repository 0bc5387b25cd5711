"""Unit tests of the Fernet token service: scopes, expiry, revocation (with a fake clock)."""

import pytest

from minicloud.common import errors
from minicloud.config import Config
from minicloud.identity.bootstrap import bootstrap
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def env(tmp_path):
    config = Config(home=tmp_path, scrypt_n=2**10, token_ttl=3600)
    clock = Clock()
    keystone = Keystone(config, IdentityStore(tmp_path / "identity.db"), clock)
    bootstrap(keystone)
    return keystone.tokens, clock


def password_auth(user="demo", password="secret", scope="demo"):
    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}
    if scope == "unscoped":
        auth["scope"] = "unscoped"
    elif scope:
        auth["scope"] = {"project": {"name": scope, "domain": {"name": "Default"}}}
    return auth


def test_project_scoped_token_carries_roles_and_catalog(env):
    tokens, _ = env
    token_id, token = tokens.authenticate(password_auth())
    body = tokens.body(tokens.validate(token_id))["token"]
    assert body["project"]["name"] == "demo"
    assert [r["name"] for r in body["roles"]] == ["member", "reader"]  # member implies reader
    assert body["methods"] == ["password"]
    identity = [s for s in body["catalog"] if s["type"] == "identity"][0]
    assert {e["interface"] for e in identity["endpoints"]} == {"public", "internal", "admin"}
    assert all(e["region"] == e["region_id"] == "RegionOne" for e in identity["endpoints"])


def test_no_scope_uses_default_project_and_unscoped_has_no_catalog(env):
    tokens, _ = env
    _, token = tokens.authenticate(password_auth(scope=None))
    assert token.project["name"] == "demo"
    _, bare = tokens.authenticate(password_auth(scope="unscoped"))
    body = tokens.body(bare)["token"]
    assert "catalog" not in body and "project" not in body and "roles" not in body


def test_domain_and_token_rescope(env):
    tokens, _ = env
    unscoped_id, _ = tokens.authenticate(password_auth("admin", scope="unscoped"))
    with pytest.raises(errors.Unauthorized):  # admin has no role on the domain yet
        tokens.authenticate({"identity": {"methods": ["token"], "token": {"id": unscoped_id}},
                             "scope": {"domain": {"id": "default"}}})
    rescoped_id, rescoped = tokens.authenticate(
        {"identity": {"methods": ["token"], "token": {"id": unscoped_id}},
         "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}})
    assert rescoped.project["name"] == "admin"
    assert "token" in rescoped.methods and "password" in rescoped.methods
    assert tokens.validate(rescoped_id).roles[0]["name"] == "admin"


def test_wrong_password_unknown_user_and_unknown_project_are_401(env):
    tokens, _ = env
    for auth in (password_auth(password="nope"), password_auth(user="ghost"),
                 password_auth(scope="admin"),  # demo has no role on admin
                 password_auth(scope="nowhere")):
        with pytest.raises(errors.Unauthorized):
            tokens.authenticate(auth)


def test_expired_token_is_refused(env):
    tokens, clock = env
    token_id, _ = tokens.authenticate(password_auth())
    clock.now += 3599
    assert tokens.validate(token_id).user["name"] == "demo"
    clock.now += 2
    with pytest.raises(errors.Unauthorized, match="expired"):
        tokens.validate(token_id)


def test_revoked_token_is_refused_and_others_are_not(env):
    tokens, clock = env
    first_id, first = tokens.authenticate(password_auth())
    second_id, _ = tokens.authenticate(password_auth())
    tokens.revoke_token(first)
    with pytest.raises(errors.Unauthorized, match="revoked"):
        tokens.validate(first_id)
    assert tokens.validate(second_id).user["name"] == "demo"


def test_revoking_a_user_kills_older_tokens_only(env):
    tokens, clock = env
    old_id, token = tokens.authenticate(password_auth())
    clock.now += 1
    tokens.revoke_user(token.user["id"])
    with pytest.raises(errors.Unauthorized):
        tokens.validate(old_id)
    clock.now += 1
    new_id, _ = tokens.authenticate(password_auth())
    assert tokens.validate(new_id).user["name"] == "demo"


def test_tampered_token_is_refused(env):
    tokens, _ = env
    token_id, _ = tokens.authenticate(password_auth())
    tampered = token_id[:-6] + ("A" if token_id[-6] != "A" else "B") + token_id[-5:]
    with pytest.raises(errors.Unauthorized):
        tokens.validate(tampered)
    with pytest.raises(errors.Unauthorized):
        tokens.validate("not-a-token")


def variants(token_id: str) -> list[str]:
    """Texts that are not the token but decode (leniently) close to it."""
    last = token_id.rstrip("=")[-1]
    # the last data character before `==` carries 4 unused bits: this one decodes the same
    sibling = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = sibling[sibling.index(last) ^ 1] if token_id.endswith("==") else None
    middle = len(token_id) // 2
    out = [token_id + "x", token_id + "=", token_id + "==x", token_id[:-1], " " + token_id,
           token_id[:middle] + ("A" if token_id[middle] != "A" else "B") + token_id[middle + 1:],
           token_id.replace("-", "+").replace("_", "/")]
    if same_bytes:
        out.append(token_id.rstrip("=")[:-1] + same_bytes + "==")
    return [v for v in out if v != token_id]


def test_only_the_exact_token_text_is_accepted(env):
    tokens, _ = env
    for _ in range(8):  # tokens of several lengths and paddings
        token_id, _ = tokens.authenticate(password_auth())
        assert tokens.validate(token_id).user["name"] == "demo"
        for variant in variants(token_id):
            with pytest.raises(errors.Unauthorized):
                tokens.validate(variant)


def test_revocation_events_are_pruned_after_the_token_lifetime(env):
    tokens, clock = env
    _, first = tokens.authenticate(password_auth())
    tokens.revoke_token(first)
    tokens.revoke_user(first.user["id"])
    assert tokens.store.revocation_count() == 2
    clock.now += 3599  # the events still match live tokens: kept
    _, second = tokens.authenticate(password_auth())
    tokens.revoke_token(second)
    assert tokens.store.revocation_count() == 3
    clock.now += 2  # every token the first two events matched has expired
    _, third = tokens.authenticate(password_auth())
    tokens.revoke_token(third)
    assert tokens.store.revocation_count() == 2
    second_id = tokens.encode(second)
    with pytest.raises(errors.Unauthorized, match="revoked"):
        tokens.validate(second_id)



def test_revoking_a_user_also_prunes_expired_events(env):
    tokens, clock = env
    _, first = tokens.authenticate(password_auth())
    tokens.revoke_token(first)
    clock.now += 3601  # the token the event matched has expired
    tokens.revoke_user(first.user["id"])
    assert tokens.store.revocation_count() == 1  # the user's event only


def test_password_is_stored_only_as_scrypt_hash(env):
    tokens, _ = env
    user = tokens.store.user_by_name("demo", "default")
    assert user["password_hash"].startswith("scrypt$")
    assert "secret" not in user["password_hash"]
    raw = (tokens.store.path).read_bytes()
    assert b"secret" not in raw


def test_admin_token_carries_the_roles_admin_implies(env):
    tokens, _ = env
    _, token = tokens.authenticate(password_auth("admin", scope="admin"))
    assert [r["name"] for r in token.roles] == ["admin", "member", "reader"]
