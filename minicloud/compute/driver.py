"""The virt driver interface (nova.virt.driver) and the `fake` driver.

The compute manager never touches a hypervisor itself: it asks its driver to spawn,
destroy, power on/off, reboot, pause, suspend, migrate, attach things and read the console.
This is the seam where the namespace and Docker drivers plug in; the `fake` driver is a
state machine in memory that takes `delay` seconds per operation (default 0) and writes a
console log that tells the boot story. Volumes reach it as Cinder's connection info; it
finds their disks through volume_drivers.py (the NFS share mounted under
`<state_path>/mnt`), as a real hypervisor would open them.
"""

from __future__ import annotations

import abc
import struct
import threading
import time
from pathlib import Path

from minicloud.compute import volume_drivers

# power_state values as Nova reports them (OS-EXT-STS:power_state).
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


class DriverError(Exception):
    """The hypervisor refused or failed an operation."""


class ComputeDriver(abc.ABC):
    """What every driver implements. `instance` is the instance dict the manager was sent;
    `network_info` a list of {port_id, network_name, ip, mac}."""

    hypervisor_type = "unknown"

    @abc.abstractmethod
    def spawn(self, instance: dict, image: dict, network_info: list[dict],
              block_device_info: list[dict] | None = None) -> None:
        """Start the guest. `block_device_info`: the mapped volumes (a volume-backed server's
        root disk is the one at /dev/vda), each with Cinder's `connection_info`."""
        ...

    def rebuild(self, instance: dict, image: dict, network_info: list[dict]) -> None:
        """The same guest from another image (drivers may keep its volumes plugged)."""
        self.destroy(instance)
        self.spawn(instance, image, network_info)

    @abc.abstractmethod
    def snapshot(self, instance: dict) -> bytes:
        """The guest's root disk as image bytes (createImage, shelve)."""
        ...

    @abc.abstractmethod
    def destroy(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def power_off(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def power_on(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def reboot(self, instance: dict, reboot_type: str) -> None:
        ...

    @abc.abstractmethod
    def pause(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def unpause(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def suspend(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def resume(self, instance: dict) -> None:
        ...

    @abc.abstractmethod
    def migrate_out(self, instance: dict) -> dict:
        """Leave this host; return what the destination needs (disk, memory, console)."""
        ...

    @abc.abstractmethod
    def migrate_in(self, instance: dict, state: dict, network_info: list[dict]) -> None:
        """Arrive on this host with what migrate_out returned."""
        ...

    @abc.abstractmethod
    def attach_volume(self, instance: dict, volume_id: str, device: str,
                      connection_info: dict | None = None) -> None:
        """Attach the disk Cinder describes in `connection_info` as `device` (this cloud's
        backend: {"driver_volume_type": "nfs", "data": {"export": "10.0.0.41:/...",
        "name": "volume-<id>", ...}}, see volume_drivers.py)."""
        ...

    @abc.abstractmethod
    def detach_volume(self, instance: dict, volume_id: str) -> None:
        ...

    @abc.abstractmethod
    def attach_interface(self, instance: dict, vif: dict) -> None:
        ...

    @abc.abstractmethod
    def detach_interface(self, instance: dict, port_id: str) -> None:
        ...

    @abc.abstractmethod
    def get_console_output(self, instance: dict) -> str:
        ...

    @abc.abstractmethod
    def power_state(self, instance: dict) -> int:
        ...

    # A driver has `host` and `mounts` (volume_drivers.Mounts under its state path).
    def _connect(self, connection_info: dict | None) -> Path:
        """The disk of a volume, its share mounted; what cannot be connected is a
        DriverError (an unknown kind of volume, a share without the disk)."""
        try:
            return volume_drivers.connect_volume(connection_info, self.mounts)
        except (volume_drivers.VolumeDriverNotFound, volume_drivers.VolumeConnectError,
                OSError) as exc:
            raise DriverError(f"{self.host}: cannot connect the volume: {exc}") from None

    def _connect_all(self, bdms: list[dict]) -> dict[str, Path]:
        """The disks of the mapped volumes that come with connection info (at unshelve, a
        volume connected before the shelve comes without: the hypervisor kept it)."""
        return {b["volume_id"]: self._connect(b["connection_info"]) for b in bdms
                if b.get("connection_info")}

    def destroy_evacuated(self, instance: dict) -> None:
        """This host came back after its server was evacuated: remove what is left of it
        here (the server itself now runs on another host)."""
        self.destroy(instance)

    def host_shutdown(self) -> None:
        """The host goes down (its node stops): what dies with a machine dies. recover()
        takes the instances back when it starts again."""

    @abc.abstractmethod
    def recover(self, instance: dict, power_state: int) -> None:
        """The host restarted: take back an instance the database says runs here."""
        ...

    @abc.abstractmethod
    def resources(self) -> dict:
        """What this host offers: vcpus, memory_mb, local_gb."""
        ...


class _FakeVM:
    def __init__(self, name: str):
        self.name = name
        self.state = NOSTATE
        self.console: list[str] = []
        self.volumes: dict[str, str] = {}
        self.vifs: dict[str, dict] = {}


class FakeDriver(ComputeDriver):
    """A hypervisor in a dictionary. `fail_spawn` (a set of instance names, or True) makes
    spawn raise, which tests use to see a reschedule. `state_path` is the host's own
    directory (Nova's state_path): volume shares are mounted under its `mnt/`."""

    hypervisor_type = "fake"

    def __init__(self, host: str, vcpus: int, memory_mb: int, local_gb: int,
                 delay: float = 0.0, clock=time.time, *, state_path: Path):
        self.host, self.delay, self.clock = host, delay, clock
        self.mounts = volume_drivers.Mounts(Path(state_path) / "mnt")
        self._resources = {"vcpus": vcpus, "memory_mb": memory_mb, "local_gb": local_gb}
        self.vms: dict[str, _FakeVM] = {}
        self.fail_spawn: set | bool = set()
        self._lock = threading.Lock()

    def resources(self) -> dict:
        return dict(self._resources)

    def _wait(self) -> None:
        if self.delay:
            time.sleep(self.delay)

    def _vm(self, instance: dict) -> _FakeVM:
        vm = self.vms.get(instance["id"])
        if vm is None:
            raise DriverError(f"Instance {instance['id']} is not on hypervisor {self.host}.")
        return vm

    def _log(self, vm: _FakeVM, line: str) -> None:
        vm.console.append(f"[{self.clock() % 10000:10.6f}] {line}")

    def spawn(self, instance, image, network_info, block_device_info=None):
        fail = self.fail_spawn
        if fail is True or (fail and instance.get("name") in fail):
            raise DriverError(f"fake hypervisor {self.host} could not start {instance['name']}")
        self._wait()
        disks = self._connect_all(block_device_info or [])
        vm = _FakeVM(instance["name"])
        with self._lock:
            self.vms[instance["id"]] = vm
        flavor = instance["flavor"]
        self._log(vm, f"Linux version 6.1.0-cirros (fake hypervisor on {self.host})")
        self._plug_disks(vm, image, block_device_info or [], disks)
        self._log(vm, f"Memory: {flavor['ram']} MB, CPUs: {flavor['vcpus']}, "
                      f"disk: {flavor['disk']} GB")
        for vif in network_info:
            self._log(vm, f"eth{len(vm.vifs)}: link up, mac {vif['mac']}")
            vm.vifs[vif["port_id"]] = vif
        for i, vif in enumerate(network_info):
            vm.console.append(f"Sending discover... Lease of {vif['ip']} obtained "
                              f"(eth{i}, network {vif['network_name']})")
        vm.console.append("checking http://169.254.169.254/2009-04-04/instance-id")
        vm.console.append(f"successful after 1/20 tries: up 1.00. iid={instance['id']}")
        if instance.get("key_name"):
            vm.console.append(f"cirros-ds 'net' up: key pair {instance['key_name']} installed "
                              "in /home/cirros/.ssh/authorized_keys")
        vm.console.append(f"login as 'cirros' user. default password: 'gocubsgo'. "
                          f"use 'sudo' for root.")
        vm.console.append(f"{instance['name']} login:")
        vm.state = RUNNING

    def _plug_disks(self, vm: _FakeVM, image: dict, bdms: list[dict],
                    disks: dict[str, Path]) -> None:
        """The boot story's root disk (a Cinder volume at /dev/vda when booted from one) and
        the mapped volumes, each with the disk it was connected to."""
        root = next((b for b in bdms if b["device_name"] == "/dev/vda"), None)
        if root is not None:
            self._log(vm, f"Command line: root=/dev/vda (volume {root['volume_id']})")
        else:
            self._log(vm, f"Command line: root=LABEL=cirros-rootfs image={image.get('name')}")
        for bdm in sorted(bdms, key=lambda b: b["device_name"]):
            vm.volumes[bdm["volume_id"]] = bdm["device_name"]
            if bdm["volume_id"] in disks:
                self._log(vm, f"virtio_blk: disk {bdm['device_name']} is "
                              f"{disks[bdm['volume_id']]}")

    def rebuild(self, instance, image, network_info):
        volumes = dict(self._vm(instance).volumes) if instance["id"] in self.vms else {}
        self.destroy(instance)
        self.spawn(instance, image, network_info)
        self.vms[instance["id"]].volumes.update(volumes)

    def snapshot(self, instance):
        """A small qcow2 whose header gives the flavor's disk as its virtual size."""
        self._wait()
        vm = self._vm(instance)
        size = max(instance["flavor"]["disk"], 1) * 1024 ** 3
        header = struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 0, 0, 16, size)
        story = (f"snapshot of {instance['name']} ({instance['id']}) taken on {self.host}\n"
                 + "\n".join(vm.console[-20:]) + "\n").encode()
        self._log(vm, "(disk snapshot taken by the hypervisor)")
        return header + bytes(512 - len(header)) + story

    def destroy(self, instance):
        self._wait()
        with self._lock:
            self.vms.pop(instance["id"], None)

    def _set(self, instance, state: int, line: str) -> None:
        self._wait()
        vm = self._vm(instance)
        vm.state = state
        self._log(vm, line)

    def power_off(self, instance):
        self._set(instance, SHUTDOWN, "reboot: Power down")

    def power_on(self, instance):
        self._set(instance, RUNNING, "Linux version 6.1.0-cirros: booting again (power on)")

    def reboot(self, instance, reboot_type):
        how = "restarting system" if reboot_type == "SOFT" else "hard reset by the hypervisor"
        self._set(instance, RUNNING, f"reboot: {how}; Linux version 6.1.0-cirros booting")

    def pause(self, instance):
        self._set(instance, PAUSED, "(vCPUs paused by the hypervisor)")

    def unpause(self, instance):
        self._set(instance, RUNNING, "(vCPUs running again)")

    def suspend(self, instance):
        self._set(instance, SUSPENDED, "PM: suspend to disk (memory saved by the hypervisor)")

    def resume(self, instance):
        self._set(instance, RUNNING, "PM: resume from disk")

    def migrate_out(self, instance):
        self._wait()
        with self._lock:
            vm = self.vms.pop(instance["id"], None)
        if vm is None:
            raise DriverError(f"Instance {instance['id']} is not on hypervisor {self.host}.")
        return {"state": vm.state, "console": vm.console, "volumes": vm.volumes}

    def migrate_in(self, instance, state, network_info):
        self._wait()
        vm = _FakeVM(instance["name"])
        vm.state = state.get("state", RUNNING)
        vm.console = list(state.get("console", []))
        vm.volumes = dict(state.get("volumes", {}))
        vm.vifs = {v["port_id"]: v for v in network_info}
        self._log(vm, f"(arrived on hypervisor {self.host})")
        with self._lock:
            self.vms[instance["id"]] = vm

    def attach_volume(self, instance, volume_id, device, connection_info=None):
        vm = self._vm(instance)
        path = self._connect(connection_info)
        vm.volumes[volume_id] = device
        self._log(vm, f"virtio_blk: new disk {device} (backed by {path})")

    def detach_volume(self, instance, volume_id):
        vm = self._vm(instance)
        self._log(vm, f"virtio_blk: disk {vm.volumes.pop(volume_id, '?')} removed")

    def attach_interface(self, instance, vif):
        vm = self._vm(instance)
        vm.vifs[vif["port_id"]] = vif
        self._log(vm, f"eth{len(vm.vifs) - 1}: link up, mac {vif['mac']}")

    def detach_interface(self, instance, port_id):
        vm = self._vm(instance)
        vm.vifs.pop(port_id, None)
        self._log(vm, f"interface of port {port_id} removed")

    def get_console_output(self, instance):
        return "\n".join(self._vm(instance).console) + "\n"

    def power_state(self, instance):
        vm = self.vms.get(instance["id"])
        return vm.state if vm else NOSTATE

    def recover(self, instance, power_state):
        vm = _FakeVM(instance["name"])
        vm.state = power_state
        vm.vifs = {v["port_id"]: v for v in instance["network_info"]}
        self._log(vm, f"(hypervisor {self.host} restarted: instance recovered)")
        with self._lock:
            self.vms.setdefault(instance["id"], vm)


DRIVERS = ("fake", "netns")


def load_driver(name: str, host: str, config) -> ComputeDriver:
    """The driver `name` (config.compute_driver) for the compute node `host`."""
    state_path = config.path("compute", host)
    if name == "netns":
        from minicloud.compute.netns_driver import PREFIX, NetnsDriver

        return NetnsDriver(host, config.compute_vcpus, config.compute_ram_mb,
                           config.compute_disk_gb, state_path=state_path,
                           prefix=config.namespace_prefix + PREFIX)
    if name != "fake":
        raise ValueError(f"unknown compute driver {name!r} (this cloud has: "
                         f"{', '.join(DRIVERS)})")
    return FakeDriver(host, config.compute_vcpus, config.compute_ram_mb, config.compute_disk_gb,
                      delay=config.fake_driver_delay, state_path=state_path)
