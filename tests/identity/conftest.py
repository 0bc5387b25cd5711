"""Fixtures for Keystone unit tests: a bootstrapped Keystone (the core.Keystone facade, the
`identity` fixture) in a temporary directory, and its app (the `keystone` fixture) called
through falcon's TestClient as the admin, as demo, or as users a test creates."""

from __future__ import annotations

import pytest
from falcon import testing

from minicloud.common.trace import Tracer
from minicloud.config import Config
from minicloud.identity import api
from minicloud.identity.bootstrap import bootstrap
from minicloud.identity.core import Keystone
from minicloud.identity.store import IdentityStore
from tests.fakes import Caller


class KeystoneApp:
    """The app under test, with helpers to log in and to set up users."""

    def __init__(self, client: testing.TestClient, store: IdentityStore):
        self.client = client
        self.store = store
        self.anonymous = Caller(client)

    def login(self, user: str, password: str = "secret", project: str | None = None):
        auth = {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}}}
        if project:
            auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
        return self.anonymous.post("/v3/auth/tokens", json={"auth": auth})

    def token(self, user: str, password: str = "secret", project: str | None = None) -> str:
        result = self.login(user, password, project)
        assert result.status_code == 201, result.text
        return result.headers["X-Subject-Token"]

    def as_user(self, user: str, password: str = "secret", project: str | None = None) -> Caller:
        return Caller(self.client, self.token(user, password, project))

    def id_of(self, kind: str, name: str) -> str:
        """The id of a user, project (both in the default domain) or role, by name."""
        find = {"users": lambda n: self.store.user_by_name(n, "default"),
                "projects": lambda n: self.store.project_by_name(n, "default"),
                "roles": self.store.role_by_name}[kind]
        return find(name)["id"]

    def new_member(self, admin: Caller, name: str, password: str = "pw",
                   project: str = "demo", role: str = "member") -> dict:
        """A user holding `role` on `project` (both names), created through the API."""
        user = admin.post("/v3/users", json={"user": {"name": name, "password": password}})
        assert user.status_code == 201, user.text
        user = user.json["user"]
        grant = admin.put(f"/v3/projects/{self.id_of('projects', project)}/users/{user['id']}"
                          f"/roles/{self.id_of('roles', role)}")
        assert grant.status_code == 204, grant.text
        return user


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(home=tmp_path, scrypt_n=2**10)  # cheap hashing keeps the tests fast


@pytest.fixture
def identity(config) -> Keystone:
    keystone = Keystone(config, IdentityStore(config.path("identity.db")))
    bootstrap(keystone)
    return keystone


@pytest.fixture
def store(identity) -> IdentityStore:
    return identity.store


@pytest.fixture
def keystone(identity) -> KeystoneApp:
    app = api.create_app(identity, Tracer(), identity.validate)
    return KeystoneApp(testing.TestClient(app), identity.store)


@pytest.fixture
def admin(keystone) -> Caller:
    return keystone.as_user("admin", project="admin")


@pytest.fixture
def demo(keystone) -> Caller:
    return keystone.as_user("demo", project="demo")
