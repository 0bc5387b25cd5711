"""Fixtures for Neutron unit tests: neutron-server's app with its agents on a memory bus,
called through falcon's TestClient with fixed tokens (no Keystone: tests/fakes.py's fake
validator maps each token to a RequestContext), bootstrapped like DevStack."""

from __future__ import annotations

import pytest

from minicloud.config import Config
from minicloud.network import bootstrap, dataplane
from minicloud.topology import Topology

from tests import fakes
from tests.fakes import PROJECTS
from tests.network.server import neutron_server


class Caller(fakes.Caller):
    """The shared Caller plus Neutron's `create`: POST one resource, return its body."""

    def create(self, collection: str, key: str, **fields) -> dict:
        if collection == "subnets":  # Neutron requires it; these tests mean IPv4
            fields.setdefault("ip_version", 4)
        result = self.post(f"/v2.0/{collection}", json={key: fields})
        assert result.status_code == 201, result.text
        return result.json[key]


class Env:
    def __init__(self, config, neutron, client, cloud_agents):
        self.config, self.neutron, self.client = config, neutron, client
        self.agents = cloud_agents
        self.store = neutron.store

    def caller(self, who: str | None) -> Caller:
        return Caller(self.client, who)

    def named(self, table: str, name: str) -> dict:
        return self.store.named(table, name)


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(home=tmp_path, agent_report_interval=0.1, agent_down_time=0.6)


@pytest.fixture
def env(config):
    with neutron_server(config) as (neutron, client):
        cloud_agents = {}
        for node in Topology.from_config(config).nodes:
            if node.role in ("network", "compute"):
                cloud_agents.update(dataplane.agents_for(node, config, neutron.transport))
        for agent in cloud_agents.values():
            agent.start()
        bootstrap.bootstrap(neutron, {"admin": PROJECTS["admin"], "demo": PROJECTS["demo"]},
                            say=lambda line: None)
        yield Env(config, neutron, client, cloud_agents)
        for agent in cloud_agents.values():
            agent.stop()


@pytest.fixture
def admin(env) -> Caller:
    return env.caller("admin")


@pytest.fixture
def demo(env) -> Caller:
    return env.caller("demo")


@pytest.fixture
def other(env) -> Caller:
    return env.caller("other")
