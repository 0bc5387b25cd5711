"""Unit tests of the services' side of tokens (common/keystone.py RemoteTokenValidator):
its cache holds exact tokens only, a malformed token never reaches Keystone, and a token
Keystone stops accepting stops working once the cached answer is older than the cache time.
Keystone is faked: a dict of the tokens it currently accepts."""

import base64
import os

import pytest

from minicloud.common import errors
from minicloud.common.auth import well_formed
from minicloud.common.keystone import RemoteTokenValidator


class Response:
    def __init__(self, status_code: int, body: dict | None = None):
        self.status_code, self.body = status_code, body

    def json(self):
        return self.body


class FakeKeystone:
    """What `GET /v3/auth/tokens` answers, and how often it was asked."""

    def __init__(self):
        self.valid: set[str] = set()
        self.asked: list[str] = []

    def get(self, url, headers, timeout):
        subject = headers["X-Subject-Token"]
        self.asked.append(subject)
        if subject not in self.valid:
            return Response(404)
        return Response(200, {"token": {"user": {"id": "u1", "name": "demo",
                                                 "domain": {"id": "default"}},
                                        "project": {"id": "p1", "name": "demo"},
                                        "roles": [{"name": "member"}]}})


class FakeServiceAuth:
    auth_url = "http://keystone/v3"

    def __init__(self):
        self.http = FakeKeystone()

    def token(self, renew=False):
        return "service-token"


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def fernet_like() -> str:
    return base64.urlsafe_b64encode(b"\x80" + os.urandom(200)).decode()


@pytest.fixture
def env():
    auth, clock = FakeServiceAuth(), Clock()
    return RemoteTokenValidator(auth, cache_seconds=5.0, clock=clock), auth.http, clock


def test_well_formed_accepts_only_canonical_base64():
    token = base64.urlsafe_b64encode(b"\x80" + bytes(range(99))).decode()  # ends in "=="
    assert token.endswith("==") and well_formed(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(token[-3]) ^ 1]  # differs only in an unused low bit
    same_bytes = token[:-3] + sibling + "=="
    assert base64.urlsafe_b64decode(same_bytes) == base64.urlsafe_b64decode(token)
    for bad in (token + "x", token + "=", token[:-1], token[:-2], token + "==x", same_bytes,
                token[:5] + "+" + token[6:], "", " " + token, "a" * 5000):
        assert not well_formed(bad), bad


def test_cache_answers_only_for_the_exact_token(env):
    validate, keystone, _ = env
    token = fernet_like()
    keystone.valid.add(token)
    assert validate(token).user_id == "u1"
    assert validate(token).project_id == "p1"
    assert keystone.asked == [token]  # the second call came from the cache
    for variant in (token + "x", token[:-1], token + "=="):
        with pytest.raises(errors.Unauthorized):
            validate(variant)
    assert keystone.asked == [token]  # malformed variants never reach Keystone


def test_a_token_keystone_revoked_stops_working_after_the_cache_time(env):
    validate, keystone, clock = env
    token = fernet_like()
    keystone.valid.add(token)
    validate(token)
    keystone.valid.discard(token)  # revoked
    clock.now += 4.9
    assert validate(token).user_id == "u1"  # still inside the cache time
    clock.now += 0.2
    with pytest.raises(errors.Unauthorized):
        validate(token)
