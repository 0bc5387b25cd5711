"""The token middleware in front of every API (common/auth.py) with a fake validator, and
`well_formed`, the check every real validator makes before it looks a token up."""

from __future__ import annotations

import base64

import falcon
import falcon.testing
import pytest

from minicloud.common import errors, trace, wsgi
from minicloud.common.auth import MAX_TOKEN_LENGTH, AuthMiddleware, well_formed
from minicloud.common.context import RequestContext
from minicloud.common.trace import Tracer

GOOD = "gAAAAABnZXJhbmQtdG9rZW4tdGV4dA=="


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    return {"error": {"code": code, "message": errors.message_of(exc)}}


class FakeValidator:
    """Knows one token; remembers every token it was asked about."""

    def __init__(self):
        self.asked: list[str] = []
        self.given: list[RequestContext] = []

    def __call__(self, token: str) -> RequestContext:
        self.asked.append(token)
        if token != GOOD:
            raise errors.Unauthorized("The request you have made requires authentication.")
        self.given.append(RequestContext(user_id="u1", user_name="alice", project_id="p1",
                                         roles=["member"], auth_token=token))
        return self.given[-1]


class Seen:
    """Keeps what the responder saw: the context and the span it ran in."""

    def __init__(self):
        self.ctx = None
        self.span = None

    def on_get(self, req, resp):
        self.ctx, self.span = req.context.ctx, trace.current()
        resp.media = {"ok": True}

    on_post = on_get


class HalfPublic(Seen):
    public_methods = frozenset({"GET"})


class Recorder:
    """A TraceStore stand-in: the spans a Tracer finished."""

    def __init__(self):
        self.spans: list[trace.Span] = []

    def record(self, span):
        self.spans.append(span)


@pytest.fixture
def validator():
    return FakeValidator()


@pytest.fixture
def spans():
    return Recorder()


@pytest.fixture
def seen():
    return Seen()


@pytest.fixture
def half_public():
    return HalfPublic()


@pytest.fixture
def client(validator, spans, seen, half_public):
    app = wsgi.create_app("test-api", error_body=error_body, tracer=Tracer(spans),
                          middleware=[AuthMiddleware(validator)])
    app.add_route("/private", seen)
    app.add_route("/half", half_public)
    app.add_route("/", wsgi.VersionResource(lambda req: (falcon.HTTP_300, {"versions": []})))
    return falcon.testing.TestClient(app)


# -- refused --------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": ""}], ids=["absent", "empty"])
def test_no_token_is_a_401_in_the_services_format(client, validator, seen, headers):
    response = client.simulate_get("/private", headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": {
        "code": 401, "message": "The request you have made requires authentication."}}
    assert response.headers["X-Openstack-Request-Id"].startswith("req-")
    assert validator.asked == []
    assert seen.ctx is None  # the responder never ran


def test_a_token_the_validator_refuses_is_a_401_and_the_responder_never_runs(
        client, validator, seen):
    response = client.simulate_post("/private", headers={"X-Auth-Token": "not-" + GOOD})
    assert response.status_code == 401
    assert response.json["error"]["code"] == 401
    assert validator.asked == ["not-" + GOOD]
    assert seen.ctx is None


def test_a_refused_token_is_recorded_as_an_error_span_without_a_user(client, spans):
    client.simulate_get("/private", headers={"X-Auth-Token": "nope"})
    [span] = spans.spans
    assert span.status == "error 401"
    assert "user" not in span.attrs


# -- accepted -------------------------------------------------------------------------------
def test_a_valid_token_puts_its_context_on_the_request(client, validator, seen):
    response = client.simulate_get("/private", headers={"X-Auth-Token": GOOD})
    assert response.status_code == 200
    assert validator.asked == [GOOD]
    ctx = seen.ctx
    assert ctx is validator.given[-1]
    assert (ctx.user_name, ctx.project_id, ctx.roles, ctx.auth_token) == (
        "alice", "p1", ["member"], GOOD)


