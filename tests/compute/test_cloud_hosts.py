"""The in-process cloud's compute hosts: `cloud.compute_hosts["compute2"].stop()` takes a
host off the bus; its heartbeats stop, and after `service_down_time` it is down."""

import time

import requests

from minicloud.bench.identity import password_auth
from minicloud.cloud import Cloud
from minicloud.config import Config
from tests.livecloud import free_port_offset


def test_stopping_a_compute_host_makes_it_down(tmp_path):
    config = Config(home=tmp_path, port_offset=free_port_offset(), report_interval=0.2,
                    service_down_time=1.0)
    cloud = Cloud(config, say=lambda line: None)
    cloud.start()
    try:
        r = requests.post(config.auth_url + "/auth/tokens", timeout=30,
                          json=password_auth("admin", config.admin_password, "admin"))
        headers = {"X-Auth-Token": r.headers["X-Subject-Token"],
                   "OpenStack-API-Version": "compute 2.96"}
        url = config.base_url("compute") + "/v2.1/os-services?binary=nova-compute"

        def states():
            services = requests.get(url, headers=headers, timeout=30).json()["services"]
            return {s["host"]: s["state"] for s in services}

        assert states() == {"compute1": "up", "compute2": "up"}
        cloud.compute_hosts["compute2"].stop()
        time.sleep(1.5)
        assert states() == {"compute1": "up", "compute2": "down"}
    finally:
        cloud.stop()
