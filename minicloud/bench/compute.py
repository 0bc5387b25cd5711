"""Nova figures: server create -> ACTIVE latency, 100 servers from 10 concurrent clients
(with the duplicate-IP and orphan-port counts that prove the flow is correct, not only
fast), and the scheduler's decision time with 50 compute hosts."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from minicloud.bench.harness import BenchCloud, percentile, timed
from minicloud.bench.identity import password_auth
from minicloud.compute.scheduler import choose

VERSION = {"OpenStack-API-Version": "compute 2.96"}


class Session:
    """One user's token and the calls the benchmark makes with it."""

    def __init__(self, cloud: BenchCloud, user: str, password: str, project: str):
        self.cloud = cloud
        r = requests.post(cloud.url("identity", "/v3/auth/tokens"),
                          json=password_auth(user, password, project), timeout=30)
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        self.project_id = r.json()["token"]["project"]["id"]
        self.local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
            self.local.http.headers.update({"X-Auth-Token": self.token, **VERSION})
        return self.local.http

    def nova(self, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, self.cloud.url("compute", "/v2.1" + path),
                                 timeout=60, **kw)

    def neutron(self, path: str) -> dict:
        r = self.http.get(self.cloud.url("network", "/v2.0" + path), timeout=60)
        r.raise_for_status()
        return r.json()

    def boot(self, name: str, image: str, flavor: str, network: str) -> dict:
        r = self.nova("POST", "/servers", json={"server": {
            "name": name, "imageRef": image, "flavorRef": flavor,
            "networks": [{"uuid": network}]}})
        r.raise_for_status()
        return self.wait(r.json()["server"]["id"], "ACTIVE")

    def wait(self, server_id: str, status: str | None, timeout: float = 60) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.nova("GET", f"/servers/{server_id}")
            if status is None and r.status_code == 404:
                return None
            server = r.json().get("server", {})
            if server.get("status") == status:
                return server
            if server.get("status") == "ERROR":
                raise RuntimeError(f"server {server_id} went ERROR: {server.get('fault')}")
            time.sleep(0.002)
        raise RuntimeError(f"server {server_id} did not reach {status} in {timeout} s")

    def delete(self, server_id: str) -> None:
        self.nova("DELETE", f"/servers/{server_id}")
        self.wait(server_id, None)


def synthetic_hosts(n: int) -> list[dict]:
    return [{"host": f"compute{i}", "zone": "nova", "up": True, "enabled": True,
             "disabled_reason": None, "hypervisor_type": "fake", "vcpus": 32,
             "memory_mb": 131072, "local_gb": 2000, "cpu_ratio": 16.0, "ram_ratio": 1.5,
             "disk_ratio": 1.0, "vcpus_used": (i * 7) % 32, "memory_mb_used": (i * 4099) % 131072,
             "local_gb_used": (i * 37) % 2000, "instances": i % 9} for i in range(n)]


CREATE = "server create -> ACTIVE (fake driver)"


def prepare(cloud: BenchCloud) -> tuple[Session, Session, str, str]:
    """The admin's and demo's sessions (demo without quota limits), the flavor bench.nano;
    the ids of the cirros image and the private network."""
    admin = Session(cloud, "admin", cloud.config.admin_password, "admin")
    demo = Session(cloud, "demo", cloud.config.demo_password, "demo")
    admin.nova("PUT", f"/os-quota-sets/{demo.project_id}", json={"quota_set": {
        "instances": -1, "cores": -1, "ram": -1}}).raise_for_status()
    admin.nova("POST", "/flavors", json={"flavor": {
        "name": "bench.nano", "id": "bench.nano", "ram": 64, "disk": 1, "vcpus": 1}})
    image = requests.get(cloud.url("image", "/v2/images?name=cirros"), timeout=30, headers={
        "X-Auth-Token": demo.token}).json()["images"][0]["id"]
    network = demo.neutron("/networks?name=private")["networks"][0]["id"]
    return admin, demo, image, network


def create_latency(cloud: BenchCloud, demo: Session, image: str, network: str,
                   n: int = 20, target_p50: str = "<= 100 ms") -> None:
    """n servers booted one after another (after one more to warm up), then deleted."""
    created: list[str] = []

    def one_boot():
        created.append(demo.boot(f"bench-{len(created)}", image, "bench.nano", network)["id"])

    one_boot()  # warm up
    cloud.report_latency(CREATE, timed(one_boot, n), target_p50)
    for server_id in created:
        demo.delete(server_id)


def run(cloud: BenchCloud) -> None:
    admin, demo, image, network = prepare(cloud)
    create_latency(cloud, demo, image, network)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(10) as pool:
        servers = list(pool.map(lambda i: demo.boot(f"many-{i}", image, "bench.nano", network),
                                range(100)))
    cloud.report("100 servers ACTIVE, 10 concurrent clients", time.perf_counter() - t0, "s",
                 "<= 10 s")
    ips = Counter(a["addr"] for s in servers for addrs in s["addresses"].values()
                  for a in addrs)
    cloud.report("  duplicate IPs", sum(n - 1 for n in ips.values() if n > 1), "", "0")
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda s: demo.delete(s["id"]), servers))
    live = {s["id"] for s in admin.nova("GET", "/servers/detail?all_tenants=1").json()["servers"]}
    ports = admin.neutron("/ports?device_owner=compute:nova")["ports"]
    cloud.report("  orphan ports (after deleting them all)",
                 sum(1 for p in ports if p["device_id"] not in live), "", "0")

    hosts = synthetic_hosts(50)
    spec = {"flavor": {"ram": 2048, "disk": 20, "vcpus": 2}, "image": {}}
    samples = timed(lambda: choose(hosts, spec), 500)
    cloud.report("scheduler decision, 50 hosts p50", statistics.median(samples), "ms", "<= 5 ms")
    cloud.report("scheduler decision, 50 hosts p99", percentile(samples, 99), "ms")
