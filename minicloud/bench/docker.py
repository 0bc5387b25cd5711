"""`make bench`, Docker section: the Docker mode's figures (an engine must answer).

A cloud started by the real `minicloud up --mode docker` with the prefix `mcb` (containers
mcb-controller, ..., networks mcb-mgmt, ..., volumes mcb-NODE, removed afterwards by
`minicloud reset`). It
measures:

    image build        seconds of `image.ensure` when the image is there (warm); a cold
                       build (every layer, debootstrap included) only with --cold
    lab-up             seconds of `minicloud up --mode docker` with the image built: until
                       RabbitMQ, every service and every node in its container is up
    RSS                summed over every process of every container (RabbitMQ's Erlang VM
                       included), read from the host's /proc
    create -> pingable as the netns section measures it (netns.py): a server on compute2,
                       from its POST until a probe server beside it gets an answer to a
                       ping; the ping runs inside the compute container (`docker exec`,
                       whose start is inside the time only when the server is faster)

The plan's subnets are the same in every mode, so this section skips while another Docker
or netns cloud holds them. `python -m minicloud.bench.docker [--cold]` runs it alone.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minicloud.bench import netns as netns_bench
from minicloud.bench import processes
from minicloud.bench.harness import BenchCloud, percentile, rss_kib
from minicloud.config import Config

PREFIX = "mcb"
UP = "docker lab-up (`minicloud up --mode docker`)"
BUILD_WARM = "node image, warm (found by its hash)"
BUILD_COLD = "node image, cold (debootstrap and every layer)"
RSS = "RSS of every container, summed"
PINGABLE = "server create -> pingable"


class DockerBenchCloud(BenchCloud):
    mode = "docker"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        Config(home=self.home, netns_prefix=PREFIX).save()
        super().start("--mode", "docker", "--no-user-config")

    def containers(self) -> list:
        from minicloud.dockermode import engine

        client = engine.connect()
        return [c for c in client.containers.list() if c.name.startswith(f"{PREFIX}-")]

    def pids(self) -> set[int]:
        return {int(row[0]) for c in self.containers()
                for row in c.top(ps_args="-o pid")["Processes"]}

    def rss_by_container(self) -> dict[str, float]:
        return {c.name: sum(rss_kib(int(row[0])) for row in c.top(ps_args="-o pid")["Processes"])
                / 1024 for c in self.containers()}


class ContainerProber(netns_bench.Prober):
    """Pings from inside the probe server, in its compute node's container."""

    def __init__(self, server_id: str, host: str):
        super().__init__(server_id)
        self.namespace = f"qvm-{server_id[:11]}"  # a container's own namespace list: no prefix
        self.container = f"{PREFIX}-{host}"

    def ping_until(self, address: str, deadline: float) -> subprocess.Popen:
        seconds = max(1, int(deadline - time.monotonic()))
        return subprocess.Popen(["docker", "exec", self.container, "ip", "netns", "exec",
                                 self.namespace, "ping", "-n", "-q", "-c", "1", "-i", "0.02",
                                 "-w", str(seconds), address],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def image_seconds(cold: bool) -> tuple[float, float | None]:
    """Seconds of a warm `image.ensure` (the image built first if it is not: an edit to
    minicloud's source rebuilds the node layer), and of a cold build if asked for."""
    from minicloud.dockermode import engine, image

    client = engine.connect()
    built = image.ensure(client, rebuild=cold, say=lambda line: None)
    t0 = time.perf_counter()
    image.ensure(client, say=lambda line: None)
    warm = time.perf_counter() - t0
    return warm, (sum(built.seconds.values()) if cold else None)


def measure(cloud: DockerBenchCloud, cold: bool) -> None:
    say = processes.say
    warm, cold_seconds = image_seconds(cold)
    cloud.report(BUILD_WARM, warm, "s")
    if cold_seconds is not None:
        cloud.report(BUILD_COLD, cold_seconds, "s", "<= 300 s")
    say(f"starting the cloud: minicloud up --mode docker (prefix {PREFIX})")
    cloud.start()
    cloud.report(UP, cloud.ready_seconds, "s", "<= 30 s")
    rss = cloud.rss_by_container()
    cloud.report(RSS, sum(rss.values()), "MB", "<= 1024 MB")
    for name, mb in sorted(rss.items()):
        cloud.report(f"  {name}", mb, "MB")
    admin, image_id, network = netns_bench.prepare(cloud)
    server_id = netns_bench.post(admin, "bench-probe", image_id, network, "nova:compute2")
    admin.wait(server_id, "ACTIVE")
    prober = ContainerProber(server_id, "compute2")
    netns_bench.pingable(admin, prober, server_id)
    samples = [netns_bench.create_to_pingable(admin, prober, image_id, network)
               for _ in range(netns_bench.SAMPLES)]
    cloud.report(f"{PINGABLE} p50", statistics.median(samples), "s", "<= 2 s")
    cloud.report(f"{PINGABLE} p99", percentile(samples, 99), "s")


def skipped() -> str | None:
    from minicloud.dockermode import engine

    try:
        client = engine.connect()
    except engine.NoEngine as exc:
        return str(exc)
    taken = [n.name for n in client.networks.list()
             if any(c.get("Subnet") == "10.0.0.0/24" for c in n.attrs["IPAM"]["Config"] or [])]
    if taken:
        return f"the Docker network {taken[0]} holds the plan's management subnet"
    return netns_bench.clash()


def run(cold: bool = False) -> None:
    print("== Docker mode: every node a container, on four Docker networks ==", flush=True)
    reason = skipped()
    if reason:
        print(f"docker mode: skipped, {reason}", flush=True)
        return
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-docker-"))
    cloud = DockerBenchCloud(home)
    try:
        measure(cloud, cold)
    except subprocess.CalledProcessError as exc:
        print(f"docker mode: skipped, `minicloud` failed: "
              f"{processes.last_line(exc.stderr or exc.stdout)}", flush=True)
    except Exception as exc:  # a benchmark reports, it does not fail: show what we have
        print(f"docker mode: stopped early, {type(exc).__name__}: {exc}", flush=True)
    finally:
        cloud.stop()
        try:
            cloud._minicloud("reset")  # the volumes, and the data directory
        except subprocess.CalledProcessError:
            pass  # it did not get as far as saving its configuration
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run(cold="--cold" in sys.argv)
    sys.exit(0)
