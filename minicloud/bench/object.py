"""Swift figures: small-object PUT and GET requests per second (1 and 10 clients, each PUT
stored on 3 replicas), and 1 MiB object PUT/GET throughput.

Each client thread has its own keep-alive connection and speaks http.client (as
workers.py's clients do): a requests call costs about as much CPU as the proxy's own work
on a small object, and on a machine of 2 cores the clients must leave the cores to the
servers they measure. The token is the demo user's (its own account), validated by
Keystone once and then cached by the proxy.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import threading
import time
from urllib.parse import urlsplit

from minicloud.bench.harness import BenchCloud, rate
from minicloud.bench.identity import password_auth

SMALL = 4 * 1024
MiB = 1024 * 1024
BIG_PUT = "swift 1 MiB object PUT (3 replicas)"
BIG_GET = "swift 1 MiB object GET"

# Real Swift's figures for the same figures (names as small_put/small_get below make them),
# for the "N x real Swift" targets: Swift 2.38.0 (eventlet 0.41.3, Python 3.11)
# measured on this machine on 2026-12-04 at 01:20-01:27 (load average 1.3-3.3 on 2 CPUs,
# shared with other work) by `python -m minicloud.bench.real_swift` with this file's `run`
# and its http.client client: proxy (tempauth, dict cache), account, container and 3
# object servers in one process, no workers, object ring of 3 replicas on 3 devices;
# medians of 6 rounds (rounds ranged 38-64, 142-313, 50-57, 218-303 req/s, 31-42,
# 96-137 MB/s; 12 rounds over 20 minutes with load averages up to 10 gave medians of
# 51.0, 210.6, 50.5, 248.5 req/s, 37.6, 108.9 MB/s). Swift fsyncs every object it stores,
# minicloud does not. Earlier (2026-12-03 22:31): 47.8, 180.9, 50.4, 210.5 req/s,
# 33.1, 104.3 MB/s.
REAL_SWIFT: dict[str, float] = {
    "swift 4 KiB PUT, 1 client(s), 3 replicas": 51.5,
    "swift 4 KiB GET, 1 client(s)": 206.6,
    "swift 4 KiB PUT, 10 client(s), 3 replicas": 52.8,
    "swift 4 KiB GET, 10 client(s)": 257.1,
    BIG_PUT: 37.6,
    BIG_GET: 117.2,
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


class Client:
    """One keep-alive connection to the proxy; a connection the proxy closed is opened
    again once."""

    def __init__(self, url: str, headers: dict):
        where = urlsplit(url)
        self.host, self.port, self.path, self.headers = where.hostname, where.port, \
            where.path, headers
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method: str, name: str, body: bytes | None = None) -> tuple[int, bytes]:
        for retry in (False, True):
            try:
                self.conn.request(method, f"{self.path}/{name}", body=body,
                                  headers=self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                if retry:
                    raise
        raise AssertionError("unreachable")


def _throughput(client: Client, body: bytes, rounds: int) -> tuple[float, float]:
    """MB/s of `rounds` sequential PUTs of `body`, then of as many GETs."""
    t0 = time.perf_counter()
    for i in range(rounds):
        status, _ = client.call("PUT", f"big{i}", body)
        assert status == 201, status
    put = rounds * len(body) / 1e6 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(rounds):
        status, data = client.call("GET", f"big{i}")
        assert status == 200 and len(data) == len(body), status
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

    def client() -> Client:
        if not hasattr(local, "client"):
            local.client = Client(url, headers)
        return local.client

    def put():
        status, _ = client().call("PUT", f"o{next(counter) % 500}", body)
        assert status == 201, status

    def get():
        status, data = client().call("GET", f"o{next(counter) % 500}")
        assert status == 200 and len(data) == SMALL, status

    rate(put, 500, 10)  # warm up: every object exists, connections are open
    for clients, n in ((1, 300), (10, 1500)):
        target_put = ">= 300 /s" if clients == 10 else ""
        target_get = ">= 500 /s" if clients == 10 else ""
        cloud.report(small_put(clients), rate(put, n, clients), "req/s", target_put)
        cloud.report(small_get(clients), rate(get, n, clients), "req/s", target_get)
    put_mbs, get_mbs = _throughput(Client(url, headers), body * (MiB // SMALL), 30)
    cloud.report(BIG_PUT, put_mbs, "MB/s")
    cloud.report(BIG_GET, get_mbs, "MB/s")
