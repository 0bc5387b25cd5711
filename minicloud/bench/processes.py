"""`make bench`, last section: the processes mode side by side with the in-process one.

A second cloud started by the real `minicloud up --mode processes`, with a data directory
and ports of its own and the RabbitMQ vhost and user that lab-up makes for it (deleted
afterwards): the controller in the launcher, every other node a child process, all of them
talking over RabbitMQ. It is measured with the in-process section's own code (compute.py,
object.py): lab-up seconds, the RSS summed over the launcher, every node's process and any
API workers, server create -> ACTIVE, and Swift with the proxy in the launcher (and its
API workers) and each object server in its storage node's process. Then one table puts both
modes next to the issue's targets. Without a broker on 127.0.0.1:5672 the section says it
skipped. `python -m minicloud.bench.processes` runs this section alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from minicloud import broker
from minicloud.bench import compute
from minicloud.bench import object as swift_bench
from minicloud.bench.harness import BenchCloud, shown
from minicloud.config import Config

# Where lab-up makes the cloud's vhost and user (broker.for_cloud's default).
RABBITMQ = ("127.0.0.1", 5672)

UP = "cloud ready after `minicloud up`"
BROKER = "  of which the vhost and user (rabbitmqctl)"
PROCESSES = "processes of the cloud"
RSS_IDLE = "RSS of the running cloud, idle"
PSS_IDLE = "  PSS, idle (shared pages split, not a target)"
RSS_END = "RSS of the running cloud, at the end"

# (figure, unit, in-process target, processes target): the targets, and the
# in-process section's own for create -> ACTIVE.
ROWS = [
    (UP, "s", "<= 2 s", "<= 10 s"),
    (BROKER, "s", "", ""),
    (PROCESSES, "", "", ""),
    (RSS_IDLE, "MB", "<= 150 MB", "<= 400 MB"),
    (PSS_IDLE, "MB", "", ""),
    (RSS_END, "MB", "", "<= 400 MB"),
    (f"{compute.CREATE} p50", "ms", "<= 100 ms", "<= 300 ms"),
    (f"{compute.CREATE} p90", "ms", "", ""),
    (swift_bench.small_put(1), "req/s", "", ""),
    (swift_bench.small_get(1), "req/s", "", ""),
    (swift_bench.small_put(10), "req/s", "", "10x real Swift"),
    (swift_bench.small_get(10), "req/s", "", "5x real Swift"),
    (swift_bench.BIG_PUT, "MB/s", "", "5x real Swift"),
    (swift_bench.BIG_GET, "MB/s", "", ""),
]


class ProcessesBenchCloud(BenchCloud):
    """A cloud of `minicloud up --mode processes`; its figures are kept, not printed."""

    mode = "processes"

    def __init__(self, home: Path):
        super().__init__(home, quiet=True)

    def start(self) -> None:
        try:
            super().start("--mode", "processes", "--no-user-config")
        except subprocess.CalledProcessError as exc:
            self.up_output = exc.stdout or ""  # names the vhost, if lab-up got that far
            raise

    def broker_seconds(self) -> float:
        """The lab-up seconds before the launcher starts: rabbitmqctl at work."""
        found = re.search(r"minicloud is up \(pid \d+\) after ([\d.]+) s", self.up_output)
        return self.ready_seconds - float(found.group(1)) if found else float("nan")

    def pids(self) -> set[int]:
        """The launcher, each node's process and API workers as `minicloud nodes` lists
        them, and whatever else runs under the launcher."""
        listed = {self.pid}
        for node in json.loads(self._minicloud("nodes", "-f", "json").stdout):
            workers = node.get("workers") or []
            listed |= {w["pid"] if isinstance(w, dict) else w for w in workers}
            listed.add(node["pid"])
        return (listed - {None}) | descendants(self.pid)

    def vhost(self) -> str | None:
        """The cloud's own vhost (and user), once lab-up has begun to make it."""
        where = urlsplit((self.config or Config.load(self.home)).transport_url)
        if where.scheme == "rabbit":
            return unquote(where.path.lstrip("/"))
        said = re.search(r"\*\*\* RabbitMQ: vhost (\S+), user", self.up_output)
        return said.group(1) if said else None

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            vhost = self.vhost()
            if vhost:
                broker.delete(vhost, vhost)


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def measure(cloud: BenchCloud) -> None:
    """The figures of the table, kept in cloud.figures."""
    say(f"starting the cloud: minicloud up --mode {cloud.mode}")
    cloud.start()
    cloud.report(UP, cloud.ready_seconds, "s")
    if isinstance(cloud, ProcessesBenchCloud):
        cloud.report(BROKER, cloud.broker_seconds(), "s")
    idle_memory(cloud)
    say(f"up in {cloud.ready_seconds:.1f} s, {cloud.figures[PROCESSES]} process(es); "
        "server create -> ACTIVE")
    _, demo, image, network = compute.prepare(cloud)
    compute.create_latency(cloud, demo, image, network)
    say("swift 4 KiB and 1 MiB objects")
    swift_bench.run(cloud)
    cloud.report(RSS_END, cloud.rss_mb(), "MB")


