"""Probe: lose a storage node while the `swift` CLI writes, keep reading and writing on
the two left, replace the node's disk, replicate, and count three replicas again.

The cloud runs in this process (so the test can reach `cloud.storage_nodes` and count
files on each node's disk) with the periodic replicator off; `minicloud swift ...` and
the `swift` CLI drive it from outside, as a learner would.
"""

import pytest

from minicloud import clientconfig
from minicloud.cloud import Cloud
from minicloud.config import Config
from tests.livecloud import LiveCloud, free_port_offset, minicloud, swift


@pytest.fixture
def swift_cloud(tmp_path):
    config = Config(home=tmp_path / "cloud", port_offset=free_port_offset(), scrypt_n=2**10,
                    replicator_interval=0, swift_part_power=6)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    clientconfig.write(config, user_config=False)
    live = LiveCloud(config.home)
    live.config = config
    yield cloud, live
    cloud.stop()


def files_per_node(cloud) -> dict:
    return {name: node.object_files() for name, node in cloud.storage_nodes.items()}


def test_a_lost_node_is_restored_to_three_replicas(swift_cloud, tmp_path):
    cloud, live = swift_cloud
    src = tmp_path / "src"
    src.mkdir()
    for i in range(30):
        (src / f"obj{i:02}").write_bytes(b"%d" % i * (i + 1))
    swift(live, "upload", "probe", *[f"obj{i:02}" for i in range(15)], cwd=src)
    assert files_per_node(cloud) == {"storage1": 15, "storage2": 15, "storage3": 15}

    result = minicloud("swift", "stop-node", "storage2", home=live.home)
    assert result.returncode == 0 and "STOPPED" in result.stdout, result.stderr
    swift(live, "upload", "probe", *[f"obj{i:02}" for i in range(15, 30)], cwd=src)  # quorum
    swift(live, "delete", "probe", "obj00")
    assert swift(live, "list", "probe").stdout.split() == [f"obj{i:02}" for i in range(1, 30)]
    down = tmp_path / "down"
    down.mkdir()
    swift(live, "download", "probe", cwd=down)  # every read succeeds on the two left
    for i in range(1, 30):
        assert (down / f"obj{i:02}").read_bytes() == (src / f"obj{i:02}").read_bytes()

    cloud.storage_nodes["storage2"].wipe()  # its disk is replaced by an empty one
    assert minicloud("swift", "start-node", "storage2", home=live.home).returncode == 0
    assert files_per_node(cloud)["storage2"] == 0
    result = minicloud("swift", "replicate", home=live.home)
    assert result.returncode == 0, result.stderr
    assert "29 objects and 1 tombstones copied" in result.stdout
    assert files_per_node(cloud) == {"storage1": 29, "storage2": 29, "storage3": 29}

    for other in ("storage1", "storage3"):  # storage2 alone now serves every object
        cloud.storage_nodes[other].stop()
    again = tmp_path / "again"
    again.mkdir()
    swift(live, "download", "probe", cwd=again)
    assert sorted(p.name for p in again.iterdir()) == [f"obj{i:02}" for i in range(1, 30)]
    assert minicloud("swift", "replicate", home=live.home).returncode == 0
