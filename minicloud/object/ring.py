"""The object ring: which storage devices hold an object (Swift's ring, in one small file).

An object's path `/account/container/object` is hashed (md5 of a per-cluster prefix, the
path and a per-cluster suffix, so nobody can aim many objects at one device); the top
`part_power` bits of that hash are its *partition*. The ring is a table built once:
partition -> the `replicas` devices that hold it, spread over the devices in proportion to
their weights and never two replicas of a partition on one device when it can be helped.
`minicloud ring build` writes it as `ring.json` in the data directory; the proxy and the
replicator read it (and re-read it when the file changes).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import struct
import threading
import time
from pathlib import Path

from minicloud.topology import Topology

RING_FILE = "ring.json"


@dataclasses.dataclass
class Device:
    id: int
    node: str  # the storage node (storage1..3); also its zone here
    ip: str
    port: int
    device: str  # the disk's name on that node (Swift: sdb1)
    weight: float = 100.0


def hash_path(account: str, container: str | None = None, obj: str | None = None, *,
              prefix: str = "", suffix: str = "") -> str:
    """Swift's hash_path: md5 hex of prefix + '/account[/container[/object]]' + suffix."""
    path = "/" + "/".join(p for p in (account, container, obj) if p is not None)
    return hashlib.md5(f"{prefix}{path}{suffix}".encode()).hexdigest()


