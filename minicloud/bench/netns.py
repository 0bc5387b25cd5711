"""`make bench`, netns section (root): the real data plane's figures.

A cloud started by the real `minicloud up --mode netns` with the fabric prefix `mctb`
(Config.netns_prefix: mctb-controller, mctb-mgmt, ...), a data directory of its own and the
RabbitMQ vhost and user lab-up makes for it (deleted afterwards). It measures:

    lab-up             seconds of `minicloud up --mode netns` (of which rabbitmqctl)
    create -> pingable a server booted by the Compute API on compute2, timed from its
                       POST until it answers a ping from inside a probe server on the same
                       network and node (the probe's namespace, as `minicloud console`
                       enters it: `ip netns exec mctb-qvm-<id> ping`); its DHCP lease
                       comes from the network node across VXLAN; one at a time, all kept
                       (a reused address would find the deleted port's DHCP lease); p50, p99
    20 on one node     20 servers POSTed at once (admin, availability zone nova:compute1):
                       seconds until every one is ACTIVE and answers the probe's ping; the
                       pinged from the probe on compute2, across VXLAN; the RSS summed over
                       the launcher, the nodes, their API workers and every process in the
                       cloud's namespaces (dnsmasq, the guests: these 20, the probe and the
                       create -> pingable ones)

The plan's networks sit on host bridges of fixed ranges, so two netns clouds (this one and
a test's, or a learner's `mc`) cannot run at once: the section says it skipped when another
holds them, as it does without root, the system tools or RabbitMQ.
`python -m minicloud.bench.netns` runs this section alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from minicloud.bench import processes
from minicloud.bench.compute import Session
from minicloud.bench.harness import BenchCloud, percentile, rss_kib
from minicloud.config import Config

PREFIX = "mctb"
TOOLS = ("ip", "nsenter", "unshare", "nft", "dnsmasq", "ping", "udhcpc")
SAMPLES = 10
MANY = 20

UP = "netns lab-up (`minicloud up --mode netns`)"
PINGABLE = "server create -> pingable"
MANY_SECONDS = f"{MANY} servers on compute1 -> ACTIVE and pingable"
MANY_RSS = f"RSS of the cloud, {MANY + SAMPLES + 2} guests running"
GUESTS_RSS = "  of which the guests (processes in qvm- namespaces)"


class NetnsBenchCloud(processes.ProcessesBenchCloud):
    """A cloud of `minicloud up --mode netns` with the prefix mctb."""

    mode = "netns"

    def __init__(self, home: Path):
        super().__init__(home)
        self.quiet = False  # its figures are printed as they come, next to their targets

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        Config(home=self.home, netns_prefix=PREFIX).save()
        try:
            BenchCloud.start(self, "--mode", "netns", "--no-user-config")
        except subprocess.CalledProcessError as exc:
            self.up_output = exc.stdout or ""
            raise

    def pids(self) -> set[int]:
        """The processes-mode ones and every process in the cloud's namespaces."""
        found = super().pids()
        for name in namespaces():
            found |= namespace_pids(name)
        return found

    def guests_rss_mb(self) -> float:
        guests = set().union(*(namespace_pids(n) for n in namespaces(f"{PREFIX}-qvm-")))
        return sum(rss_kib(pid) for pid in guests) / 1024


def namespaces(prefix: str = f"{PREFIX}-") -> list[str]:
    from minicloud.netns.plumbing import names

    return names(prefix)


def namespace_pids(name: str) -> set[int]:
    done = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                          timeout=30)
    return {int(pid) for pid in done.stdout.split()}


# -- timing -----------------------------------------------------------------------------------
class Prober:
    """Pings from inside one server (the probe) on the tenant network."""

    def __init__(self, server_id: str):
        self.namespace = f"{PREFIX}-qvm-{server_id[:11]}"

    def ping_until(self, address: str, deadline: float) -> subprocess.Popen:
        """A ping every 20 ms that exits 0 at the first answer, 1 at the deadline, 2 at
        once while the probe has no address (its DHCP lease) itself."""
        seconds = max(1, int(deadline - time.monotonic()))
        return subprocess.Popen(["ip", "netns", "exec", self.namespace, "ping", "-n", "-q",
                                 "-c", "1", "-i", "0.02", "-w", str(seconds), address],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def address_of(session: Session, server_id: str) -> str | None:
    """The server's first fixed address once Nova shows one; raises if it went ERROR."""
    server = session.nova("GET", f"/servers/{server_id}").json().get("server", {})
    if server.get("status") == "ERROR":
        raise RuntimeError(f"server {server_id} went ERROR: {server.get('fault')}")
    for ports in (server.get("addresses") or {}).values():
        if ports:
            return ports[0]["addr"]
    return None


def post(session: Session, name: str, image: str, network: str, zone: str | None = None) -> str:
    body = {"name": name, "imageRef": image, "flavorRef": "bench.nano",
            "networks": [{"uuid": network}]}
    if zone:
        body["availability_zone"] = zone
    r = session.nova("POST", "/servers", json={"server": body})
    r.raise_for_status()
    return r.json()["server"]["id"]


def pingable(session: Session, prober: Prober, server_id: str, timeout: float = 60) -> None:
    """Returns once the server answers the probe's ping."""
    deadline = time.monotonic() + timeout
    address = None
    while address is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"server {server_id} has no address after {timeout} s")
        address = address_of(session, server_id)
        if address is None:
            time.sleep(0.02)
    while prober.ping_until(address, deadline).wait() != 0:  # 2: no route in the probe yet
        if time.monotonic() > deadline:
            raise RuntimeError(f"server {server_id} ({address}) did not answer in {timeout} s")
        time.sleep(0.02)


