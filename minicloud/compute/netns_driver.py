"""The `netns` compute driver: an instance is a network namespace with a small guest process.

Where the fake driver keeps a dictionary, this one builds what a learner can look at with
`ip netns list`, `ip link`, `ps` and `tcpdump`, on the compute node (the namespace this
driver runs in, or `node_netns`):

    qvm-<instance id[:11]>      the instance's network namespace (`ip netns list`)
      eth0 (the port's MAC, MTU)    one veth end per port ...
    tap<port id[:11]>           ... whose peer stays on the compute node (up while the
                                instance runs) for the Linux bridge agent to plug into
                                brq<network id[:11]>
    the guest                   netns_guest.py in the instance's namespace with its own
                                hostname (UTS namespace): DHCP with udhcpc, console log,
                                alive until stopped
    <state_path>/instances/<id>/    instance.json (what recover() reads back), console.log,
                                disks/ (attached volumes, seen as /mnt/<device> inside)

Power actions do the visible thing: stop = guest killed, NICs and taps down, addresses gone;
start = links up, guest boots again (a new DHCP exchange); reboot = both; pause and suspend = the
guest's processes stopped (SIGSTOP to its process group) and its tap down, so it answers
nothing; unpause and resume undo that. Cold and live migration move the state (console,
volumes, power state) and build the instance again on the destination with the same ports:
same MAC, and the same IP from DHCP. A live migration is therefore a short outage here.

LIMITATIONS: the MTU is not in Nova's network_info yet (a vif's `mtu` is used when present,
else `default_mtu`, 1450 as for a VXLAN network); the guest has no disk of its own (a
snapshot is a stub qcow2 with the console's story, as the fake driver's); volumes are
files (symlinks to the disk on the share), not block devices; rebuild restarts the guest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from minicloud.compute import volume_drivers
from minicloud.compute.driver import (NOSTATE, PAUSED, RUNNING, SHUTDOWN, SUSPENDED,
                                      ComputeDriver, DriverError)
from minicloud.netns import plumbing

PREFIX = "qvm-"
GUEST = Path(__file__).with_name("netns_guest.py")
STOP_TIMEOUT = 5.0


def netns_name(instance_id: str, prefix: str = PREFIX) -> str:
    return prefix + instance_id[:11]


def tap_name(port_id: str) -> str:
    """Neutron's device name of a port on the host side (IFNAMSIZ allows 11 of the id)."""
    return "tap" + port_id[:11]


def hostname(name: str) -> str:
    """A server's display name as a hostname (Nova sanitizes it alike): `My VM_1` ->
    `my-vm-1`."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    return "-".join(filter(None, cleaned.split("-")))[:63] or "server"


def instance_dir(state_path: Path, instance_id: str) -> Path:
    return Path(state_path) / "instances" / instance_id


def load_record(state_path: Path, instance_id: str) -> dict | None:
    """What the driver keeps of an instance (instance.json), or None."""
    path = instance_dir(state_path, instance_id) / "instance.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def guest_alive(pid: int | None, directory: Path) -> bool:
    """Is `pid` this instance's guest (not a zombie, not a recycled PID)?"""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and str(directory) in cmdline


def guest_stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "Tt"
    except OSError:
        return False


