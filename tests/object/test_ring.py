"""The ring: placement is deterministic, balanced by weight, one replica per node."""

import pytest

from minicloud.object import ring as ringmod
from minicloud.object.ring import Device, build, hash_path


def devices(weights):
    return [Device(id=i, node=f"storage{i + 1}", ip="127.0.0.1", port=6200 + i, device="sdb1",
                   weight=w) for i, w in enumerate(weights)]


def test_three_devices_three_replicas_every_partition_on_every_node():
    ring = build(devices([100, 100, 100]), part_power=6, replicas=3)
    for part in range(ring.partitions):
        assert sorted(d.node for d in ring.part_devices(part)) == ["storage1", "storage2",
                                                                   "storage3"]


def test_partitions_follow_the_weights():
    ring = build(devices([100, 100, 200, 200]), part_power=8, replicas=2)
    counts = ring.parts_per_device()
    assert counts[2] == pytest.approx(2 * counts[0], rel=0.05)
    assert sum(counts.values()) == 256 * 2
    for part in range(ring.partitions):
        assert len({d.id for d in ring.part_devices(part)}) == 2  # never twice on one device


def test_partition_is_the_top_bits_of_the_path_hash():
    ring = build(devices([1, 1, 1]), part_power=8, hash_suffix="s3cret")
    part, h, devs = ring.get_nodes("AUTH_p", "c", "o")
    assert h == hash_path("AUTH_p", "c", "o", suffix="s3cret")
    assert part == int(h[:2], 16)  # 8 bits = the first two hex digits
    assert len(devs) == 3
    assert ring.get_nodes("AUTH_p", "c", "o") == (part, h, devs)  # deterministic


def test_the_suffix_changes_placement():
    a = hash_path("AUTH_p", "c", "o", suffix="one")
    b = hash_path("AUTH_p", "c", "o", suffix="two")
    assert a != b


def test_ring_file_round_trip_and_reload(tmp_path):
    path = tmp_path / ringmod.RING_FILE
    ring = build(devices([1, 1, 1]), part_power=3)
    ring.save(path)
    loaded = ringmod.Ring.load(path)
    assert loaded.replica2part2dev == ring.replica2part2dev
    assert loaded.hash_suffix == ring.hash_suffix
    watched = ringmod.RingFile(path, check_every=0)
    build(devices([1, 1, 1]), part_power=5).save(path)
    assert watched.get().part_power == 5


def test_describe_shows_each_device_share():
    text = ringmod.describe(build(devices([100, 100, 100]), part_power=4))
    assert "16 partitions" in text and "3 replicas" in text
    assert text.count("storage") == 3


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        build([], part_power=4)
    with pytest.raises(ValueError):
        build(devices([1]), part_power=0)
