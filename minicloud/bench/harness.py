"""What every benchmark needs: a fresh cloud started by the real `minicloud up`, timing
helpers, and one way to print a figure (each figure is also kept in `figures`, so that
processes.py can print the two modes side by side)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from minicloud.config import Config, free_port_offset


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, n: int) -> list[float]:
    """Milliseconds of n sequential calls."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def rate(fn, n: int, clients: int) -> float:
    """Calls per second of n calls spread over `clients` threads."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda _: fn(), range(n)))
    return n / (time.perf_counter() - t0)


class BenchCloud:
    mode = "in-process"

    def __init__(self, home: Path, quiet: bool = False):
        self.home = home
        self.config: Config | None = None
        self.ready_seconds = 0.0
        self.up_output = ""
        self.pid = 0
        self.http = requests.Session()
        self.quiet = quiet  # keep the figures without printing them
        self.figures: dict[str, float] = {}

    def _minicloud(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "minicloud", "--home", str(self.home), *args],
                              capture_output=True, text=True, check=True)

    def start(self, *up_args: str) -> None:
        t0 = time.perf_counter()
        self.up_output = self._minicloud("up", "--port-offset", str(free_port_offset()),
                                         *up_args).stdout
        self.ready_seconds = time.perf_counter() - t0
        self.config = Config.load(self.home)
        self.pid = int((self.home / "minicloud.pid").read_text())

    def stop(self) -> None:
        if self.config is not None:
            self._minicloud("down")

    def pids(self) -> set[int]:
        """The cloud's processes (one in the in-process mode)."""
        return {self.pid}

    def rss_mb(self) -> float:
        """Summed over the cloud's processes (pages they share are counted in each)."""
        return sum(rss_kib(pid) for pid in self.pids()) / 1024

    def pss_mb(self) -> float:
        """As rss_mb, with each shared page split between the processes that share it."""
        return sum(pss_kib(pid) for pid in self.pids()) / 1024

    def url(self, service: str, path: str) -> str:
        return self.config.base_url(service) + path

    def report(self, name: str, value: float, unit: str, target: str = "") -> None:
        self.figures[name] = value
        if not self.quiet:
            print(f"{name:<48} {shown(value):>10} {unit:<6}" +
                  (f" (target {target})" if target else ""), flush=True)

    def report_latency(self, name: str, samples: list[float], target_p50: str = "") -> None:
        self.report(f"{name} p50", statistics.median(samples), "ms", target_p50)
        self.figures[f"{name} p90"] = percentile(samples, 90)  # for the side by side
        self.report(f"{name} p99", percentile(samples, 99), "ms")


def shown(value: float) -> str:
    return (str(value) if isinstance(value, int) else
            f"{value:.3f}" if value < 10 else f"{value:.1f}")


def rss_kib(pid: int) -> int:
    """VmRSS of a process; 0 for one that has gone."""
    return _proc_kib(pid, "status", "VmRSS:")


def pss_kib(pid: int) -> int:
    return _proc_kib(pid, "smaps_rollup", "Pss:")


def _proc_kib(pid: int, name: str, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0