class NetnsDriver(ComputeDriver):
    """Instances as network namespaces on this compute node. `node_netns`: the namespace
    the taps go to (None: the one this process runs in, as on a real compute node);
    `prefix`: of the instances' namespaces (tests use one starting with `mct`)."""

    hypervisor_type = "netns"

    def __init__(self, host: str, vcpus: int, memory_mb: int, local_gb: int, *,
                 state_path: Path, node_netns: str | None = None, prefix: str = PREFIX,
                 default_mtu: int = 1450, lease_timeout: float = 30.0,
                 vif_plug_timeout: float = 3.0):
        """`vif_plug_timeout`: how long a new server's guest waits for the bridge agent to
        plug its taps before it boots anyway (Nova's vif_plugging_timeout, not fatal):
        a guest that boots first loses its first DHCP request."""
        self.host, self.prefix, self.default_mtu = host, prefix, default_mtu
        self.lease_timeout, self.vif_plug_timeout = lease_timeout, vif_plug_timeout
        self.state_path = Path(state_path)
        self.mounts = volume_drivers.Mounts(self.state_path / "mnt")
        self._resources = {"vcpus": vcpus, "memory_mb": memory_mb, "local_gb": local_gb}
        self.node = plumbing.Namespace(node_netns)
        self.vms: dict[str, dict] = {}
        self._namespaces: dict[str, plumbing.Namespace] = {}
        self._children: dict[int, subprocess.Popen] = {}  # guests this process started
        self._lock = threading.RLock()  # one netlink handle per namespace, not thread-safe

    def resources(self) -> dict:
        return dict(self._resources)

    # -- records ----------------------------------------------------------------------------
    def _dir(self, vm_or_id) -> Path:
        return instance_dir(self.state_path, vm_or_id if isinstance(vm_or_id, str)
                            else vm_or_id["id"])

    def _save(self, vm: dict) -> None:
        path = self._dir(vm) / "instance.json"
        tmp = path.with_name(".instance.json.tmp")
        tmp.write_text(json.dumps(vm, indent=2) + "\n")
        tmp.replace(path)

    def _vm(self, instance: dict) -> dict:
        with self._lock:
            vm = self.vms.get(instance["id"]) or load_record(self.state_path, instance["id"])
            if vm is None or not plumbing.exists(vm["netns"]):
                raise DriverError(f"Instance {instance['id']} is not on hypervisor {self.host}.")
            self.vms[instance["id"]] = vm
            return vm

    def _new_vm(self, instance: dict) -> dict:
        vm = {"id": instance["id"], "name": instance["name"], "host": self.host,
              "netns": netns_name(instance["id"], self.prefix), "state": NOSTATE, "pid": None,
              "key_name": instance.get("key_name") or "", "flavor": instance.get("flavor") or {},
              "vifs": [], "volumes": {}}
        self._dir(vm).joinpath("disks").mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.vms[vm["id"]] = vm
        self._save(vm)  # before anything is made: destroy() finds what to remove
        return vm

    def _log(self, vm: dict, line: str) -> None:
        """A line of the hypervisor's own on the console (the guest writes the others)."""
        with open(self._dir(vm) / "console.log", "a") as console:
            console.write(f"[{time.time() % 10000:12.6f}] {line}\n")

    # -- plumbing ---------------------------------------------------------------------------
    def _ns(self, vm: dict) -> plumbing.Namespace:
        """The instance's namespace (made if missing), with its own resolv.conf."""
        with self._lock:
            ns = self._namespaces.get(vm["netns"])
            if ns is None:
                ns = self._namespaces[vm["netns"]] = plumbing.Namespace.create(vm["netns"])
                resolv = Path("/etc/netns", vm["netns"], "resolv.conf")
                resolv.parent.mkdir(parents=True, exist_ok=True)  # the lease's DNS goes
                resolv.touch()  # here, never into the host's /etc/resolv.conf
            return ns

    def _plug(self, vm: dict, vif: dict) -> dict:
        """eth<N> in the instance with the port's MAC and the network's MTU; its peer
        tap<port> on the node, up, left for the bridge agent to enslave."""
        used = {v["ifname"] for v in vm["vifs"]}
        ifname = next(f"eth{i}" for i in range(len(used) + 1) if f"eth{i}" not in used)
        plugged = {"port_id": vif["port_id"], "mac": vif["mac"], "ip": vif.get("ip"),
                   "network_id": vif.get("network_id"),
                   "network_name": vif.get("network_name"), "ifname": ifname,
                   "tap": tap_name(vif["port_id"]), "mtu": vif.get("mtu") or self.default_mtu}
        with self._lock:
            plumbing.veth(self.node, plugged["tap"], self._ns(vm), ifname,
                          mtu=plugged["mtu"], mac=vif["mac"])
        vm["vifs"].append(plugged)
        self._log(vm, f"{ifname}: plugged, mac {vif['mac']}, mtu {plugged['mtu']}, peer "
                      f"{plugged['tap']} on {self.host} (network {vif.get('network_name')})")
        return plugged

    def _wait_plugged(self, vm: dict) -> None:
        """Until every tap of the server is in a bridge (the agent plugged it), at most
        `vif_plug_timeout` seconds."""
        deadline = time.monotonic() + self.vif_plug_timeout
        while time.monotonic() < deadline:
            with self._lock:
                masters = [self.node.ipr.get_links(self.node.require(vif["tap"]))[0]
                           .get_attr("IFLA_MASTER") for vif in vm["vifs"]]
            if all(masters):
                self._log(vm, "network: every port plugged by the bridge agent")
                return
            time.sleep(0.05)
        if vm["vifs"]:
            self._log(vm, f"network: ports not plugged after {self.vif_plug_timeout:g} s, "
                          "booting anyway")

    def _links(self, vm: dict, up: bool, *, taps: bool = False) -> None:
        """Set the instance's NICs (or, `taps`, their peers on the node) up or down; a NIC
        going down loses its addresses (the guest's memory is gone)."""
        with self._lock:
            ns = self.node if taps else self._ns(vm)
            for vif in vm["vifs"]:
                name = vif["tap"] if taps else vif["ifname"]
                if ns.index(name) is None:
                    continue
                if up:
                    ns.up(name)
                else:
                    ns.down(name)
                    if not taps:
                        self._flush(ns, name)

    def _cables(self, vm: dict, up: bool) -> None:
        """Both ends: a stopped instance's NICs and taps are down (the agent leaves a tap's
        up or down to its owner)."""
        self._links(vm, up)
        self._links(vm, up, taps=True)

    @staticmethod
    def _flush(ns: plumbing.Namespace, ifname: str) -> None:
        index = ns.require(ifname)
        for addr in ns.ipr.get_addr(index=index):
            ns.ipr.addr("del", index=index, address=addr.get_attr("IFA_ADDRESS"),
                        prefixlen=addr["prefixlen"])

    def _unplug_all(self, vm: dict) -> None:
        with self._lock:
            for vif in vm["vifs"]:
                self.node.delete_link(vif["tap"])
            ns = self._namespaces.pop(vm["netns"], None) or plumbing.Namespace(vm["netns"])
            ns.delete()
            shutil.rmtree(Path("/etc/netns", vm["netns"]), ignore_errors=True)

    # -- the guest --------------------------------------------------------------------------
    def guest_command(self, vm: dict, hold: bool = False) -> list[str]:
        """The guest, in the instance's namespace, with a hostname and mounts of its own;
        `hold`: it waits for a line on its stdin before it looks at its disks and NICs
        (see _start_guest)."""
        flavor = vm["flavor"]
        return plumbing.Namespace(vm["netns"]).command(
            "unshare", "--uts", "--mount", sys.executable, "-I", "-S", str(GUEST),
            *(["--hold"] if hold else []),
            "--hostname", hostname(vm["name"]), "--instance-dir", str(self._dir(vm)),
            "--instance-id", vm["id"], "--key-name", vm["key_name"], "--host", self.host,
            "--memory", str(flavor.get("ram", "?")), "--vcpus", str(flavor.get("vcpus", "?")),
            "--resolv", f"/etc/netns/{vm['netns']}/resolv.conf",
            "--lease-timeout", str(self.lease_timeout))

    def _start_guest(self, vm: dict, hold: bool = False):
        """The guest process. `hold`: it waits before it looks at its disks and NICs until
        the caller writes a line to (or closes) the returned pipe, its stdin: a new server's
        interpreter starts while the driver plugs its NICs and disks and the bridge agent
        its taps (libvirt starts the domain paused until vif-plugged), and its first DHCP
        request is not lost."""
        with open(self._dir(vm) / "console.log", "ab") as console:
            proc = subprocess.Popen(self.guest_command(vm, hold),
                                    stdin=subprocess.PIPE if hold else subprocess.DEVNULL,
                                    stdout=console, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=self._dir(vm))
        self._children[proc.pid] = proc
        vm["pid"] = proc.pid
        return proc.stdin

    @staticmethod
    def _release(hold) -> None:
        """Let a held guest go on (a guest that died meanwhile is fine: the pipe breaks)."""
        try:
            hold.write(b"go\n")
            hold.close()
        except OSError:
            pass

    def _signal(self, vm: dict, sig: int, *, check: bool = True) -> None:
        """`sig` to the guest's process group (the guest and its DHCP clients); `check`:
        only if the guest is alive (a recorded PID may since belong to another process)."""
        if vm.get("pid") and (not check or guest_alive(vm["pid"], self._dir(vm))):
            try:
                os.killpg(vm["pid"], sig)
            except ProcessLookupError:
                pass

    def _stop_guest(self, vm: dict) -> None:
        """SIGTERM (and SIGCONT, should it be paused), SIGKILL if it lingers; reaped."""
        pid = vm.get("pid")
        if not pid:
            return
        if guest_alive(pid, self._dir(vm)):
            self._signal(vm, signal.SIGTERM)
            self._signal(vm, signal.SIGCONT, check=False)
            deadline = time.monotonic() + STOP_TIMEOUT
            while self._group_left(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            # While any of the group lives its id is not reused: still the guest's.
            self._signal(vm, signal.SIGKILL, check=False)
        self._group_left(pid)
        self._children.pop(pid, None)
        vm["pid"] = None

    def _group_left(self, pgid: int) -> bool:
        """Reap the guest if it is our child; is anything of its process group left?"""
        child = self._children.get(pgid)
        if child is not None:
            child.poll()
        else:  # a guest of an earlier driver in this process (a node restarted in-process)
            try:
                os.waitpid(pgid, os.WNOHANG)
            except ChildProcessError:  # not ours: its parent (init) reaps it
                pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True

    # -- spawn and destroy ------------------------------------------------------------------
    def spawn(self, instance, image, network_info, block_device_info=None):
        disks = self._connect_all(block_device_info or [])
        vm = self._new_vm(instance)
        try:
            self._log(vm, f"netns hypervisor {self.host}: creating {vm['netns']} for "
                          f"{instance['name']} (image {image.get('name')})")
            self._ns(vm)
            hold = self._start_guest(vm, hold=True)  # its interpreter starts meanwhile
            try:
                for vif in network_info:
                    self._plug(vm, vif)
                for bdm in block_device_info or []:
                    self._link_disk(vm, bdm["volume_id"], bdm["device_name"],
                                    disks.get(bdm["volume_id"]))
                self._wait_plugged(vm)
            finally:
                self._release(hold)
        except (plumbing.PlumbingError, OSError, ValueError) as exc:
            self.destroy(instance)
            raise DriverError(f"{self.host}: could not start {instance['name']}: {exc}") from exc
        vm["state"] = RUNNING
        self._save(vm)

    def destroy(self, instance):
        """Guest, taps, namespace and records gone; nothing there is fine. Without a record
        nothing is touched: the namespace's name is the same on every node of a machine,
        and after a migration it belongs to the other node (confirm_resize destroys here)."""
        with self._lock:
            vm = self.vms.pop(instance["id"], None) or load_record(self.state_path,
                                                                     instance["id"])
        if vm is not None:
            self._stop_guest(vm)
            self._unplug_all(vm)
        shutil.rmtree(self._dir(instance["id"]), ignore_errors=True)

    def destroy_evacuated(self, instance):
        """The guest, taps and records this node kept, but not the namespace: its name is
        the same on every node of a machine, and the evacuated server now runs in it."""
        with self._lock:
            vm = self.vms.pop(instance["id"], None) or load_record(self.state_path,
                                                                     instance["id"])
            if vm is not None:
                self._stop_guest(vm)
                for vif in vm["vifs"]:
                    self.node.delete_link(vif["tap"])
        shutil.rmtree(self._dir(instance["id"]), ignore_errors=True)

    def rebuild(self, instance, image, network_info):
        """The same namespace and ports, the guest booted again (it has no disk to swap)."""
        if load_record(self.state_path, instance["id"]) is None:
            return self.spawn(instance, image, network_info)
        vm = self._vm(instance)
        self._stop_guest(vm)
        self._links(vm, False)
        self._log(vm, f"rebuild: root disk replaced by image {image.get('name')}")
        self._cables(vm, True)
        self._start_guest(vm)
        vm["state"] = RUNNING
        self._save(vm)

    def snapshot(self, instance):
        """A small qcow2 whose header gives the flavor's disk as its virtual size."""
        vm = self._vm(instance)
        size = max(int(vm["flavor"].get("disk") or 1), 1) * 1024 ** 3
        header = struct.pack(">4sIQIIQ", b"QFI\xfb", 3, 0, 0, 16, size)
        story = (f"snapshot of {vm['name']} ({vm['id']}) taken on {self.host}\n"
                 + "\n".join(self.get_console_output(instance).splitlines()[-20:]) + "\n")
        self._log(vm, "(disk snapshot taken by the hypervisor)")
        return header + bytes(512 - len(header)) + story.encode()

    # -- power ------------------------------------------------------------------------------
    def power_off(self, instance):
        vm = self._vm(instance)
        self._stop_guest(vm)
        self._cables(vm, False)
        self._log(vm, "reboot: Power down")
        vm["state"] = SHUTDOWN
        self._save(vm)

    def power_on(self, instance):
        vm = self._vm(instance)
        if guest_alive(vm.get("pid"), self._dir(vm)):
            return
        self._cables(vm, True)
        self._log(vm, "power on: booting again")
        self._start_guest(vm)
        vm["state"] = RUNNING
        self._save(vm)

    def reboot(self, instance, reboot_type):
        vm = self._vm(instance)
        how = "Restarting system" if reboot_type == "SOFT" else "hard reset by the hypervisor"
        self._stop_guest(vm)
        self._links(vm, True, taps=True)
        self._links(vm, False)
        self._log(vm, f"reboot: {how}")
        self._links(vm, True)
        self._start_guest(vm)
        vm["state"] = RUNNING
        self._save(vm)

    def _freeze(self, instance, state: int, line: str) -> None:
        vm = self._vm(instance)
        if not guest_alive(vm.get("pid"), self._dir(vm)):
            raise DriverError(f"Instance {instance['id']} is not running on {self.host}.")
        self._signal(vm, signal.SIGSTOP)
        self._links(vm, False, taps=True)
        self._log(vm, line)
        vm["state"] = state
        self._save(vm)

    def _thaw(self, instance, line: str) -> None:
        vm = self._vm(instance)
        self._links(vm, True, taps=True)
        self._signal(vm, signal.SIGCONT)
        self._log(vm, line)
        vm["state"] = RUNNING
        self._save(vm)

    def pause(self, instance):
        self._freeze(instance, PAUSED, "(guest processes stopped, taps down: paused)")

    def unpause(self, instance):
        self._thaw(instance, "(guest processes running again)")

    def suspend(self, instance):
        self._freeze(instance, SUSPENDED, "PM: suspend (guest processes stopped, taps down)")

    def resume(self, instance):
        self._thaw(instance, "PM: resume")

    def power_state(self, instance):
        vm = self.vms.get(instance["id"]) or load_record(self.state_path, instance["id"])
        if vm is None or not plumbing.exists(vm["netns"]):
            return NOSTATE
        if vm["state"] in (RUNNING, PAUSED, SUSPENDED) and not guest_alive(
                vm.get("pid"), self._dir(vm)):
            return SHUTDOWN  # the guest died (or was killed): the instance is off
        return vm["state"]

    # -- migration --------------------------------------------------------------------------
    def migrate_out(self, instance):
        """Leave this node: what the destination rebuilds the instance from."""
        vm = self._vm(instance)
        state = {"state": vm["state"], "console": self.get_console_output(instance),
                 "volumes": dict(vm["volumes"]), "disks": self._disk_targets(vm)}
        self.destroy(instance)
        return state

    def migrate_in(self, instance, state, network_info):
        """The instance again on this node: the same ports (MAC, and IP by DHCP)."""
        vm = self._new_vm(instance)
        self._dir(vm).joinpath("console.log").write_text(state.get("console", ""))
        self._log(vm, f"(arrived on hypervisor {self.host})")
        self._build(vm, network_info, state.get("state", RUNNING))
        for volume_id, device in state.get("volumes", {}).items():
            self._link_disk(vm, volume_id, device, state.get("disks", {}).get(device))
        self._save(vm)

    def _build(self, vm: dict, network_info: list[dict], power_state: int) -> None:
        """Namespace, ports and (unless the instance is off) the guest, in `power_state`."""
        self._ns(vm)
        for vif in network_info:
            self._plug(vm, vif)
        vm["state"] = power_state
        if power_state == SHUTDOWN:
            self._cables(vm, False)
            return
        self._start_guest(vm)
        if power_state in (PAUSED, SUSPENDED):
            self._signal(vm, signal.SIGSTOP)
            self._links(vm, False, taps=True)

    def host_shutdown(self) -> list[str]:
        """The node goes down (`minicloud down` in the netns mode): every guest stopped and
        every namespace removed, records and consoles kept, so that recover() builds the
        instances again when the node is back. The ids of the instances it shut down."""
        done = []
        for record in sorted((self.state_path / "instances").glob("*/instance.json")):
            vm = load_record(self.state_path, record.parent.name)
            if vm is None:
                continue
            self._stop_guest(vm)
            self._unplug_all(vm)
            self._log(vm, f"(hypervisor {self.host} shut down)")
            self._save(vm)
            with self._lock:
                self.vms.pop(vm["id"], None)
            done.append(vm["id"])
        return done

    def recover(self, instance, power_state):
        """This node restarted: adopt the instance if its namespace is still there, else
        build it again from the network_info Nova keeps."""
        vm = load_record(self.state_path, instance["id"])
        if vm is not None and plumbing.exists(vm["netns"]):
            with self._lock:
                self.vms[vm["id"]] = vm
            self._log(vm, f"(hypervisor {self.host} restarted: instance adopted)")
            if power_state == RUNNING and not guest_alive(vm.get("pid"), self._dir(vm)):
                self._cables(vm, True)
                self._start_guest(vm)
            vm["state"] = power_state
            self._save(vm)
            return
        volumes = (vm or {}).get("volumes", {})
        disks = self._disk_targets(vm) if vm else {}
        vm = self._new_vm(instance)
        self._log(vm, f"(hypervisor {self.host} restarted: instance built again)")
        self._build(vm, instance.get("network_info") or [], power_state)
        for volume_id, device in volumes.items():
            self._link_disk(vm, volume_id, device, disks.get(device))
        self._save(vm)

    # -- volumes ----------------------------------------------------------------------------
    def _link_disk(self, vm: dict, volume_id: str, device: str, path) -> None:
        """disks/<vdb> -> the volume's file: the guest sees it as /mnt/vdb."""
        vm["volumes"][volume_id] = device
        if path is None:
            return
        link = self._dir(vm) / "disks" / Path(device).name
        if link.is_symlink():
            link.unlink()
        link.symlink_to(path)

    def _disk_targets(self, vm: dict) -> dict[str, str]:
        disks = self._dir(vm) / "disks"
        return {f"/dev/{link.name}": os.readlink(link) for link in sorted(disks.iterdir())
                if link.is_symlink()} if disks.is_dir() else {}

    def attach_volume(self, instance, volume_id, device, connection_info=None):
        vm = self._vm(instance)
        path = self._connect(connection_info)
        self._link_disk(vm, volume_id, device, path)
        self._log(vm, f"virtio_blk: new disk {device} is /mnt/{Path(device).name} ({path})")
        self._save(vm)

    def detach_volume(self, instance, volume_id):
        vm = self._vm(instance)
        device = vm["volumes"].pop(volume_id, "?")
        link = self._dir(vm) / "disks" / Path(device).name
        if link.is_symlink():
            link.unlink()
        self._log(vm, f"virtio_blk: disk {device} removed")
        self._save(vm)

    # -- interfaces -------------------------------------------------------------------------
    def attach_interface(self, instance, vif):
        """A new NIC; a running guest asks DHCP for its address once (udhcpc -q)."""
        vm = self._vm(instance)
        plugged = self._plug(vm, vif)
        self._save(vm)
        if vm["state"] == RUNNING:
            script = self._dir(vm) / "udhcpc.script"
            with open(self._dir(vm) / "console.log", "ab") as console:
                proc = plumbing.Namespace(vm["netns"]).popen(
                    "udhcpc", "-q", "-f", "-n", "-i", plugged["ifname"], "-s", str(script),
                    "-t", "10", "-T", "1", stdin=subprocess.DEVNULL, stdout=console,
                    stderr=subprocess.STDOUT, start_new_session=True)
            threading.Thread(target=proc.wait, daemon=True).start()  # reaped when done

    def detach_interface(self, instance, port_id):
        vm = self._vm(instance)
        vif = next((v for v in vm["vifs"] if v["port_id"] == port_id), None)
        if vif is None:
            return
        with self._lock:
            self.node.delete_link(vif["tap"])
        vm["vifs"].remove(vif)
        self._log(vm, f"{vif['ifname']}: removed (port {port_id})")
        self._save(vm)

    def get_console_output(self, instance):
        try:
            return (self._dir(instance["id"]) / "console.log").read_text(errors="replace")
        except OSError:
            raise DriverError(f"Instance {instance['id']} is not on hypervisor "
                              f"{self.host}.") from None
