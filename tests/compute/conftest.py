"""Fixtures for Nova unit tests: nova-api, conductor, scheduler and two compute hosts
running for real over the memory transport, with Glance and Neutron replaced by small fakes
(tests/compute/fakes.py) and tokens by fixed names (tests/fakes.py: admin, demo, other)."""

from __future__ import annotations

import time

import pytest
from falcon import testing

from minicloud.common import rpc
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore
from minicloud.compute import api as compute_api
from minicloud.compute import core
from minicloud.compute.conductor import ConductorManager
from minicloud.compute.driver import FakeDriver
from minicloud.compute.manager import ComputeHost, ComputeManager, Heartbeat
from minicloud.compute.scheduler import SchedulerManager
from minicloud.compute.store import ComputeStore
from minicloud.config import Config
from minicloud.topology import Topology
from tests.compute.fakes import FakeImages, FakeNetworks
from tests.fakes import fake_validator


class Nova:
    """The service under test and ways to call it and wait on it."""

    def __init__(self, tmp_path, **overrides):
        self.config = Config(home=tmp_path, **{"report_interval": 0.2, "service_down_time": 1.0,
                                               **overrides})
        self.transport = rpc.get_transport("memory://")
        self.tracer = Tracer(TraceStore(tmp_path / "trace.db"))
        self.store = ComputeStore(tmp_path / "compute.db")
        self.images, self.networks = FakeImages(), FakeNetworks()
        self.stoppables = []
        conductor = ConductorManager(self.store, self.transport, self.tracer, self.config)
        # Stopped in reverse: the conductor before the scheduler it calls (see cloud.py).
        for topic, endpoint, service in (("scheduler", SchedulerManager(
                                             self.config.scheduler_weigher, self.tracer),
                                          "nova-scheduler"),
                                         ("conductor", conductor, "nova-conductor"),
                                         ("heartbeat", conductor, "nova-conductor")):
            self.stoppables.append(rpc.RPCServer(self.transport, topic, "controller", [endpoint],
                                                 service=service, tracer=self.tracer).start())
        self.stoppables.append(Heartbeat(self.transport, "nova-scheduler", "controller",
                                         self.config.report_interval).start())
        self.hosts = {}
        topology = Topology.from_config(self.config)
        for host in self.config.compute_hosts:
            driver = FakeDriver(host, self.config.compute_vcpus, self.config.compute_ram_mb,
                                self.config.compute_disk_gb,
                                state_path=self.config.path("compute", host))
            manager = ComputeManager(host, driver, self.transport, self.tracer, self.config,
                                     self.images, self.networks)
            self.hosts[host] = ComputeHost(host, manager, self.transport, self.tracer,
                                           host_ip=topology.node(host).address("management")
                                           ).start()
        self.api = core.Nova(self.config, self.store, self.transport, self.tracer,
                             self.images, self.networks)
        self.client = testing.TestClient(compute_api.create_app(self.api, self.tracer,
                                                                 fake_validator))

    def stop(self):
        for host in self.hosts.values():
            host.stop()
        for part in reversed(self.stoppables):
            part.stop()
        self.transport.close()

    def request(self, method, path, token="demo", json=None, version="2.96", headers=None):
        hdrs = {"X-Auth-Token": token} if token else {}
        if version:
            hdrs["OpenStack-API-Version"] = f"compute {version}"
        hdrs.update(headers or {})
        return self.client.simulate_request(method, "/v2.1" + path, json=json, headers=hdrs)

    def boot(self, name="vm1", token="demo", flavor="1", wait="ACTIVE", **extra):
        body = {"name": name, "imageRef": self.images.cirros["id"], "flavorRef": flavor,
                "networks": [{"uuid": self.networks.private["id"]}], **extra}
        result = self.request("POST", "/servers", token, {"server": body})
        assert result.status_code == 202, result.text
        server_id = result.json["server"]["id"]
        return self.wait(server_id, wait, token) if wait else server_id

    def server(self, server_id, token="admin"):
        return self.request("GET", f"/servers/{server_id}", token).json.get("server")

    def wait(self, server_id, status, token="admin", timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.request("GET", f"/servers/{server_id}", token)
            if status is None and result.status_code == 404:
                return None
            if result.status_code == 200:
                server = result.json["server"]
                if server["status"] == status and server["OS-EXT-STS:task_state"] is None:
                    return server
                if server["status"] == "ERROR" and status != "ERROR":
                    raise AssertionError(f"server went ERROR: {server.get('fault')}")
            time.sleep(0.02)
        raise AssertionError(f"server {server_id} not {status} after {timeout} s: "
                             f"{self.request('GET', f'/servers/{server_id}', token).json}")

    def action(self, server_id, body, token="demo"):
        return self.request("POST", f"/servers/{server_id}/action", token, body)

    def wait_action_done(self, server_id, action, timeout=10.0):
        """Until the instance action has an event (the host reported back)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listed = self.request("GET", f"/servers/{server_id}/os-instance-actions",
                                  "admin").json["instanceActions"]
            found = [a for a in listed if a["action"] == action]
            if found:
                one = self.request("GET", f"/servers/{server_id}/os-instance-actions/"
                                   f"{found[0]['request_id']}", "admin").json["instanceAction"]
                if one["events"]:
                    return one
            time.sleep(0.02)
        raise AssertionError(f"{action} of {server_id} never finished")


@pytest.fixture
def nova(tmp_path):
    service = Nova(tmp_path)
    yield service
    service.stop()
