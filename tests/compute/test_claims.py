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
