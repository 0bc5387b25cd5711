"""The "guest operating system" of a netns instance: the process netns_driver.py starts
inside the instance's network namespace (and its own UTS and mount namespaces).

It plays a small cirros: prints kernel-ish boot lines and sets the instance's hostname;
with `--hold` it then waits until the hypervisor has connected its disks and NICs (until the
driver writes to its stdin, as libvirt keeps a new domain paused until Neutron's
vif-plugged); it shows its disks under /mnt (a bind mount of the instance's `disks/`
directory, so volumes attached later appear too), asks for an address on every interface
with busybox `udhcpc` (kept running in the foreground, as a DHCP client daemon renews its
lease; each lease is announced with a gratuitous ARP), waits for the first lease, says
which key was installed, prints the login prompt, and then stays alive until it is
stopped. Everything it prints goes to its stdout, which the driver opened on the console
log (`openstack console log show`).

It uses the standard library alone: it runs with the driver's interpreter, by path, with
`-I -S` (no site-packages to scan: it starts faster).

    python3 netns_guest.py --hostname vm1 --instance-dir DIR [--key-name K] ...
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START = time.monotonic()

# udhcpc calls this at each DHCP event ($1: deconfig, bound, renew, leasefail, nak), with
# the lease in its environment ($interface $ip $mask $router $mtu $dns $lease $serverid).
EVENT_SCRIPT = r"""#!/bin/sh
# udhcpc event script of a minicloud netns instance (written by netns_guest.py).
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set dev "$interface" up
    ;;
  bound|renew)
    if [ -n "$mtu" ]; then ip link set dev "$interface" mtu "$mtu"; fi
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    # announce the address (gratuitous ARP), as DHCP clients do: a neighbour that asked
    # for it before the lease (its ARP entry still incomplete) learns the MAC now
    busybox arping -U -c 1 -I "$interface" "$ip" >/dev/null 2>&1 &
    for gw in $router; do
      ip route show default | grep -q . || ip route add default via "$gw" dev "$interface"
      break
    done
    if [ -n "$MINICLOUD_RESOLV" ] && [ -n "$dns" ]; then
      : > "$MINICLOUD_RESOLV"
      for server in $dns; do echo "nameserver $server" >> "$MINICLOUD_RESOLV"; done
    fi
    echo "Lease of $ip obtained on $interface from ${serverid:-?}, lease time ${lease:-?}" \
         "(mtu ${mtu:-unchanged}, router ${router:-none}), announced"
    if [ -n "$MINICLOUD_LEASES" ]; then echo "$ip" > "$MINICLOUD_LEASES/$interface"; fi
    ;;
  leasefail|nak)
    echo "No lease on $interface yet ($1), retrying"
    ;;
esac
exit 0
"""


def say(line: str) -> None:
    """A console line, stamped like the kernel's."""
    print(f"[{time.monotonic() - START:12.6f}] {line}", flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="netns_guest")
    p.add_argument("--hostname", required=True)
    p.add_argument("--instance-dir", required=True, type=Path)
    p.add_argument("--instance-id", default="")
    p.add_argument("--key-name", default="")
    p.add_argument("--host", default="?", help="the compute node (the 'hypervisor')")
    p.add_argument("--memory", default="?")
    p.add_argument("--vcpus", default="?")
    p.add_argument("--resolv", default="", help="the resolv.conf the lease's DNS goes to")
    p.add_argument("--lease-timeout", type=float, default=60.0)
    p.add_argument("--hold", action="store_true",
                   help="wait for a line (or end of file) on stdin before asking for leases")
    return p.parse_args(argv)


def interfaces() -> list[str]:
    """The instance's NICs: ip netns exec mounted a /sys of this namespace."""
    return sorted(n for n in os.listdir("/sys/class/net") if n != "lo")


def mac_of(ifname: str) -> str:
    return Path(f"/sys/class/net/{ifname}/address").read_text().strip()


def mtu_of(ifname: str) -> str:
    return Path(f"/sys/class/net/{ifname}/mtu").read_text().strip()


def set_hostname(name: str) -> None:
    """Only this process's UTS namespace (the driver started it with `unshare --uts`)."""
    try:
        socket.sethostname(name)
        say(f"hostname set to {name}")
    except OSError as exc:  # no UTS namespace of its own: leave the host's name alone
        say(f"hostname not set ({exc})")


def show_disks(disks: Path) -> None:
    """Bind the instance's disks directory on /mnt (this process has its own mount
    namespace), so a shell in the instance sees /mnt/vdb and friends."""
    disks.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "--bind", str(disks), "/mnt"], capture_output=True,
                          text=True)
    if done.returncode != 0:
        say(f"disks stay in {disks} ({done.stderr.strip()})")
    for disk in sorted(disks.iterdir()):
        say(f"virtio_blk: disk /dev/{disk.name} is /mnt/{disk.name} ({os.path.realpath(disk)})")


def start_dhcp(ifname: str, script: Path, hostname: str) -> subprocess.Popen:
    say(f"{ifname}: link up, mac {mac_of(ifname)}, mtu {mtu_of(ifname)}")
    print(f"Starting udhcpc on {ifname}: Sending discover...", flush=True)
    return subprocess.Popen(["udhcpc", "-f", "-i", ifname, "-s", str(script), "-t", "3",
                             "-T", "1", "-A", "2", "-O", "mtu", "-x", f"hostname:{hostname}"],
                            stdout=sys.stdout, stderr=sys.stdout)


def wait_for_lease(leases: Path, ifname: str, timeout: float) -> bool:
    """Until the event script has configured `ifname` and said so on the console."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (leases / ifname).exists():
            return True
        time.sleep(0.1)
    return False


def boot(args: argparse.Namespace) -> list[subprocess.Popen]:
    say(f"Linux version 6.1.0-minicloud (netns hypervisor on {args.host})")
    say(f"Command line: console=ttyS0 iid={args.instance_id}")
    say(f"Memory: {args.memory} MB, CPUs: {args.vcpus}")
    set_hostname(args.hostname)
    script = args.instance_dir / "udhcpc.script"
    script.write_text(EVENT_SCRIPT)
    script.chmod(0o755)
    leases = args.instance_dir / "leases"  # the event script notes each lease here
    shutil.rmtree(leases, ignore_errors=True)
    leases.mkdir()
    os.environ["MINICLOUD_LEASES"] = str(leases)
    if args.hold:
        say("virtio: waiting for the hypervisor to connect the disks and NICs")
        sys.stdin.buffer.readline()  # the driver: its bridge agent plugged them (or gave up)
    clients = [start_dhcp(ifname, script, args.hostname) for ifname in interfaces()]
    show_disks(args.instance_dir / "disks")  # while the first DHCP exchange goes on
    if clients and not wait_for_lease(leases, interfaces()[0], args.lease_timeout):
        say("no lease yet: the network is not answering (udhcpc keeps trying)")
    if args.key_name:
        print(f"cirros-ds 'net' up: key pair {args.key_name} installed in "
              "/home/cirros/.ssh/authorized_keys", flush=True)
    print(f"{args.hostname} login:", flush=True)
    return clients


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.resolv:
        os.environ["MINICLOUD_RESOLV"] = args.resolv
    # SIGTERM (power off): leave quietly; the DHCP clients share the process group and get
    # the signal from the driver too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    clients = boot(args)
    while True:
        for client in list(clients):
            if client.poll() is not None:
                say(f"udhcpc (pid {client.pid}) exited with {client.returncode}")
                clients.remove(client)
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
