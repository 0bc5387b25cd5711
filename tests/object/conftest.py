"""Fixtures for Swift's unit tests: storage nodes on free ports in a temporary directory,
and a ring over them."""

import socket

import pytest

from minicloud.common.trace import Tracer
from minicloud.object import ring as ringmod
from minicloud.object.storage import StorageNode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
