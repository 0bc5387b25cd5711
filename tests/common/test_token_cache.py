"""How a service validates tokens with Keystone (common/keystone.py): the few-second cache
of RemoteTokenValidator, and the renewal of the service's own token by ServiceAuth.
Keystone is a fake served over real HTTP; the clock is moved by hand."""

from __future__ import annotations

import base64

import pytest

from minicloud.common import errors
from minicloud.common.keystone import RENEW_BEFORE, RemoteTokenValidator, ServiceAuth
from tests.common.fakes import FakeClock, FakeCloud, new_token

CACHE = 5.0


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def cloud(clock):
    cloud = FakeCloud(clock).start()
    yield cloud
    cloud.stop()


@pytest.fixture
def auth(cloud, clock):
    return ServiceAuth(cloud.auth_url, "nova", "secret", clock=clock)


@pytest.fixture
def validate(auth, clock):
    return RemoteTokenValidator(auth, cache_seconds=CACHE, clock=clock)


# -- what a validation returns --------------------------------------------------------------
def test_a_valid_token_becomes_the_callers_context(cloud, validate):
    token = cloud.user_token("alice")
    ctx = validate(token)
    assert (ctx.user_name, ctx.user_id, ctx.user_domain_id) == ("alice", "alice-id", "default")
    assert (ctx.project_id, ctx.project_name) == ("p-alice", "demo")
    assert ctx.roles == ["member", "reader"]
    assert ctx.auth_token == token
    assert cloud.validations == [token]


def test_a_token_keystone_does_not_know_is_refused(cloud, validate):
    with pytest.raises(errors.Unauthorized):
        validate(new_token())


def test_changing_a_returned_context_does_not_change_the_cached_one(cloud, validate):
    """The middleware stamps each request's id on the context; a handler might add to it.
    Neither may leak into the next request that hits the cache."""
    token = cloud.user_token()
    for i in range(3):  # a miss, then hits
        ctx = validate(token)
        assert not ctx.is_admin
        assert ctx.request_id.startswith("req-") and not ctx.request_id.startswith("req-mine")
        ctx.roles.append("admin")
        ctx.request_id = f"req-mine-{i}"
    assert len(cloud.validations) == 1  # the hits did come from the cache


# -- the cache ------------------------------------------------------------------------------
def test_a_burst_within_cache_seconds_asks_keystone_once(cloud, clock, validate):
    token = cloud.user_token()
    for _ in range(20):
        assert validate(token).user_name == "alice"
        clock.advance(CACHE / 25)
    assert cloud.validations == [token]


def test_after_cache_seconds_keystone_is_asked_again(cloud, clock, validate):
    token = cloud.user_token()
    validate(token)
    clock.advance(CACHE - 0.01)
    validate(token)
    assert len(cloud.validations) == 1
    clock.advance(0.01)
    validate(token)
    assert cloud.validations == [token, token]
    clock.advance(CACHE - 0.01)  # the new answer is cached afresh
    validate(token)
    assert len(cloud.validations) == 2


def test_each_token_has_its_own_entry(cloud, validate):
    alice, bob = cloud.user_token("alice"), cloud.user_token("bob")
    assert validate(alice).user_name == "alice"
    assert validate(bob).user_name == "bob"
    assert validate(alice).user_name == "alice"
    assert cloud.validations == [alice, bob]


def test_a_revoked_token_is_refused_at_most_cache_seconds_later_and_ever_after(
        cloud, clock, validate):
    token = cloud.user_token()
    validate(token)
    cloud.revoke(token)
    clock.advance(CACHE / 2)
    validate(token)  # still cached: tolerated, for at most CACHE seconds
    clock.advance(CACHE / 2)
    for _ in range(3):
        with pytest.raises(errors.Unauthorized):
            validate(token)
        clock.advance(CACHE / 3)
    # A refusal is not cached as a success: Keystone was asked every time.
    assert cloud.validations == [token] * 4


def test_a_refused_token_is_asked_about_again_not_cached(cloud, clock, validate):
    """Keystone is the judge of each attempt: a refusal is not remembered either, so a
    token Keystone accepts later (a clock skew, a restart) works at once."""
    token = "A" * 40
    with pytest.raises(errors.Unauthorized):
        validate(token)
    cloud.users[token] = "alice"
    assert validate(token).user_name == "alice"
    assert cloud.validations == [token, token]


