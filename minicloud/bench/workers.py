"""API workers: token validation with 1 and 4 clients, in one process and with the
processes mode's API workers (api_worker.py), side by side.

One interpreter lock serves every API of the in-process cloud, so 4 clients get about what
1 gets (the issue measured 302/s -> 227/s); in the processes mode Keystone also runs in `Config.api_workers["identity"]` worker
processes on the same port, and 4 clients must get at least 1.5x what 1 gets (real
Keystone under uWSGI: 83/s -> 171/s on the machine where the issue measured it).

Each client is a process of its own (a thread of this one would share its lock and
measure the client), with one keep-alive connection, as a service's keystonemiddleware
keeps one; the kernel hands each connection to one of the port's servers. On a machine of
2 cores the figures depend on what else runs: the load average is printed first.

    python -m minicloud.bench.workers       three clouds: in-process, processes mode
                                            without workers, with the default workers
`run(cloud, label)` measures one running cloud (a BenchCloud) and prints its line.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from minicloud.bench.harness import BenchCloud
from minicloud.bench.identity import password_auth
from minicloud.config import Config, free_port_offset

SECONDS = 4.0  # each measurement
ROUNDS = 3  # the median is shown: the kernel may give two clients to one process
TARGET = 1.5  # 4 clients / 1 client, with API workers


def _client(url: str, token: str, start_at: float, seconds: float) -> int:
    """One client process: validations from `start_at` for `seconds`; how many. It speaks
    http.client, a tenth of a requests call's CPU: on a machine of few cores the clients
    must leave the cores to the servers they measure."""
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}

    def validate() -> None:
        conn.request("GET", where.path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"token validation answered {response.status}")

    validate()  # connect, warm up
    while time.time() < start_at:
        time.sleep(0.005)
    done, end = 0, start_at + seconds
    while time.time() < end:
        validate()
        done += 1
    return done


def validations_per_second(cloud: BenchCloud, clients: int, seconds: float = SECONDS) -> float:
    url = cloud.url("identity", "/v3/auth/tokens")
    body = password_auth("admin", cloud.config.admin_password, "admin")
    response = requests.post(url, json=body, timeout=30)
    response.raise_for_status()
    token = response.headers["X-Subject-Token"]
    start_at = time.time() + 2.0  # every client has started and connected by then
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        counts = pool.starmap(_client, [(url, token, start_at, seconds)] * clients)
    return sum(counts) / seconds


def run(cloud: BenchCloud, label: str, rounds: int = ROUNDS) -> tuple[float, float]:
    """Validations per second with 1 and with 4 clients against `cloud`, the median of
    `rounds` rounds (new clients, so new connections, each round); one line."""
    ones, fours = [], []
    for _ in range(rounds):
        ones.append(validations_per_second(cloud, 1))
        fours.append(validations_per_second(cloud, 4))
    one, four = statistics.median(ones), statistics.median(fours)
    print(f"{label:<44} {one:>8.0f}/s {four:>8.0f}/s {four / one:>6.2f}x   (4 clients: "
          f"{', '.join(f'{f:.0f}' for f in fours)})", flush=True)
    return one, four


class ModeCloud(BenchCloud):
    """A BenchCloud in a given mode with given settings (saved before `minicloud up`)."""

    def __init__(self, home: Path, mode: str, **settings):
        super().__init__(home)
        self.mode, self.settings = mode, settings

    def start(self) -> None:
        Config(home=self.home, **self.settings).save()
        t0 = time.perf_counter()
        self._minicloud("up", "--mode", self.mode, "--port-offset", str(free_port_offset()))
        self.ready_seconds = time.perf_counter() - t0
        self.config = Config.load(self.home)

    def stop(self) -> None:
        super().stop()
        if self.config is not None and self.mode == "processes":
            from minicloud import broker  # the vhost and user `minicloud up` made

            vhost = unquote(urlsplit(self.config.transport_url).path.lstrip("/"))
            try:
                broker.delete(vhost, vhost)
            except broker.BrokerError as exc:
                print(f"(could not delete the vhost {vhost}: {exc})", file=sys.stderr)


def measure(label: str, mode: str, **settings) -> tuple[float, float]:
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-workers-"))
    cloud = ModeCloud(home, mode, **settings)
    try:
        cloud.start()
        return run(cloud, label)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    workers = Config().api_workers
    print("== token validation (GET /v3/auth/tokens), clients in processes of their own ==")
    print(f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the first "
          "cloud: the 4-client figures need the cores free)")
    print(f"{'':<44} {'1 client':>10} {'4 clients':>10} {'4/1':>7}")
    measure("in-process cloud", "in-process")
    measure("processes mode, no API workers", "processes", api_workers={})
    one, four = measure(f"processes mode, {workers.get('identity', 0)} Keystone workers + "
                        "launcher", "processes")
    verdict = "met" if four >= TARGET * one else "NOT met"
    print(f"target with API workers: 4 clients >= {TARGET}x 1 client: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
