"""Run every benchmark against one fresh cloud and print the figures."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from minicloud.bench import identity, image, network, compute, volume
from minicloud.bench import object as swift_bench
from minicloud.bench.harness import BenchCloud


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-"))
    cloud = BenchCloud(home)
    try:
        cloud.start()
        print("== minicloud benchmark (in-process cloud, memory transport) ==")
        cloud.report("cloud ready after `minicloud up`", cloud.ready_seconds, "s", "<= 2 s")
        cloud.report("RSS of the running cloud, idle", cloud.rss_mb(), "MB", "<= 100 MB")
        identity.run(cloud)
        image.run(cloud)
        network.run(cloud)
        compute.run(cloud)
        volume.run(cloud)
        swift_bench.run(cloud)
        cloud.report("RSS of the running cloud, after all of the above", cloud.rss_mb(), "MB",
                     "<= 100 MB")
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