MALFORMED = {
    "empty": lambda t: "",
    "not-base64": lambda t: "not a token",
    "unpadded": lambda t: t.rstrip("="),
    "extra-char": lambda t: t + "x",
    "trailing-space": lambda t: t + " ",
    "trailing-newline": lambda t: t + "\n",
    "extra-padding": lambda t: t + "==",
    "too-long": lambda t: "A" * 8192,
}


@pytest.mark.parametrize("form", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_token_is_never_sent_to_keystone(cloud, validate, form):
    with pytest.raises(errors.Unauthorized):
        validate(MALFORMED[form](cloud.user_token()))
    assert cloud.validations == []
    assert cloud.logins == 0  # not even the service's own login happened


def _same_bytes_other_text(token: str) -> str:
    """The token with the unused low bits of its last character flipped."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    body = token.rstrip("=")
    last = alphabet[alphabet.index(body[-1]) ^ 1]
    return body[:-1] + last + token[len(body):]


VARIANTS = {
    "appended": lambda t: t + "x",
    "space": lambda t: t + " ",
    "tab": lambda t: t + "\t",
    "leading-space": lambda t: " " + t,
    "unpadded": lambda t: t.rstrip("="),
    "extra-padding": lambda t: t + "=",
    "block": lambda t: t + "AAAA",
    "same-bytes": _same_bytes_other_text,
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_no_variant_of_a_cached_token_rides_on_its_entry(cloud, validate, variant):
    token = cloud.user_token()
    validate(token)
    forged = VARIANTS[variant](token)
    assert forged != token
    with pytest.raises(errors.Unauthorized):
        validate(forged)
    assert cloud.validations == [token]  # the forgery was neither sent nor served from cache
    assert list(validate._cache) == [token]  # and left no entry of its own


def test_same_bytes_variant_really_decodes_like_the_token():
    """Guards the test above: the variant is the dangerous kind, not merely different."""
    token = base64.urlsafe_b64encode(bytes(range(32))).decode()
    forged = _same_bytes_other_text(token)
    assert forged != token
    assert base64.urlsafe_b64decode(forged) == base64.urlsafe_b64decode(token)


# -- the service's own token ----------------------------------------------------------------
def test_validation_logs_the_service_in_once(cloud, validate):
    for _ in range(3):
        validate(cloud.user_token())
    assert (cloud.logins, len(cloud.validations)) == (1, 3)


def test_a_service_token_keystone_no_longer_accepts_is_renewed_once(cloud, validate):
    """Keystone restarted with new keys: the validator logs in again and retries."""
    validate(cloud.user_token())
    cloud.service_tokens.clear()
    assert validate(cloud.user_token("bob")).user_name == "bob"
    assert cloud.logins == 2


def test_service_auth_keeps_its_token_while_it_has_time_left(cloud, clock, auth):
    token = auth.token()
    clock.advance(cloud.lifetime - RENEW_BEFORE - 1)
    assert auth.token() == token
    assert cloud.logins == 1


def test_service_auth_renews_when_less_than_renew_before_is_left(cloud, clock, auth):
    token = auth.token()
    clock.advance(cloud.lifetime - RENEW_BEFORE + 1)
    renewed = auth.token()
    assert renewed != token
    assert renewed in cloud.service_tokens
    assert cloud.logins == 2
    assert auth.token() == renewed  # the new one has its full life ahead
    assert cloud.logins == 2


def test_service_auth_renews_on_demand(cloud, auth):
    token = auth.token()
    assert auth.token(renew=True) != token
    assert cloud.logins == 2


def test_service_auth_finds_endpoints_in_its_catalog(cloud, auth):
    assert auth.endpoint("thing") == cloud.url
    assert auth.endpoint("thing", "public") == cloud.url + "/public"
    with pytest.raises(errors.ApiError, match="No internal endpoint of type volume"):
        auth.endpoint("volume")
    assert cloud.logins == 1


def test_service_auth_says_when_keystone_refuses_it(cloud, auth):
    cloud.refuse_logins = True
    with pytest.raises(errors.ApiError, match=r"could not log in to Keystone \(401\)"):
        auth.token()
