"""Neutron figures: 200 ports created by 10 concurrent clients on one network (the IPAM
path, serialised per allocation), and whether any address was handed out twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from minicloud.bench.identity import password_auth

PORTS, CLIENTS = 200, 10


def _token(cloud) -> str:
    response = cloud.http.post(cloud.url("identity", "/v3/auth/tokens"), timeout=30,
                               json=password_auth("demo", cloud.config.demo_password, "demo"))
    response.raise_for_status()
    return response.headers["X-Subject-Token"]


def run(cloud) -> None:
    headers = {"X-Auth-Token": _token(cloud)}
    base = cloud.url("network", "/v2.0")
    net = cloud.http.post(f"{base}/networks", headers=headers, timeout=30,
                          json={"network": {"name": "bench-net"}}).json()["network"]
    cloud.http.post(f"{base}/subnets", headers=headers, timeout=30, json={"subnet": {
        "network_id": net["id"], "cidr": "10.99.0.0/24", "ip_version": 4}}).raise_for_status()
    local = threading.local()

    def create(i: int) -> str:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{base}/ports", headers=headers, timeout=60,
                                json={"port": {"network_id": net["id"], "name": f"b{i}"}})
        response.raise_for_status()
        return response.json()["port"]["fixed_ips"][0]["ip_address"]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        addresses = list(pool.map(create, range(PORTS)))
    seconds = time.perf_counter() - t0
    cloud.report(f"{PORTS} ports, {CLIENTS} concurrent clients", seconds, "s", "<= 5 s")
    cloud.report("duplicate IPs", len(addresses) - len(set(addresses)), "", "0")
