"""Run every benchmark against one fresh cloud and print the figures; then start a second
cloud in the processes mode and print its figures next to the first's (processes.py); then,
as root, a netns cloud's real data plane (netns.py: lab-up, create -> pingable, 20 servers
on one compute node); last, where a Docker engine answers, the Docker mode (docker.py:
image build, lab-up, the containers' RSS, create -> pingable)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from minicloud.bench import identity, image, network, compute, volume, processes
from minicloud.bench import dashboard as dashboard_bench
from minicloud.bench import docker as docker_bench
from minicloud.bench import netns as netns_bench
from minicloud.bench import object as swift_bench
from minicloud.bench.harness import BenchCloud


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-"))
    cloud = BenchCloud(home)
    try:
        cloud.start()
        print("== minicloud benchmark (in-process cloud, memory transport) ==")
        cloud.report(processes.UP, cloud.ready_seconds, "s", "<= 2 s")
        processes.idle_memory(cloud, "<= 100 MB")
        identity.run(cloud)
        image.run(cloud)
        network.run(cloud)
        compute.run(cloud)
        volume.run(cloud)
        swift_bench.run(cloud)
        cloud.report(processes.RSS_END, cloud.rss_mb(), "MB", "<= 100 MB")
        dashboard_bench.run(cloud)  # after the RSS: it boots 50 more servers
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)
    processes.run(cloud)  # after the first cloud has stopped: the two do not share the CPUs
    netns_bench.run()  # alone: it skips when not root or another fabric is up
    docker_bench.run()  # after it: the two take the same subnets
    return 0


if __name__ == "__main__":
    sys.exit(main())
