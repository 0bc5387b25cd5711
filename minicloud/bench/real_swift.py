"""Real Swift on this machine, measured with object.py's own client code: the figures
behind REAL_SWIFT in object.py, which processes.py prints as "now N.Nx real Swift".

It runs only when a virtualenv with Swift exists at /work/realswift/venv (or at
$MINICLOUD_REAL_SWIFT_VENV); it installs nothing itself and otherwise prints
"skipped: no real Swift installed at ...". What was run to install it (2026-12):

    python3 -m venv /work/realswift/venv
    /work/realswift/venv/bin/pip install swift==2.38.0    # PyECLib comes as a wheel

Keystone is not needed: the proxy authenticates with tempauth (user test:tester, key
testing, account AUTH_test). The cluster is shaped like minicloud's Swift so the two
compare, and by default run as Swift's own in-process functional tests run it:

    one Python process, eventlet, no workers (`--split`: one process per server); 127.0.0.1
      proxy            :16200  a stock pipeline with tempauth; the cache is a dict in the
                               process (no memcached), as in Swift's in-process tests
      container server :16201  ring of 1 device, 1 replica  } minicloud keeps accounts and
      account server   :16202  ring of 1 device, 1 replica  } containers in one SQLite db
      object servers   :16210-16212, one device each (zones 1-3), ring of 3 replicas
    files under <venv>/../srv (the venv's sibling), made anew and removed afterwards:
    etc/ (swift.conf, rings, one config file per server), N/node/dN/ (each server's
    device, mount_check = false)

One file, two roles (the serving half imports only the standard library and Swift, as it
runs in Swift's virtualenv, which has no minicloud):

    python -m minicloud.bench.real_swift [--split]
            measure: make the cluster, start it, run object.py's `run` 3 times against
            it, print the medians in REAL_SWIFT's form, stop it
    <venv>/bin/python real_swift.py setup SRV         config files, rings, devices
    <venv>/bin/python real_swift.py serve SRV [NAME]  the servers (NAME: a config
            file's stem, e.g. object-server-1; all of them by default)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

VENV = Path(os.environ.get("MINICLOUD_REAL_SWIFT_VENV", "/work/realswift/venv"))
HOST = "127.0.0.1"
PROXY_PORT = 16200
CONTAINER_PORT = 16201
ACCOUNT_PORT = 16202
OBJECT_PORTS = (16210, 16211, 16212)
USER, KEY = "test:tester", "testing"
ROUNDS = 3

# --- the servers (run by Swift's virtualenv) -------------------------------------------

PROXY_CONF = """\
[DEFAULT]
bind_ip = {host}
bind_port = {port}
swift_dir = {etc}
log_level = WARNING

[pipeline:main]
# Swift's sample pipeline, tempauth in keystone's place, without container_sync
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk
    tempurl ratelimit tempauth copy container-quotas account-quotas slo dlo
    versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
"""
MIDDLEWARE = ("catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk "
              "tempurl ratelimit copy container-quotas account-quotas slo dlo "
              "versioned_writes symlink").split()
ENTRY_POINTS = {"cache": "memcache", "proxy-logging": "proxy_logging",
                "container-quotas": "container_quotas", "account-quotas": "account_quotas"}

STORAGE_CONF = """\
[DEFAULT]
bind_ip = {host}
bind_port = {port}
devices = {devices}
mount_check = false
swift_dir = {etc}
log_level = WARNING

[pipeline:main]
pipeline = healthcheck {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}

[filter:healthcheck]
use = egg:swift#healthcheck
"""

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_prefix = minicloud-bench
swift_hash_path_suffix = minicloud-bench

[storage-policy:0]
name = Policy-0
default = yes
"""


class DictCache:
    """What the proxy keeps in memcache (tokens, account and container info), in a dict:
    the values go through JSON as memcached's would."""

    def __init__(self):
        self.data: dict[str, str] = {}

    def get(self, key, *args, **kwargs):
        value = self.data.get(key)
        return None if value is None else json.loads(value)

    def set(self, key, value, *args, **kwargs):
        self.data[key] = json.dumps(value)
        return True

    def incr(self, key, delta=1, *args, **kwargs):
        value = int(self.get(key) or 0) + delta
        self.set(key, value)
        return value

    def decr(self, key, delta=1, *args, **kwargs):
        return self.incr(key, -delta)

    def delete(self, key, *args, **kwargs):
        self.data.pop(key, None)

    def get_multi(self, keys, server_key, *args, **kwargs):
        return [self.get(key) for key in keys]

    def set_multi(self, mapping, server_key, *args, **kwargs):
        for key, value in mapping.items():
            self.set(key, value)


