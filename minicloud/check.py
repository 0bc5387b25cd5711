"""`minicloud check`: is the cloud's state consistent? The operator's audit that
`nova-manage db`, `cinder-manage` and Swift's auditor each do for one service, here across
all of them, after a crash or whenever a learner wonders.

It reads every service's database through that service's own store, opened read-only (it
can run beside a live cloud), and the files the services keep beside them, and reports what does not agree:

    databases    each database passes SQLite's own integrity check
    servers      no server left half-way (vm_state building, or a task under way) for long
    ports        a port bound to a server belongs to a live server; a server's ports exist
    allocations  what a host has handed out belongs to a live server
    volumes      no volume left half-way; an in-use volume's attachments name live servers,
                 and Nova's block device mappings name volumes that are there
    images       an active (or deactivated) image has its bytes, of its recorded size
    objects      every object a container lists has a replica on its ring's devices,
                 with the listed ETag

A state under way is reported when it is older than the running cloud (no process is
working on it any more: the cloud was restarted, or is down) or than STALE_AFTER seconds;
a server that a learner is booting right now is not a fault.
"""

from __future__ import annotations

import calendar
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Callable

from minicloud.compute.store import ComputeStore
from minicloud.config import Config
from minicloud.identity.store import IdentityStore
from minicloud.image.store import ImageStore
from minicloud.network.store import NetworkStore
from minicloud.object.diskfile import read_current
from minicloud.object.ring import RING_FILE, Ring
from minicloud.object.store import ObjectStore
from minicloud.volume.store import VolumeStore

STALE_AFTER = 120.0
SERVER_STEADY = ("active", "stopped", "paused", "suspended", "error", "shelved",
                 "shelved_offloaded", "resized", "rescued", "soft-delete")
VOLUME_STEADY = ("available", "in-use", "error", "error_deleting", "error_restoring",
                 "error_extending", "error_managing", "maintenance")


STORES = {"identity": IdentityStore, "image": ImageStore, "compute": ComputeStore,
          "network": NetworkStore, "volume": VolumeStore, "object": ObjectStore}


def _open(name: str, path: Path):
    """The service's store over its file, read-only; None when there is no file."""
    return STORES[name](path, read_only=True) if path.exists() else None


