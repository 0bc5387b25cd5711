"""Fixtures for Swift's unit tests: storage nodes on free ports in a temporary directory,
a ring over them, and the proxy's facade (`Swift`) over both; the proxy's operator's
routes reach the nodes' RPC servers over the memory bus (`storage_services`)."""

import pytest

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.config import Config
from minicloud.object import ring as ringmod
from minicloud.object.core import Swift
from minicloud.object.nodes import STORAGE_TOPIC, RingPlacer, StorageAdmin, StorageNodeService
from minicloud.object.proxy import ObjectController
from minicloud.object.replicator import Replicator
from minicloud.object.storage import StorageNode
from minicloud.object.store import ObjectStore
from tests.fakes import free_port


@pytest.fixture
def nodes(tmp_path):
    started = {}
    for i in range(3):
        name = f"storage{i + 1}"
        started[name] = StorageNode(name, tmp_path / name, "127.0.0.1", free_port(),
                                    Tracer(None)).start()
    yield started
    for node in started.values():
        node.stop()


@pytest.fixture
def ring_file(tmp_path, nodes):
    devices = [ringmod.Device(id=i, node=n.name, ip="127.0.0.1", port=n.port, device="sdb1")
               for i, n in enumerate(nodes.values())]
    path = tmp_path / ringmod.RING_FILE
    ringmod.build(devices, part_power=4, replicas=3).save(path)
    return ringmod.RingFile(path)


@pytest.fixture
def transport():
    bus = rpc.get_transport("memory://")
    yield bus
    bus.close()


@pytest.fixture
def storage_services(nodes, transport):
    """Each node's RPC server (topic swift-storage), as a storage node runs it."""
    services = {name: StorageNodeService(node, transport).start() for name, node in nodes.items()}
    yield services
    for service in services.values():
        service.stop()


@pytest.fixture
def swift(tmp_path, nodes, ring_file, transport, storage_services):
    """What the proxy's resources share, as service.py builds it (spool: `proxy-tmp`)."""
    (tmp_path / "proxy-tmp").mkdir()
    client = rpc.RPCClient(transport, STORAGE_TOPIC, timeout=2.0)
    storage = StorageAdmin(client, ring_file, RingPlacer(Config(home=tmp_path), ring_file))
    return Swift(ObjectStore(tmp_path / "object.db"), ObjectController(ring_file, Tracer(None)),
                 Replicator(ring_file), storage, tmp_path / "proxy-tmp")