class Ring:
    def __init__(self, part_power: int, replicas: int, devices: list[Device],
                 replica2part2dev: list[list[int]], hash_prefix: str = "",
                 hash_suffix: str = ""):
        self.part_power = part_power
        self.replicas = replicas
        self.devices = devices
        self.replica2part2dev = replica2part2dev
        self.hash_prefix = hash_prefix
        self.hash_suffix = hash_suffix
        self._by_id = {d.id: d for d in devices}

    @property
    def partitions(self) -> int:
        return 2 ** self.part_power

    def object_hash(self, account: str, container: str, obj: str) -> str:
        return hash_path(account, container, obj, prefix=self.hash_prefix,
                         suffix=self.hash_suffix)

    def partition_of(self, hash_hex: str) -> int:
        return struct.unpack(">I", bytes.fromhex(hash_hex)[:4])[0] >> (32 - self.part_power)

    def part_devices(self, partition: int) -> list[Device]:
        return [self._by_id[row[partition]] for row in self.replica2part2dev]

    def get_nodes(self, account: str, container: str, obj: str) -> tuple[int, str, list[Device]]:
        """(partition, object hash, the devices that hold its replicas)."""
        h = self.object_hash(account, container, obj)
        part = self.partition_of(h)
        return part, h, self.part_devices(part)

    def device(self, dev_id: int) -> Device:
        return self._by_id[dev_id]

    def parts_per_device(self) -> dict[int, int]:
        counts = {d.id: 0 for d in self.devices}
        for row in self.replica2part2dev:
            for dev_id in row:
                counts[dev_id] += 1
        return counts

    # -- the file ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"part_power": self.part_power, "replicas": self.replicas,
                "hash_prefix": self.hash_prefix, "hash_suffix": self.hash_suffix,
                "devices": [dataclasses.asdict(d) for d in self.devices],
                "replica2part2dev": self.replica2part2dev}

    @classmethod
    def from_dict(cls, data: dict) -> "Ring":
        return cls(data["part_power"], data["replicas"], [Device(**d) for d in data["devices"]],
                   data["replica2part2dev"], data.get("hash_prefix", ""),
                   data.get("hash_suffix", ""))

    def save(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(json.dumps(self.to_dict()) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "Ring":
        return cls.from_dict(json.loads(Path(path).read_text()))


def build(devices: list[Device], part_power: int = 8, replicas: int = 3,
          hash_suffix: str | None = None) -> Ring:
    """Assign every (partition, replica) to a device, in proportion to the devices' weights.

    Each replica of a partition goes to the device that still wants the most partitions
    among those not yet holding that partition (nor on the same node, while there is a
    choice): the balance Swift's ring builder aims for, without its rebalance history.
    """
    if not devices:
        raise ValueError("a ring needs at least one device")
    if not 1 <= part_power <= 24:
        raise ValueError("part_power must be between 1 and 24")
    parts = 2 ** part_power
    total = sum(d.weight for d in devices)
    wanted = {d.id: parts * replicas * d.weight / total for d in devices}
    table = [[0] * parts for _ in range(replicas)]
    for part in range(parts):
        used_devs, used_nodes = set(), set()
        for r in range(replicas):
            candidates = sorted(devices, key=lambda d: (d.id in used_devs, d.node in used_nodes,
                                                        -wanted[d.id], d.id))
            dev = candidates[0]
            table[r][part] = dev.id
            wanted[dev.id] -= 1
            used_devs.add(dev.id)
            used_nodes.add(dev.node)
    return Ring(part_power, replicas, devices, table, hash_prefix="",
                hash_suffix=hash_suffix if hash_suffix is not None else secrets.token_hex(8))


def describe(ring: Ring) -> str:
    """What `minicloud ring show` prints: the ring's shape and each device's share."""
    counts = ring.parts_per_device()
    total_weight = sum(d.weight for d in ring.devices) or 1
    lines = [f"object ring: {ring.partitions} partitions (part power {ring.part_power}), "
             f"{ring.replicas} replicas, {len(ring.devices)} devices",
             f"hash path suffix: {ring.hash_suffix}", "",
             f"{'id':>3}  {'node':<10} {'address':<21} {'device':<9} {'weight':>7} "
             f"{'partitions':>10} {'balance':>8}"]
    for d in ring.devices:
        want = ring.partitions * ring.replicas * d.weight / total_weight
        balance = (counts[d.id] - want) / want * 100 if want else 0.0
        lines.append(f"{d.id:>3}  {d.node:<10} {d.ip + ':' + str(d.port):<21} {d.device:<9} "
                     f"{d.weight:>7.1f} {counts[d.id]:>10} {balance:>7.2f}%")
    return "\n".join(lines)


def devices_from_config(config, ports: dict | None = None) -> list[Device]:
    """One device per storage node, at the node's port (`ports`: those the running nodes
    really have, else the configured ones)."""
    ports = ports or {}
    return [Device(id=i, node=name, ip=node_ip(config, name),
                   port=ports.get(name, config.storage_port(i)),
                   device="sdb1", weight=100.0)
            for i, name in enumerate(config.storage_node_names)]


def node_ip(config, name: str) -> str:
    """Where the proxy reaches storage node `name` (its management address where nodes
    have addresses of their own)."""
    return config.address_of(Topology.from_config(config).node(name))


def ensure_ring(config, ports: dict | None = None) -> Ring:
    """The cloud's ring: loaded from the data directory (device addresses refreshed, ports
    change between runs), or built on first start."""
    path = config.path(RING_FILE)
    if path.exists():
        ring = Ring.load(path)
        fresh = {d.node: d for d in devices_from_config(config, ports)}
        for d in ring.devices:
            if d.node in fresh:
                d.ip, d.port = fresh[d.node].ip, fresh[d.node].port
    else:
        ring = build(devices_from_config(config, ports), config.swift_part_power,
                     config.swift_replicas)
    ring.save(path)
    return ring


def place_node(config, name: str, port: int) -> None:
    """Record in the ring the port a storage node really has (it had to take another one
    than planned). Only the controller writes it (nodes.RingPlacer, told by the node over
    RPC); the proxy and the replicator see it within RingFile's check_every."""
    path = config.path(RING_FILE)
    ring = Ring.load(path)
    for device in ring.devices:
        if device.node == name:
            device.ip, device.port = node_ip(config, name), port
    ring.save(path)


class RingFile:
    """The ring as the proxy and replicator see it: re-read when `ring.json` changes."""

    def __init__(self, path: str | Path, check_every: float = 1.0):
        self.path = Path(path)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._seen = self._version()
        self._ring = Ring.load(self.path)
        self._checked = time.monotonic()

    def _version(self) -> tuple[int, int, int]:
        """What changes when ring.json is written again (by this process or another, the
        keeper's): a save replaces the file, so its inode changes even when two saves fall
        within one tick of the file system's clock."""
        stat = self.path.stat()
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def refresh(self) -> None:
        """Read the file at the next get() (it was just rewritten in this process)."""
        self._checked = float("-inf")

    def get(self) -> Ring:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            with self._lock:
                self._checked = now
                try:
                    seen = self._version()
                    if seen != self._seen:
                        self._ring, self._seen = Ring.load(self.path), seen
                except (OSError, ValueError):
                    pass  # a ring being replaced: keep the one we have
        return self._ring
