"""Claims hold across conductors: two conductors with their own connections to compute.db
(as two processes would have) and many threads each never put more on a host than it has
room for, because the room is checked and taken in one database transaction."""

from __future__ import annotations

import concurrent.futures

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.compute.conductor import ConductorManager
from minicloud.compute.store import ComputeStore
from minicloud.config import Config

FLAVOR = {"vcpus": 1, "ram": 512, "disk": 1}


def test_two_conductors_never_overcommit_a_host(tmp_path):
    config = Config(home=tmp_path, ram_allocation_ratio=1.0, cpu_allocation_ratio=1.0)
    transport = rpc.get_transport("memory://")
    conductors = [ConductorManager(ComputeStore(tmp_path / "compute.db"), transport, Tracer(),
                                   config) for _ in range(2)]
    # room for exactly 5 of FLAVOR: 5 vCPUs, 2560 MB
    conductors[0].compute_node_update(None, "compute1", {
        "vcpus": 5, "memory_mb": 2560, "local_gb": 100}, "fake", "10.0.0.31")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: conductors[i % 2]._claim(f"vm-{i}", "compute1",
                                                                    FLAVOR), range(40)))
    assert results.count(True) == 5
    used = conductors[1].store.used()["compute1"]
    assert (used["instances"], used["vcpus"], used["memory_mb"]) == (5, 5, 2560)
    transport.close()


def test_two_nova_apis_never_pass_a_quota_together(nova):
    """Two nova-apis with their own connections: the second creates its server while the
    first has counted the project's servers but not yet written its own (the race, made
    certain by running the second inside the first's count). The first's quota recheck,
    after its row is written, finds the project over its limit: 403, and its row is gone."""
    from falcon import testing

    from minicloud.compute import api as compute_api
    from minicloud.compute.core import Nova
    from tests.fakes import fake_validator

    other = Nova(nova.config, ComputeStore(nova.config.path("compute.db")), nova.transport,
                 nova.tracer, nova.images, nova.networks)
    second = testing.TestClient(compute_api.create_app(other, nova.tracer, fake_validator))
    nova.store.set_quota_limit("p-demo", "instances", 1)
    body = {"server": {"name": "q", "imageRef": nova.images.cirros["id"], "flavorRef": "1",
                       "networks": "none"}}
    headers = {"X-Auth-Token": "demo", "OpenStack-API-Version": "compute 2.96"}
    codes, counted = [], nova.store.usage

    def usage(project_id):
        used = counted(project_id)
        if not codes:  # the first nova-api has counted: the second one runs now
            codes.append(second.simulate_post("/v2.1/servers", json=body,
                                              headers=headers).status_code)
        return used

    nova.store.usage = usage
    codes.append(nova.client.simulate_post("/v2.1/servers", json=body,
                                           headers=headers).status_code)
    assert codes == [202, 403]
    assert counted("p-demo")["instances"] == 1