def test_the_context_carries_the_requests_id_and_trace(client, seen, spans):
    response = client.simulate_get("/private", headers={"X-Auth-Token": GOOD})
    assert seen.ctx.request_id == response.headers["X-Openstack-Request-Id"]
    assert (seen.ctx.trace_id, seen.ctx.span_id) == (seen.span.trace_id, seen.span.span_id)
    [span] = spans.spans
    assert span.span_id == seen.ctx.span_id
    # who asked, and with which client (lab 11 tells the dashboard from the CLI by it)
    user_agent = span.attrs.pop("user_agent")
    assert user_agent.startswith("falcon-client/")
    assert span.attrs == {"http_status": 200, "user": "alice"}


def test_each_request_gets_its_own_request_id_on_its_context(client, seen):
    ids = set()
    for _ in range(3):
        client.simulate_get("/private", headers={"X-Auth-Token": GOOD})
        ids.add(seen.ctx.request_id)
    assert len(ids) == 3


# -- public routes --------------------------------------------------------------------------
def test_a_public_method_needs_no_token(client, validator, half_public):
    response = client.simulate_get("/half")
    assert response.status_code == 200
    assert validator.asked == []
    assert half_public.ctx is None  # anonymous: no context


def test_the_other_methods_of_a_half_public_resource_still_need_one(client, half_public):
    assert client.simulate_post("/half").status_code == 401
    assert client.simulate_post("/half", headers={"X-Auth-Token": GOOD}).status_code == 200
    assert half_public.ctx.user_name == "alice"


def test_a_public_method_ignores_a_bad_token(client, validator):
    assert client.simulate_get("/half", headers={"X-Auth-Token": "garbage"}).status_code == 200
    assert validator.asked == []


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_version_document_is_public(client, validator, method):
    assert client.simulate_request(method, "/").status_code == 300
    assert validator.asked == []


def test_an_unknown_url_is_a_404_even_without_a_token(client, validator):
    """No resource, nothing to protect: the client learns the URL is wrong, not that it
    should log in."""
    assert client.simulate_get("/nowhere").status_code == 404
    assert validator.asked == []


# -- well_formed ----------------------------------------------------------------------------
def _token(n_bytes: int) -> str:
    return base64.urlsafe_b64encode(bytes(range(7, 7 + n_bytes))).decode()


@pytest.mark.parametrize("n_bytes", [30, 31, 32, 64, 183])
def test_a_token_as_keystone_issues_it_is_well_formed(n_bytes):
    assert well_formed(_token(n_bytes))


def _flip_unused_bits(token: str) -> str:
    """The same bytes, written with different unused bits in the last character."""
    body = token.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(body[-1])
    return body[:-1] + alphabet[last ^ 1] + token[len(body):]


VARIANTS = {
    "trailing-char": lambda t: t + "x",
    "trailing-block": lambda t: t + "AAAA",
    "trailing-space": lambda t: t + " ",
    "leading-space": lambda t: " " + t,
    "newline": lambda t: t + "\n",
    "no-padding": lambda t: t.rstrip("="),
    "extra-padding": lambda t: t + "==",
    "standard-alphabet": lambda t: t.replace("-", "+").replace("_", "/"),
    "unused-bits": _flip_unused_bits,
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_no_variant_of_a_token_is_well_formed(variant):
    token = base64.urlsafe_b64encode(b"\xfb\xff" + bytes(range(30))).decode()  # has - _ =
    assert well_formed(token)
    forged = VARIANTS[variant](token)
    assert forged != token
    assert not well_formed(forged)


def test_unused_bits_variant_decodes_to_the_same_bytes():
    """Why `well_formed` re-encodes: a lenient decoder cannot tell these two apart."""
    token = _token(32)
    forged = _flip_unused_bits(token)
    assert base64.urlsafe_b64decode(forged) == base64.urlsafe_b64decode(token)
    assert not well_formed(forged)


@pytest.mark.parametrize("token", ["", "====", "A", "ab+/", "a" * (MAX_TOKEN_LENGTH + 4)],
                         ids=["empty", "only-padding", "short", "std-alphabet", "too-long"])
def test_other_malformed_tokens(token):
    assert not well_formed(token)


def test_the_longest_allowed_token_is_well_formed():
    assert well_formed("A" * MAX_TOKEN_LENGTH)
