"""`minicloud check` finds each kind of inconsistency it names, and nothing in a clean
data directory. The damage is written straight into the services' SQLite files, as a
crash or a bug would leave it (the tests/probe crash test shows a real crash leaves none)."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from minicloud import check
from minicloud.compute.store import ComputeStore
from minicloud.config import Config
from minicloud.image.store import ImageStore
from minicloud.network.store import NetworkStore
from minicloud.volume.store import VolumeStore

LONG_AGO = time.time() - 3600
STAMP = "2026-01-01T00:00:00Z"


@pytest.fixture
def config(tmp_path) -> Config:
    config = Config(home=tmp_path)
    for store in (ComputeStore, NetworkStore, VolumeStore, ImageStore):  # the schemas
        store(config.path(f"{store.__module__.split('.')[1]}.db")).close()
    return config


def write(config: Config, service: str, sql: str, params=()) -> None:
    conn = sqlite3.connect(config.path(f"{service}.db"))
    with conn:
        conn.execute(sql, params)
    conn.close()  # the last connection out checkpoints the log: before the check, not during


def add_server(config: Config, server_id: str, vm_state="active", task_state=None,
               ports=()) -> None:
    write(config, "compute", "INSERT INTO instances (id, seq, name, project_id, user_id, "
          "flavor, vm_state, task_state, network_info, created, updated) VALUES "
          "(?, 1, ?, 'p', 'u', '{}', ?, ?, ?, ?, ?)",
          (server_id, f"vm-{server_id}", vm_state, task_state,
           json.dumps([{"id": p} for p in ports]), LONG_AGO, LONG_AGO))


def problems(config: Config) -> dict[str, list[str]]:
    checker = check.Checker(config, started=time.time())
    try:
        return checker.run()
    finally:
        checker.close()


def test_a_clean_cloud_is_consistent(config):
    add_server(config, "s1")
    assert all(not found for found in problems(config).values()), problems(config)
    assert check.run(config, started=None, say=lambda line: None) == 0


def test_a_server_stuck_half_way_is_found(config):
    add_server(config, "s1", vm_state="building", task_state="spawning")
    assert any("server s1" in p and "stuck" in p for p in problems(config)["servers"])


def test_ports_and_servers_that_do_not_know_each_other_are_found(config):
    add_server(config, "s1", ports=["gone-port"])
    write(config, "network", "INSERT INTO ports (id, network_id, mac_address, device_id, "
          "device_owner, created_at, updated_at) VALUES ('p1', 'n1', 'fa:16:3e:00:00:01', "
          "'gone-server', 'compute:nova', ?, ?)", (STAMP, STAMP))
    write(config, "network", "PRAGMA foreign_keys=OFF")  # the network row is not needed
    found = problems(config)["ports"]
    assert any("port p1" in p and "gone-server" in p for p in found), found
    assert any("server s1 lists port gone-port" in p for p in found), found


def test_resources_held_for_a_missing_server_are_found(config):
    write(config, "compute", "INSERT INTO allocations VALUES ('gone', 'compute1', 1, 512, 1)")
    assert any("compute1" in p and "gone" in p for p in problems(config)["allocations"])


def test_volumes_stuck_or_attached_to_missing_servers_are_found(config):
    add_server(config, "s1")
    write(config, "volume", "INSERT INTO volumes (id, project_id, size, status, created_at) "
          "VALUES ('v1', 'p', 1, 'creating', ?)", (STAMP,))
    write(config, "volume", "INSERT INTO attachments (id, volume_id, project_id, "
          "instance_uuid, attach_status, created_at) VALUES ('a1', 'v1', 'p', 'gone', "
          "'attached', ?)", (STAMP,))
    write(config, "compute", "INSERT INTO block_device_mappings (uuid, instance_id, volume_id, "
          "device_name) VALUES ('b1', 's1', 'no-such-volume', '/dev/vdb')")
    found = problems(config)["volumes"]
    assert any("volume v1 is stuck in creating" in p for p in found), found
    assert any("attached to server gone" in p for p in found), found
    assert any("maps volume no-such-volume" in p for p in found), found


def test_an_image_without_its_bytes_is_found(config):
    write(config, "image", "INSERT INTO images (id, status, visibility, size, created_at, "
          "updated_at) VALUES ('i1', 'active', 'public', 10, ?, ?)", (STAMP, STAMP))
    assert problems(config)["images"] == ["image i1's data file is missing"]
    config.path("images").mkdir()
    config.path("images", "i1").write_bytes(b"12345")
    assert problems(config)["images"] == ["image i1 holds 5 bytes, not the 10 it records"]


def test_a_damaged_database_is_reported_not_raised(config):
    for leftover in config.home.glob("volume.db-*"):  # the log would still hold the pages
        leftover.unlink()
    config.path("volume.db").write_bytes(b"this is not a database" * 100)
    found = problems(config)["databases"]
    assert any("volume.db" in p for p in found), found
    assert check.run(config, started=None, say=lambda line: None) == 1


def test_check_writes_nothing(config):
    add_server(config, "s1")
    before = {p.name: p.stat().st_mtime_ns for p in config.home.glob("*.db")}
    problems(config)
    assert {p.name: p.stat().st_mtime_ns for p in config.home.glob("*.db")} == before
    assert not config.path("identity.db").exists()  # a missing database stays missing
