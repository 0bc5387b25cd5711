"""The dashboard's view tests: one in-process cloud per module (`dash_cloud`: the real
services on free ports), and its dashboard app driven through Falcon's test client by a
`Visitor` that keeps its session cookie and sends each form's CSRF token, as a browser
would."""

from __future__ import annotations

import re

import pytest
from falcon import testing

from minicloud.cloud import Cloud
from minicloud.config import Config
from tests.livecloud import free_port_offset

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Visitor:
    def __init__(self, app):
        self.client = testing.TestClient(app)
        self.cookie: str | None = None
        self.csrf = ""

    def _cookies(self) -> dict:
        return {"sessionid": self.cookie} if self.cookie else {}

    def _keep(self, result):
        if "sessionid" in result.cookies:
            self.cookie = result.cookies["sessionid"].value or None
        found = CSRF.search(result.text or "")
        if found:
            self.csrf = found.group(1)
        return result

    def get(self, path: str, **kw):
        return self._keep(self.client.simulate_get(path, cookies=self._cookies(), **kw))

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf_token", self.csrf)
        return self._keep(self.client.simulate_post(
            path, cookies=self._cookies(), params_csv=False,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=_encode(fields), **kw))

    def follow(self, result):
        """The page a 303 leads to."""
        assert result.status_code == 303, (result.status, result.text[:500])
        return self.get(result.headers["location"].split("?")[0],
                        query_string=result.headers["location"].partition("?")[2])

    def log_in(self, user: str, password: str = "secret"):
        self.get("/auth/login")
        result = self.post("/auth/login", {"username": user, "password": password,
                                           "domain": "Default", "next": "/project"})
        assert result.status_code == 303, result.text[:2000]
        return self.follow(result)


def _encode(fields: dict) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, vs in fields.items()
                      for v in (vs if isinstance(vs, list) else [vs])])


@pytest.fixture(scope="module")
def dash_cloud(tmp_path_factory):
    config = Config(home=tmp_path_factory.mktemp("dash"), port_offset=free_port_offset(),
                    scrypt_n=2**10)
    running = Cloud(config, say=lambda line: None)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def visitor(dash_cloud):
    return Visitor(dash_cloud.apps["dashboard"])


@pytest.fixture
def demo(visitor):
    visitor.log_in("demo")
    return visitor


@pytest.fixture
def admin(dash_cloud):
    visitor = Visitor(dash_cloud.apps["dashboard"])
    visitor.log_in("admin")
    return visitor
