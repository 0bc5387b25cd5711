"""The file backend (sparse files, sparse copies) and cinder-scheduler's choice."""

import pytest

from minicloud.volume.backend import GiB, FileBackend
from minicloud.volume.scheduler import NoValidBackend, SchedulerManager


def test_sparse_volume_snapshot_and_extend(tmp_path):
    backend = FileBackend(tmp_path, capacity_gb=10, address="10.0.0.41")
    path = backend.create("v1", 2)
    assert path.stat().st_size == 2 * GiB and path.stat().st_blocks == 0
    with open(path, "r+b") as f:
        f.seek(GiB)
        f.write(b"middle")
    backend.create_snapshot("s1", "v1", 2)
    snap = backend.snapshot_path("s1")
    assert snap.stat().st_size == 2 * GiB and snap.stat().st_blocks < 1024  # holes stay holes
    with open(snap, "rb") as f:
        f.seek(GiB)
        assert f.read(6) == b"middle"
    backend.extend("v1", 3)
    assert path.stat().st_size == 3 * GiB
    assert backend.capabilities()["free_capacity_gb"] == 5
    info = backend.connection_info("v1")
    assert info["driver_volume_type"] == "nfs"
    assert backend.capabilities()["storage_protocol"] == "nfs"
    assert info["data"]["export"] == f"10.0.0.41:{tmp_path}"
    assert tmp_path / info["data"]["name"] == path
    backend.delete("v1")
    backend.delete_snapshot("s1")
    assert list(tmp_path.iterdir()) == []


def test_image_larger_than_volume_fails(tmp_path):
    backend = FileBackend(tmp_path, address="10.0.0.41")
    with pytest.raises(ValueError):
        backend.create_from_image("v1", 1, iter([b"x" * (GiB // 2), b"x" * (GiB // 2 + 1)]))


def test_scheduler_filters_and_weighs_by_free_space():
    scheduler = SchedulerManager(transport=None)
    scheduler.update_service_capabilities(None, "storage1@file", {"free_capacity_gb": 10})
    scheduler.update_service_capabilities(None, "storage2@file", {"free_capacity_gb": 30})
    assert scheduler.select(5) == "storage2@file"  # most free space
    assert scheduler.select(20) == "storage2@file"
    assert scheduler.select(8) == "storage1@file"  # storage2 has 5 left now
    with pytest.raises(NoValidBackend):
        scheduler.select(50)
    assert scheduler.select(1, source_host="storage2@file#file") == "storage2@file"
