"""The object replicator: brings every partition's replicas back to what the ring says.

For each partition it asks every device the ring assigns it to (over HTTP, as Swift's
replicator does) which object hashes it holds and at which timestamps; the newest
version of each object (data timestamp, then metadata timestamp; a tombstone is a
version too) is copied to every assigned device that lacks it or holds an older one.
So after a storage node was down, or lost its disk, one pass restores three replicas.
Devices that are unreachable are skipped and caught up on a later pass.

Runs every `replicator_interval` seconds in the cloud, and on demand:
`minicloud swift replicate` (admin route `POST /minicloud/replicate`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import requests

from minicloud.common import trace
from minicloud.object.constraints import OBJECT_HEADERS
from minicloud.object.ring import Device, RingFile

LOG = logging.getLogger(__name__)
TIMEOUT = (1.0, 30.0)
COPIED = ("content-type", "etag", "x-timestamp", "x-object-name", "content-length",
          "x-meta-timestamp", *OBJECT_HEADERS)


def _title(header: str) -> str:
    return "-".join(p.capitalize() for p in header.split("-"))


@dataclasses.dataclass
class Stats:
    partitions: int = 0
    objects_copied: int = 0
    tombstones_copied: int = 0
    devices_unreachable: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _traced() -> dict:
    """A pass asked for by a learner (`minicloud swift replicate`) shows in that request's
    trace; the periodic passes are not traced at all."""
    return trace.outgoing_headers(background=True)


def _version(entry: dict) -> tuple[str, str]:
    return entry["timestamp"], entry["meta_timestamp"]


class Replicator:
    def __init__(self, ring: RingFile, http: requests.Session | None = None):
        self.ring = ring
        self.http = http or requests.Session()
        self._lock = threading.Lock()  # one pass at a time

    @staticmethod
    def _base(dev: Device) -> str:
        return f"http://{dev.ip}:{dev.port}/{dev.device}"

    def _hashes(self, dev: Device, partition: int) -> dict | None:
        try:
            r = self.http.get(f"{self._base(dev)}/{partition}", headers=_traced(),
                              timeout=TIMEOUT)
            return r.json() if r.status_code == 200 else None
        except (requests.RequestException, ValueError):
            return None

    def run_once(self) -> Stats:
        with self._lock:
            t0 = time.monotonic()
            ring, stats = self.ring.get(), Stats()
            down: set[int] = set()
            for partition in range(ring.partitions):
                self._replicate_partition(ring, partition, stats, down)
            stats.devices_unreachable = sorted(ring.device(d).node for d in down)
            stats.seconds = round(time.monotonic() - t0, 3)
            return stats

    def _replicate_partition(self, ring, partition: int, stats: Stats, down: set) -> None:
        devices = [d for d in ring.part_devices(partition) if d.id not in down]
        held: dict[int, dict] = {}
        for dev in devices:
            hashes = self._hashes(dev, partition)
            if hashes is None:
                down.add(dev.id)
            else:
                held[dev.id] = hashes
        if len(held) < 2 and len(held) == len(devices):
            return  # nothing to compare against
        stats.partitions += 1
        everything = {h for hashes in held.values() for h in hashes}
        for hash_ in everything:
            source_id = max((d for d in held if hash_ in held[d]),
                            key=lambda d: _version(held[d][hash_]))
            newest = held[source_id][hash_]
            for target_id, hashes in held.items():
                have = hashes.get(hash_)
                if have is None or _version(have) < _version(newest):
                    self._copy(ring.device(source_id), ring.device(target_id), partition,
                               hash_, newest, stats)

    def _copy(self, source: Device, target: Device, partition: int, hash_: str, entry: dict,
              stats: Stats) -> None:
        src = f"{self._base(source)}/{partition}/{hash_}"
        dst = f"{self._base(target)}/{partition}/{hash_}"
        try:
            if entry["deleted"]:
                self.http.delete(dst, headers={"X-Timestamp": entry["timestamp"], **_traced()},
                                 timeout=TIMEOUT).close()
                stats.tombstones_copied += 1
                return
            with self.http.get(src, stream=True, headers=_traced(), timeout=TIMEOUT) as r:
                if r.status_code != 200:
                    return
                headers = {_title(k): v for k, v in r.headers.items()
                           if k.lower().startswith("x-object-meta-") or k.lower() in COPIED}
                self._push(dst, headers, r)
            stats.objects_copied += 1
        except requests.RequestException as exc:
            LOG.warning("replication of %s to %s failed: %s", hash_, target.node, exc)

    def _push(self, dst: str, headers: dict, r: requests.Response) -> None:
        meta_ts = headers.pop("X-Meta-Timestamp", None)
        body = _Sized(r.raw, int(headers.get("Content-Length", 0)))
        put = self.http.put(dst, headers={**headers, **_traced()}, data=body, timeout=TIMEOUT)
        put.close()
        if meta_ts and meta_ts != headers.get("X-Timestamp"):
            meta = {k: v for k, v in headers.items()
                    if k.lower().startswith("x-object-meta-") or k.lower() in OBJECT_HEADERS}
            self.http.post(dst, headers={**meta, **_traced(), "Content-Type": headers.get(
                "Content-Type", ""), "X-Timestamp": meta_ts}, timeout=TIMEOUT).close()


class _Sized:
    """A response body passed on as a request body of known length (not chunked)."""

    def __init__(self, raw, length: int):
        self.raw, self.length = raw, length

    def __len__(self) -> int:
        return self.length

    def read(self, n: int = -1) -> bytes:
        return self.raw.read(n if n and n > 0 else None, decode_content=False) or b""

    def __iter__(self):
        return self.raw.stream(64 * 1024, decode_content=False)


class PeriodicReplicator:
    """Runs a pass every `interval` seconds in a background thread (0: never)."""

    def __init__(self, replicator: Replicator, interval: float):
        self.replicator = replicator
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="swift-replicator", daemon=True)

    def start(self) -> "PeriodicReplicator":
        if self.interval > 0:
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.replicator.run_once()
            except Exception:  # a pass must never kill the loop
                LOG.exception("replication pass failed")

    def stop(self) -> None:
        self._stop.set()