class Checker:
    """Each `check_*` method returns the problems it found, as sentences."""

    def __init__(self, config: Config, started: float | None = None, now: float | None = None):
        self.config = config
        self.now = time.time() if now is None else now
        # Work under way from before this moment has no process behind it any more.
        self.since = self.now - STALE_AFTER if started is None else max(
            started, self.now - STALE_AFTER)
        self.stores = {name: _open(name, config.path(f"{name}.db")) for name in STORES}
        self.unreadable: list[str] = []  # reads a damaged or half-made database refused

    def close(self) -> None:
        for store in self.stores.values():
            if store is not None:
                store.close()

    def read(self, service: str, how: Callable) -> list:
        """`how(store)`: what the service's store answers, or [] (and a problem noted)."""
        store = self.stores[service]
        if store is None:
            return []
        try:
            return how(store)
        except sqlite3.DatabaseError as exc:
            self.unreadable.append(f"{service}.db cannot be read: {exc}")
            return []

    def servers(self) -> list[dict]:
        return self.read("compute", lambda store: store.instances())

    def live_servers(self) -> set[str]:
        return {r["id"] for r in self.servers()}

    def check_databases(self) -> list[str]:
        problems = []
        for name, store in self.stores.items():
            if store is not None:
                verdict = store.integrity_problem()
                if verdict is not None:
                    problems.append(f"{name}.db fails SQLite's integrity check: {verdict}")
        return problems

    def check_servers(self) -> list[str]:
        return [f"server {r['id']} ({r['name']}) is stuck: vm_state {r['vm_state']}, "
                f"task_state {r['task_state']}, since {_clock(r['updated'])}"
                for r in self.servers()
                if (r["vm_state"] not in SERVER_STEADY or r["task_state"] is not None)
                and r["updated"] < self.since]

    def check_ports(self) -> list[str]:
        live = self.live_servers()
        ports = self.read("network", lambda store: store.ports())
        problems = [f"port {p['id']} is bound to server {p['device_id']}, which does not exist"
                    for p in ports if p["device_owner"].startswith("compute:")
                    and p["device_id"] not in live]
        known = {p["id"] for p in ports}
        for r in self.servers():
            for vif in r["network_info"] or []:
                if vif.get("id") and vif["id"] not in known:
                    problems.append(f"server {r['id']} lists port {vif['id']}, which Neutron "
                                    "does not have")
        return problems

    def check_allocations(self) -> list[str]:
        live = self.live_servers()
        return [f"host {r['host']} still holds resources for server {r['instance_id']}, "
                "which does not exist"
                for r in self.read("compute", lambda store: store.allocations())
                if r["instance_id"] not in live]

    def check_volumes(self) -> list[str]:
        live = self.live_servers()
        volumes = {v["id"]: v for v in self.read("volume", lambda store: store.volumes(None))}
        problems = [f"volume {v['id']} is stuck in {v['status']}"
                    for v in volumes.values() if v["status"] not in VOLUME_STEADY
                    and self._older(v["updated_at"] or v["created_at"])]
        attached = self.read("volume", lambda store: store.attachments(
            None, attach_status="attached"))
        for a in attached:
            if a["instance_uuid"] not in live:
                problems.append(f"volume {a['volume_id']} is attached to server "
                                f"{a['instance_uuid']}, which does not exist")
        for server in self.servers():
            for volume in server["volumes_attached"]:
                if volume["id"] not in volumes:
                    problems.append(f"server {server['id']} maps volume {volume['id']}, "
                                    "which Cinder does not have")
        return problems

    def _older(self, stamp: str) -> bool:
        return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) < self.since

    def check_images(self) -> list[str]:
        problems = []
        root = self.config.path("images")
        for image in self.read("image", lambda store: store.images_with_data()):
            path = root / image["id"]
            if not path.exists():
                problems.append(f"image {image['id']}'s data file is missing")
            elif image["size"] is not None and path.stat().st_size != image["size"]:
                problems.append(f"image {image['id']} holds {path.stat().st_size} bytes, "
                                f"not the {image['size']} it records")
        return problems

    def check_objects(self) -> list[str]:
        ring_path = self.config.path(RING_FILE)
        if not ring_path.exists():
            return []
        ring = Ring.load(ring_path)
        return [f"object {o['account']}/{o['container']}/{o['name']} has no replica with "
                f"ETag {o['etag']}"
                for o in self.read("object", lambda store: store.all_objects())
                if o["etag"] not in self._replica_etags(ring, o)]

    def _replica_etags(self, ring, obj) -> set[str]:
        part, hash_, devices = ring.get_nodes(obj["account"], obj["container"], obj["name"])
        etags = set()
        for device in devices:
            directory = self.config.path("storage", device.node, device.device, "objects",
                                         str(part), hash_[-3:], hash_)
            meta = read_current(str(directory), xattrs=True)
            if meta is not None and not meta["deleted"]:
                etags.add(meta.get("ETag"))
        return etags

    def run(self) -> dict[str, list[str]]:
        names = ("servers", "ports", "allocations", "volumes", "images", "objects")
        results = {name: getattr(self, f"check_{name}")() for name in names}
        return {"databases": self.check_databases() + sorted(set(self.unreadable)), **results}


def _clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def run(config: Config, started: float | None, say=print) -> int:
    """Print each check's verdict; 0 when everything is consistent, 1 otherwise.
    `started`: when the running cloud started (None: it is not running)."""
    say(f"*** Checking the cloud in {config.home}"
        + (f" (running since {_clock(started)})" if started else " (not running)"))
    with closing(Checker(config, started=started or time.time())) as checker:
        results = checker.run()
    for name, problems in results.items():
        say(f"    {name:<12} {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            say(f"      - {problem}")
    total = sum(len(p) for p in results.values())
    say("*** The cloud is consistent." if total == 0 else f"*** {total} problem(s) found.")
    return 0 if total == 0 else 1