def idle_memory(cloud: BenchCloud, rss_target: str = "") -> None:
    cloud.report(PROCESSES, len(cloud.pids()), "")
    cloud.report(RSS_IDLE, cloud.rss_mb(), "MB", rss_target)
    cloud.report(PSS_IDLE, cloud.pss_mb(), "MB")


def say(line: str) -> None:
    print(f"*** {line}", flush=True)


def skipped() -> str | None:
    """Why the section cannot run, if it cannot."""
    host, port = RABBITMQ
    if not broker.answers(host, port):
        return f"no RabbitMQ on {host}:{port} (`rabbitmq-server -detached`, as root, starts one)"
    return None


def side_by_side(inproc: BenchCloud, procs: BenchCloud) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"(load average now {load} on {os.cpu_count()} CPUs: other work on the machine "
          "slows both columns)")
    print(f"{'':<48} {'in-process':>10} {'processes':>10} {'':<6} "
          "targets: in-process | processes")
    for name, unit, target_inproc, target_procs in ROWS:
        values = [shown(c.figures[name]) if name in c.figures else "-"
                  for c in (inproc, procs)]
        targets = f"{target_inproc or '-'} | {target_procs or '-'}"
        print(f"{name:<48} {values[0]:>10} {values[1]:>10} {unit:<6} "
              f"{'' if targets == '- | -' else targets}{real_swift(name, procs)}", flush=True)
    if not swift_bench.REAL_SWIFT:
        print("(real Swift 2.38: no figures stored, neither in bench/object.py's REAL_SWIFT "
              "nor in ../shared/reference, so the 'x real Swift' targets are not checked)")


def last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "(nothing said)"


def real_swift(name: str, cloud: BenchCloud) -> str:
    """`, now N.Nx` (of real Swift's figure) where that figure is known."""
    real = swift_bench.REAL_SWIFT.get(name)
    if not real or name not in cloud.figures:
        return ""
    return f", now {cloud.figures[name] / real:.1f}x"


def run(inproc: BenchCloud) -> None:
    """The processes-mode figures next to `inproc`'s (a cloud that has run the other
    sections and may already be stopped)."""
    print("== processes mode: controller in the launcher, other nodes child processes, "
          "RabbitMQ ==", flush=True)
    reason = skipped()
    if reason:
        print(f"processes mode: skipped, {reason}", flush=True)
        return
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-processes-"))
    cloud = ProcessesBenchCloud(home)
    log = home / "minicloud.log"  # gone with `home`: the reason of a failed start is shown
    try:
        measure(cloud)
    except subprocess.CalledProcessError as exc:
        why = f" ({last_line(log.read_text())})" if log.exists() else ""
        print(f"processes mode: skipped, `minicloud {exc.cmd[5]}` failed: "
              f"{last_line(exc.stderr or exc.stdout)}{why}", flush=True)
        return
    except Exception as exc:  # a benchmark reports, it does not fail: show what we have
        print(f"processes mode: stopped early, {type(exc).__name__}: {exc}", flush=True)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)
    side_by_side(inproc, cloud)


def main() -> None:
    """This section alone (`python -m minicloud.bench.processes`): the in-process figures
    of the table measured on a quiet in-process cloud first."""
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-"))
    inproc = BenchCloud(home, quiet=True)
    try:
        measure(inproc)
    finally:
        inproc.stop()
        shutil.rmtree(home, ignore_errors=True)
    run(inproc)


if __name__ == "__main__":
    main()