def create_to_pingable(session: Session, prober: Prober, image: str, network: str) -> float:
    """Seconds from the POST until the new server (on compute2, beside the probe) answers
    a ping. It is kept: a deleted port's address is handed out again, and the DHCP server
    still holds the old port's lease on it (the new guest would get no lease)."""
    t0 = time.perf_counter()
    server_id = post(session, f"bench-ping-{time.monotonic_ns()}", image, network,
                     "nova:compute2")
    pingable(session, prober, server_id)
    return time.perf_counter() - t0


def many_on_one_node(session: Session, prober: Prober, image: str, network: str) -> float:
    """Seconds from the first of MANY POSTs (sent together) until all answer a ping."""
    def up(server_id: str) -> str:
        pingable(session, prober, server_id, timeout=120)
        return session.wait(server_id, "ACTIVE", timeout=120)["OS-EXT-SRV-ATTR:host"]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(MANY) as pool:
        ids = list(pool.map(lambda i: post(session, f"bench-many-{i}", image, network,
                                           "nova:compute1"), range(MANY)))
        hosts = set(pool.map(up, ids))
    seconds = time.perf_counter() - t0
    if hosts != {"compute1"}:
        raise RuntimeError(f"the {MANY} servers landed on {sorted(hosts)}, not compute1")
    return seconds


def prepare(cloud: BenchCloud) -> tuple[Session, str, str]:
    """The admin's session (its project without quota limits), the flavor bench.nano; the
    ids of the cirros image and the private network."""
    admin = Session(cloud, "admin", cloud.config.admin_password, "admin")
    admin.nova("PUT", f"/os-quota-sets/{admin.project_id}", json={"quota_set": {
        "instances": -1, "cores": -1, "ram": -1}}).raise_for_status()
    admin.nova("POST", "/flavors", json={"flavor": {
        "name": "bench.nano", "id": "bench.nano", "ram": 64, "disk": 1, "vcpus": 1}})
    image = admin.http.get(cloud.url("image", "/v2/images?name=cirros"),
                           timeout=30).json()["images"][0]["id"]
    network = admin.neutron("/networks?name=private")["networks"][0]["id"]
    return admin, image, network


def probe(admin: Session, image: str, network: str) -> Prober:
    """The server the pings come from, on compute2 (compute1 takes the MANY), once its
    guest has its DHCP lease (it answers its own address)."""
    server_id = post(admin, "bench-probe", image, network, "nova:compute2")
    admin.wait(server_id, "ACTIVE")
    prober = Prober(server_id)
    pingable(admin, prober, server_id)
    return prober


def measure(cloud: NetnsBenchCloud) -> None:
    say = processes.say
    say(f"starting the cloud: minicloud up --mode netns (prefix {PREFIX})")
    cloud.start()
    cloud.report(UP, cloud.ready_seconds, "s", "<= 10 s")
    cloud.report(processes.BROKER, cloud.broker_seconds(), "s")
    admin, image, network = prepare(cloud)
    prober = probe(admin, image, network)
    say(f"server create -> pingable, {SAMPLES} servers on compute2 one after another, "
        f"pinged from inside a probe server there ({prober.namespace})")
    create_to_pingable(admin, prober, image, network)  # warm up
    samples = [create_to_pingable(admin, prober, image, network) for _ in range(SAMPLES)]
    cloud.report(f"{PINGABLE} p50", statistics.median(samples), "s", "<= 1 s")
    cloud.report(f"{PINGABLE} p99", percentile(samples, 99), "s")
    say(f"{MANY} servers at once on compute1 (admin, --availability-zone nova:compute1)")
    cloud.report(MANY_SECONDS, many_on_one_node(admin, prober, image, network), "s", "<= 20 s")
    cloud.report(processes.PROCESSES, len(cloud.pids()), "")
    cloud.report(MANY_RSS, cloud.rss_mb(), "MB")
    cloud.report(GUESTS_RSS, cloud.guests_rss_mb(), "MB")


# -- whether it can run -----------------------------------------------------------------------
def skipped() -> str | None:
    """Why the section cannot run here, if it cannot."""
    if os.geteuid() != 0:
        return "not root (the netns mode makes namespaces and bridges)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (scripts/install-system-packages.sh)"
    return processes.skipped() or clash()


def clash() -> str | None:
    """Another netns cloud or test holding the plan's ranges on the host."""
    from minicloud.netns.fabric import Fabric
    from minicloud.netns.plumbing import PlumbingError
    from minicloud.topology import Topology

    fabric = Fabric(Topology.from_config(Config(home=Path("/nonexistent"))), PREFIX)
    try:
        fabric.check_clashes()
    except PlumbingError as exc:
        return f"another netns cloud or test holds the plan's networks ({exc})"
    finally:
        fabric.host.close()
    return None


def run() -> None:
    print("== netns mode: every node in a network namespace, real bridges, VXLAN, DHCP ==",
          flush=True)
    reason = skipped()
    if reason:
        print(f"netns mode: skipped, {reason}", flush=True)
        return
    home = Path(tempfile.mkdtemp(prefix="minicloud-bench-netns-"))
    cloud = NetnsBenchCloud(home)
    log = home / "minicloud.log"
    try:
        measure(cloud)
    except subprocess.CalledProcessError as exc:
        why = f" ({processes.last_line(log.read_text())})" if log.exists() else ""
        print(f"netns mode: skipped, `minicloud {exc.cmd[5]}` failed: "
              f"{processes.last_line(exc.stderr or exc.stdout)}{why}", flush=True)
    except Exception as exc:  # a benchmark reports, it does not fail: show what we have
        print(f"netns mode: stopped early, {type(exc).__name__}: {exc}", flush=True)
    finally:
        cloud.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run()
    sys.exit(0)