class DictCacheMiddleware:
    """Stands in for Swift's memcache middleware (`cache` in the pipeline)."""

    def __init__(self, app, conf):
        self.app = app
        self.memcache = DictCache()

    def __call__(self, env, start_response):
        env["swift.cache"] = self.memcache
        return self.app(env, start_response)


def servers(srv: Path) -> list[tuple[str, int, Path]]:
    """(kind, port, config file) of every server, the proxy first."""
    etc = srv / "etc"
    return ([("proxy", PROXY_PORT, etc / "proxy-server.conf"),
             ("container", CONTAINER_PORT, etc / "container-server.conf"),
             ("account", ACCOUNT_PORT, etc / "account-server.conf")] +
            [("object", port, etc / f"object-server-{i}.conf")
             for i, port in enumerate(OBJECT_PORTS, 1)])


def write_config(srv: Path) -> None:
    etc = srv / "etc"
    etc.mkdir(parents=True)
    (etc / "swift.conf").write_text(SWIFT_CONF)
    filters = "".join(f"\n[filter:{name}]\nuse = egg:swift#{ENTRY_POINTS.get(name, name)}\n"
                      for name in MIDDLEWARE)
    for i, (kind, port, conf) in enumerate(servers(srv)):
        if kind == "proxy":
            conf.write_text(PROXY_CONF.format(host=HOST, port=port, etc=etc) + filters)
            continue
        devices = srv / str(i) / "node"
        (devices / f"d{i}").mkdir(parents=True)
        conf.write_text(STORAGE_CONF.format(host=HOST, port=port, etc=etc, kind=kind,
                                            devices=devices))


def build_rings(srv: Path) -> None:
    """One ring per kind: a device per server of that kind, each in its own zone;
    3 replicas for objects, 1 for accounts and containers (one server each)."""
    from swift.common.ring import RingBuilder

    by_kind: dict[str, list[tuple[int, int]]] = {}
    for i, (kind, port, _) in enumerate(servers(srv)):
        if kind != "proxy":
            by_kind.setdefault(kind, []).append((i, port))
    for kind, devices in by_kind.items():
        builder = RingBuilder(10, len(devices), 1)
        for zone, (i, port) in enumerate(devices, 1):
            builder.add_dev({"id": zone - 1, "region": 1, "zone": zone, "ip": HOST,
                             "port": port, "device": f"d{i}", "weight": 100.0, "meta": ""})
        builder.rebalance()
        builder.get_ring().save(str(srv / "etc" / f"{kind}.ring.gz"))


def setup(srv: Path) -> None:
    """A fresh `srv`: config files, rings and empty devices."""
    if srv.exists():
        shutil.rmtree(srv)
    write_config(srv)
    build_rings(srv)


def serve(srv: Path, names: list[str]) -> None:
    """The servers named (config file stems; all by default) in this process, as Swift's
    in-process functional tests run them, with the socket settings of Swift's own
    `run_server`; until killed."""
    import eventlet
    import eventlet.wsgi

    eventlet.patcher.monkey_patch(all=False, socket=True, select=True, thread=True)
    from swift.common import constraints, storage_policy, utils
    from swift.common.http_protocol import SwiftHttpProtocol
    from swift.common.middleware import memcache
    from swift.common.wsgi import loadapp

    utils.set_swift_dir(str(srv / "etc"))
    constraints.reload_constraints()
    storage_policy.reload_storage_policies()
    memcache.MemcacheMiddleware = DictCacheMiddleware  # the filter factory looks it up
    eventlet.hubs.use_hub(utils.get_hub())
    threads = []
    for kind, port, conf in servers(srv):
        if names and conf.stem not in names:
            continue
        app = loadapp(str(conf), global_conf={"log_name": kind})
        sock = eventlet.listen((HOST, port))
        threads.append(eventlet.spawn(
            eventlet.wsgi.server, sock, app, utils.NullLogger(), protocol=SwiftHttpProtocol,
            custom_pool=eventlet.GreenPool(1024), socket_timeout=60.0,
            capitalize_response_headers=False, url_length_limit=constraints.MAX_REQUEST_LINE))
    print("ready", flush=True)
    for thread in threads:
        thread.wait()


