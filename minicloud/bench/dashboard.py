"""Dashboard figures: how long the Instances page takes with 50 servers and the Network
Topology page (p50 of page renders through HTTP, each page's API calls included), and the
memory of the cloud's process once the dashboard has served them, and the dashboard's own
share (its modules and app, measured in a fresh interpreter).

    python -m minicloud.bench.dashboard     (alone, on a fresh cloud)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from minicloud.bench import compute
from minicloud.bench.harness import BenchCloud, timed

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in(cloud: BenchCloud) -> requests.Session:
    """A browser's session: the login form's cookie and CSRF token, then the POST."""
    http = requests.Session()
    url = cloud.url("dashboard", "/auth/login")
    token = CSRF.search(http.get(url, timeout=30).text).group(1)
    r = http.post(url, timeout=30, data={"csrf_token": token, "username": "demo",
                                         "password": cloud.config.demo_password})
    r.raise_for_status()
    return http


def page_ms(cloud: BenchCloud, http: requests.Session, path: str, n: int = 30) -> list[float]:
    def one():
        r = http.get(cloud.url("dashboard", path), timeout=60)
        r.raise_for_status()

    one()  # warm up
    return timed(one, n)


# The dashboard's own share of the controller's memory: what importing it and building its
# app adds to an interpreter that has the rest of minicloud's common modules.
OWN_MEMORY = """
import resource, sys
from minicloud.common import wsgi, trace_store  # what every service has loaded anyway
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from minicloud.config import Config
from minicloud.dashboard.app import create_app
app = create_app(Config(home=sys.argv[1]), trace_store.TraceStore(sys.argv[1] + "/t.db"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def own_memory_mb() -> float:
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run([sys.executable, "-c", OWN_MEMORY, home], capture_output=True,
                             text=True, check=True).stdout
    return int(out) / 1024


def run(cloud: BenchCloud) -> None:
    admin, demo, image, network = compute.prepare(cloud)
    with ThreadPoolExecutor(10) as pool:
        servers = list(pool.map(lambda i: demo.boot(f"page-{i}", image, "bench.nano", network),
                                range(50)))
    http = log_in(cloud)
    cloud.report_latency("dashboard: Instances page, 50 servers",
                         page_ms(cloud, http, "/project/instances"), "<= 200 ms")
    cloud.report_latency("dashboard: Network Topology page, 50 servers",
                         page_ms(cloud, http, "/project/network_topology"), "<= 200 ms")
    cloud.report("dashboard: cloud process RSS after the pages", cloud.rss_mb(), "MB")
    cloud.report("dashboard: its own modules and app (a fresh interpreter)", own_memory_mb(), "MB")
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda s: demo.delete(s["id"]), servers))


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-dashboard-"))
    cloud = BenchCloud(home)
    try:
        cloud.start()
        cloud.report("cloud process RSS before the dashboard is used", cloud.rss_mb(), "MB")
        run(cloud)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
