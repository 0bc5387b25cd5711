"""What the unit tests of every service share (tests/<service>/conftest.py build on it).

The users a test acts as and a fake token validator that knows them (no Keystone: a token
is the user's name), a `Caller` that sends one user's requests through falcon's
TestClient, `wait_for` for work done off the request path (RPC, agents), and a free TCP
port on loopback. Fakes are for unit tests only: tests/functional drives a real cloud
(and borrows only `wait_for`).
"""

from __future__ import annotations

import socket
import time

from falcon import testing

from minicloud.common import errors
from minicloud.common.context import RequestContext

PROJECTS = {"admin": "p-admin", "demo": "p-demo", "other": "p-other"}

# token -> who it stands for; "reader" is a read-only member of the demo project.
USERS = {
    "admin": dict(user_id="u-admin", user_name="admin", project_id="p-admin",
                  roles=["admin", "member", "reader"]),
    "demo": dict(user_id="u-demo", user_name="demo", project_id="p-demo",
                 roles=["member", "reader"]),
    "other": dict(user_id="u-other", user_name="other", project_id="p-other",
                  roles=["member", "reader"]),
    "reader": dict(user_id="u-reader", user_name="reader", project_id="p-demo",
                   roles=["reader"]),
}


def fake_validator(token: str) -> RequestContext:
    """What keystonemiddleware would make of `token`: a fresh context per call."""
    if token not in USERS:
        raise errors.Unauthorized()
    return RequestContext(**USERS[token], auth_token=token)


class Caller:
    """HTTP calls to an app with one token (or none) and any headers every call needs."""

    def __init__(self, client: testing.TestClient, token: str | None = None,
                 headers: dict | None = None):
        self.client, self.token = client, token
        self.headers = dict(headers or {})

    def url(self, path: str) -> str:
        return path

    def request(self, method: str, path: str, *, headers: dict | None = None,
                **kw) -> testing.Result:
        sent = {**({"X-Auth-Token": self.token} if self.token else {}), **self.headers,
                **(headers or {})}
        if kw.get("body") is not None:
            sent.setdefault("Content-Type", "application/json")
        return self.client.simulate_request(method, self.url(path), headers=sent, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """The first truthy value of `predicate()` within `timeout` seconds, else its last
    value (falsy): `assert wait_for(...)` fails with what was seen last."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
