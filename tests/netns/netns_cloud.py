"""A module's netns cloud: `minicloud up --mode netns` with a fabric prefix of its own."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from minicloud import broker
from minicloud.config import Config
from minicloud.netns.fabric import Fabric
from minicloud.topology import Topology
from tests.livecloud import LiveCloud


def netns_cloud(home, prefix: str):
    """For a module fixture that also holds `plan_networks`: yields the cloud, then takes
    it down, with what is left of its fabric if a test failed early, and its vhost."""
    Config(home=home, netns_prefix=prefix, scrypt_n=2**10).save()
    cloud = LiveCloud(home)
    cloud.up("--mode", "netns", "--no-user-config")
    vhost = unquote(urlsplit(cloud.config.transport_url).path.lstrip("/"))
    yield cloud
    cloud.down()
    Fabric(Topology.from_config(cloud.config), prefix).teardown()
    broker.delete(vhost, vhost)
