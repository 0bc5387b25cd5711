"""Fakes for the tests of common/keystone.py and common/restclient.py: a clock the test
moves by hand, and a fake cloud (Keystone's token API plus one small service) served over
real HTTP on 127.0.0.1, so the clients under test go through `requests` as in production."""

from __future__ import annotations

import base64
import datetime
import os

import falcon

from minicloud.common.server import HttpServer


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def new_token() -> str:
    """A token in the form Keystone issues (canonical URL-safe base64, with padding)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


class Tokens:
    """`/v3/auth/tokens`: POST logs the service in, GET validates a user's token."""

    def __init__(self, cloud: "FakeCloud"):
        self.cloud = cloud

    def on_post(self, req, resp):
        cloud = self.cloud
        if cloud.refuse_logins:
            raise falcon.HTTPUnauthorized()
        cloud.logins += 1
        token = new_token()
        cloud.service_tokens.add(token)
        resp.status = falcon.HTTP_201
        resp.set_header("X-Subject-Token", token)
        resp.media = {"token": {"expires_at": iso(cloud.clock() + cloud.lifetime),
                                "catalog": cloud.catalog()}}

    def on_get(self, req, resp):
        cloud = self.cloud
        if req.get_header("X-Auth-Token") not in cloud.service_tokens:
            raise falcon.HTTPUnauthorized()
        subject = req.get_header("X-Subject-Token")
        cloud.validations.append(subject)
        user = cloud.users.get(subject)
        if user is None:
            raise falcon.HTTPNotFound()
        resp.media = {"token": {
            "user": {"id": user + "-id", "name": user, "domain": {"id": "default"}},
            "project": {"id": "p-" + user, "name": "demo"},
            "roles": [{"name": "member"}, {"name": "reader"}],
            "expires_at": iso(cloud.clock() + cloud.lifetime)}}


class Things:
    """`/v2/things/{name}` of the fake service: every request is remembered; a token that
    is neither a live service token nor a user's is a 401."""

    def __init__(self, cloud: "FakeCloud"):
        self.cloud = cloud

    def _seen(self, req) -> None:
        self.cloud.requests.append((req.method, req.path, dict(req.headers)))
        token = req.get_header("X-Auth-Token")
        if token not in self.cloud.service_tokens and token not in self.cloud.users:
            raise falcon.HTTPUnauthorized()

    def on_get(self, req, resp, name):
        self._seen(req)
        resp.media = {"name": name}

    def on_delete(self, req, resp, name):
        self._seen(req)
        if name in self.cloud.answers:
            status, body = self.cloud.answers[name]
            resp.status, resp.data = status, body
            resp.content_type = falcon.MEDIA_JSON
        else:
            resp.status = falcon.HTTP_204


class Answer:
    """`/v2/answer/{name}`: replies with the status and raw body the test put in `answers`."""

    def __init__(self, cloud: "FakeCloud"):
        self.cloud = cloud

    def on_get(self, req, resp, name):
        status, body = self.cloud.answers[name]
        resp.status, resp.data = status, body
        resp.content_type = falcon.MEDIA_JSON if body[:1] in (b"{", b"[") else falcon.MEDIA_HTML


class FakeCloud:
    """Keystone and one service of type `thing` (catalog URL without its `/v2`)."""

    lifetime = 3600.0
    refuse_logins = False

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.logins = 0
        self.service_tokens: set[str] = set()
        self.users: dict[str, str] = {}       # token -> user name
        self.validations: list[str] = []     # X-Subject-Token of every GET /v3/auth/tokens
        self.requests: list[tuple[str, str, dict]] = []  # to the service: method, path, headers
        self.answers: dict[str, tuple[str, bytes]] = {}
        app = falcon.App()
        app.add_route("/v3/auth/tokens", Tokens(self))
        app.add_route("/v2/things/{name}", Things(self))
        app.add_route("/v2/answer/{name}", Answer(self))
        self.server = HttpServer("fake-cloud", app, "127.0.0.1", 0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.auth_url = self.url + "/v3"

    def catalog(self) -> list[dict]:
        return [{"type": "thing", "endpoints": [
            {"interface": "public", "url": self.url + "/public"},
            {"interface": "internal", "url": self.url}]}]

    def user_token(self, name: str = "alice") -> str:
        token = new_token()
        self.users[token] = name
        return token

    def revoke(self, token: str) -> None:
        self.users.pop(token, None)
        self.service_tokens.discard(token)

    def start(self) -> "FakeCloud":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
