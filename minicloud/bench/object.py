"""Swift figures: small-object PUT and GET requests per second (1 and 10 clients, each PUT
stored on 3 replicas), and 1 MiB object PUT/GET throughput.

Each client thread has its own keep-alive connection; the token is the demo user's (its
own account), validated by Keystone once and then cached by the proxy.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time

import requests

from minicloud.bench.harness import BenchCloud, rate
from minicloud.bench.identity import password_auth

SMALL = 4 * 1024
MiB = 1024 * 1024
BIG_PUT = "swift 1 MiB object PUT (3 replicas)"
BIG_GET = "swift 1 MiB object GET"

# Real Swift's figures for the same figures (names as small_put/small_get below make them),
# for the "N x real Swift" targets: Swift 2.38.0 (eventlet 0.41.3, Python 3.11)
# measured on this machine on 2026-12-03 by `python -m minicloud.bench.real_swift` with
# this file's `run`: proxy (tempauth, dict cache), account, container and 3 object
# servers in one process, no workers, object ring of 3 replicas on 3 devices. Medians of
# 6 rounds (two runs of 3, whose own medians were 29.1/107.9/45.6/121.4/18.9/49.8 and
# 48.4/158.3/49.3/149.4/32.0/74.9): the machine was shared, load average 3.7-5.7 on 2
# CPUs. Swift fsyncs every object it stores, minicloud does not. (`--split`, one process
# per server, gave 29.1, 104.5, 48.1, 172.3 req/s, 23.5, 59.5 MB/s at load 5.9-8.9.)
REAL_SWIFT: dict[str, float] = {
    "swift 4 KiB PUT, 1 client(s), 3 replicas": 42.8,
    "swift 4 KiB GET, 1 client(s)": 120.4,
    "swift 4 KiB PUT, 10 client(s), 3 replicas": 46.6,
    "swift 4 KiB GET, 10 client(s)": 135.4,
    BIG_PUT: 26.5,
    BIG_GET: 51.7,
}


def small_put(clients: int) -> str:
    return f"swift 4 KiB PUT, {clients} client(s), 3 replicas"


def small_get(clients: int) -> str:
    return f"swift 4 KiB GET, {clients} client(s)"


def _token(cloud: BenchCloud) -> tuple[str, str]:
    r = cloud.http.post(cloud.url("identity", "/v3/auth/tokens"), timeout=30,
                        json=password_auth("demo", cloud.config.demo_password, "demo"))
    r.raise_for_status()
    project = r.json()["token"]["project"]["id"]
    return r.headers["X-Subject-Token"], cloud.url("object", f"/v1/AUTH_{project}")


def _throughput(session, url: str, headers: dict, body: bytes, rounds: int) -> tuple[float, float]:
    """MB/s of `rounds` sequential PUTs of `body`, then of as many GETs."""
    t0 = time.perf_counter()
    for i in range(rounds):
        session.put(f"{url}/big{i}", data=body, headers=headers, timeout=60).raise_for_status()
    put = rounds * len(body) / 1e6 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(rounds):
        r = session.get(f"{url}/big{i}", headers=headers, timeout=60)
        assert r.status_code == 200 and len(r.content) == len(body)
    get = rounds * len(body) / 1e6 / (time.perf_counter() - t0)
    return put, get


def run(cloud: BenchCloud) -> None:
    token, account = _token(cloud)
    headers = {"X-Auth-Token": token}
    url = f"{account}/bench"
    cloud.http.put(url, headers=headers, timeout=30).raise_for_status()
    body = hashlib.shake_256(b"swift bench").digest(SMALL)
    local = threading.local()
    counter = itertools.count()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    def put():
        r = session().put(f"{url}/o{next(counter) % 500}", data=body, headers=headers,
                          timeout=30)
        assert r.status_code == 201, r.status_code

    def get():
        r = session().get(f"{url}/o{next(counter) % 500}", headers=headers, timeout=30)
        assert r.status_code == 200 and len(r.content) == SMALL, r.status_code

    rate(put, 500, 10)  # warm up: every object exists, connections are open
    for clients, n in ((1, 300), (10, 1500)):
        target_put = ">= 300 /s" if clients == 10 else ""
        target_get = ">= 500 /s" if clients == 10 else ""
        cloud.report(small_put(clients), rate(put, n, clients), "req/s", target_put)
        cloud.report(small_get(clients), rate(get, n, clients), "req/s", target_get)
    put_mbs, get_mbs = _throughput(cloud.http, url, headers, body * (MiB // SMALL), 30)
    cloud.report(BIG_PUT, put_mbs, "MB/s")
    cloud.report(BIG_GET, get_mbs, "MB/s")