# --- the measurement (run by minicloud's virtualenv) -----------------------------------

def skipped() -> str | None:
    if not (VENV / "bin" / "python").exists():
        return (f"skipped: no real Swift installed at {VENV} (see `pydoc "
                "minicloud.bench.real_swift` for the two commands; "
                "$MINICLOUD_REAL_SWIFT_VENV names another place)")
    return None


def swift_python(*args: str, **kwargs) -> subprocess.Popen:
    """This file run by Swift's virtualenv."""
    return subprocess.Popen([str(VENV / "bin" / "python"), "-W", "ignore", __file__, *args],
                            **kwargs)


def start(srv: Path, split: bool) -> list[subprocess.Popen]:
    """The servers' process (one per server if `split`), once the proxy answers."""
    import requests

    if swift_python("setup", str(srv)).wait() != 0:
        raise RuntimeError("real Swift's rings and config files could not be made")
    groups = [[conf.stem] for _, _, conf in servers(srv)] if split else [[]]
    procs = [swift_python("serve", str(srv), *names, stdout=subprocess.PIPE)
             for names in groups]
    if any(proc.stdout.readline().strip() != b"ready" for proc in procs):
        stop(procs)
        raise RuntimeError("real Swift did not start (its error is above)")
    for _ in range(100):
        try:
            if requests.get(f"http://{HOST}:{PROXY_PORT}/healthcheck", timeout=2).ok:
                return procs
        except requests.ConnectionError:
            time.sleep(0.1)
    stop(procs)
    raise RuntimeError("real Swift's proxy does not answer")


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tempauth_token(cloud) -> tuple[str, str]:
    """object.py's `_token` for tempauth: the token and the storage URL."""
    r = cloud.http.get(f"http://{HOST}:{PROXY_PORT}/auth/v1.0", timeout=30,
                       headers={"X-Auth-User": USER, "X-Auth-Key": KEY})
    r.raise_for_status()
    return r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]


def measure_once() -> dict[str, float]:
    """object.py's `run`, as `make bench` runs it on minicloud, on real Swift's proxy."""
    import tempfile
    from unittest import mock

    from minicloud.bench import object as swift_bench
    from minicloud.bench.harness import BenchCloud

    cloud = BenchCloud(Path(tempfile.gettempdir()), quiet=True)  # never started: no cloud
    with mock.patch.object(swift_bench, "_token", tempauth_token):
        swift_bench.run(cloud)
    return cloud.figures


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    import statistics

    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def measure(srv: Path, split: bool) -> dict[str, float]:
    """Medians of ROUNDS runs of object.py's `run` on a fresh cluster."""
    procs = start(srv, split)
    runs = []
    try:
        for i in range(ROUNDS):
            runs.append(measure_once())
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"round {i + 1}: " + ", ".join(f"{v:.1f}" for v in runs[-1].values()) +
                  f"  (load average {load})", flush=True)
    finally:
        stop(procs)
        shutil.rmtree(srv, ignore_errors=True)
    return medians(runs)


def main(split: bool) -> None:
    reason = skipped()
    if reason:
        print(f"real Swift: {reason}", flush=True)
        return
    srv = VENV.parent / "srv"
    version = subprocess.run([str(VENV / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('swift'))"],
                             capture_output=True, text=True).stdout.strip()
    layout = "one process per server" if split else "one process"
    print(f"== real Swift {version}: proxy, account, container and 3 object servers, "
          f"{layout}, 3 replicas (files in {srv}) ==", flush=True)
    try:
        figures = measure(srv, split)
    except RuntimeError as exc:  # a port taken, a broken install: say so, fail nothing
        print(f"real Swift: stopped, {exc}", flush=True)
        shutil.rmtree(srv, ignore_errors=True)
        return
    print(f"medians of {ROUNDS} rounds (REAL_SWIFT's form):")
    for name, value in figures.items():
        print(f"    {name!r}: {value:.1f},")


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"]:
        setup(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["serve"]:
        serve(Path(sys.argv[2]), sys.argv[3:])
    else:
        main(split="--split" in sys.argv[1:])
