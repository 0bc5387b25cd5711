"""Probe: stop one of Neutron's agents in a running cloud and watch `openstack network
agent list` show it dead once its heartbeats are older than `agent_down_time`.

The cloud runs in this process (so the test can reach `cloud.agents`) with fast
heartbeats, and is driven by the real CLI.
"""

import time

import pytest

from minicloud import clientconfig
from minicloud.cloud import Cloud
from minicloud.config import Config
from tests.livecloud import LiveCloud, free_port_offset


@pytest.fixture
def fast_cloud(tmp_path):
    config = Config(home=tmp_path, port_offset=free_port_offset(), scrypt_n=2**10,
                    agent_report_interval=0.2, agent_down_time=1.5)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    clientconfig.write(config, user_config=False)
    live = LiveCloud(tmp_path)
    live.config = config
    yield cloud, live
    cloud.stop()


def _alive(live) -> dict:
    rows = live.cli_json("network", "agent", "list", cloud="minicloud-admin")
    return {(r["Host"], r["Agent Type"]): r["Alive"] in (True, ":-)") for r in rows}


def test_stopped_bridge_agent_turns_xxx(fast_cloud):
    cloud, live = fast_cloud
    assert all(_alive(live).values())
    cloud.agents["compute2-bridge"].stop()
    stopped = time.monotonic()
    deadline = stopped + 15
    while time.monotonic() < deadline and _alive(live)[("compute2", "Linux bridge agent")]:
        time.sleep(0.2)
    alive = _alive(live)
    assert not alive[("compute2", "Linux bridge agent")]
    assert time.monotonic() - stopped >= 1.0  # not before agent_down_time (minus a beat)
    assert all(v for k, v in alive.items() if k != ("compute2", "Linux bridge agent"))
    table = live.cli("network", "agent", "list", cloud="minicloud-admin").stdout
    assert "XXX" in table
