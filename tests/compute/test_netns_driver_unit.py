"""The netns compute driver's parts that need no root: choosing it, its names and records,
the guest's udhcpc event script (run with a stand-in `ip`), and `minicloud console`'s way
into an instance. The real namespaces are tested in tests/netns/test_netns_driver.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from minicloud.cli import console
from minicloud.cli import main as cli_main
from minicloud.cli import parser
from minicloud.compute import netns_driver, netns_guest
from minicloud.compute.driver import NOSTATE, DriverError, FakeDriver, load_driver
from minicloud.config import Config
from tests.fakes import wait_for

ID = "0f2194ab-7590-486a-a59d-4661d5d38fe4"


def test_the_config_chooses_the_driver(tmp_path):
    config = Config(home=tmp_path)
    assert config.compute_driver == "fake"
    assert isinstance(load_driver(config.compute_driver, "compute1", config), FakeDriver)
    driver = load_driver("netns", "compute1", config)
    assert driver.hypervisor_type == "netns"
    assert driver.state_path == tmp_path / "compute" / "compute1"
    assert driver.resources() == {"vcpus": config.compute_vcpus,
                                  "memory_mb": config.compute_ram_mb,
                                  "local_gb": config.compute_disk_gb}
    with pytest.raises(ValueError, match="fake, netns"):
        load_driver("xen", "compute1", config)


def test_names_fit_the_kernel():
    assert netns_driver.tap_name(ID) == "tap0f2194ab-75"
    assert len(netns_driver.tap_name(ID)) <= 15
    assert netns_driver.netns_name(ID) == "qvm-0f2194ab-75"
    assert netns_driver.hostname("My VM_1") == "my-vm-1"
    assert netns_driver.hostname("--") == "server"
    assert len(netns_driver.hostname("x" * 100)) == 63


def test_an_unknown_instance_has_no_state_and_no_console(tmp_path):
    driver = netns_driver.NetnsDriver("compute1", 1, 512, 1, state_path=tmp_path)
    instance = {"id": ID, "name": "vm1"}
    assert driver.power_state(instance) == NOSTATE
    with pytest.raises(DriverError, match="not on hypervisor compute1"):
        driver.get_console_output(instance)
    with pytest.raises(DriverError):
        driver.power_on(instance)
    driver.destroy(instance)  # nothing there: fine, and nothing touched
    assert not (tmp_path / "instances").exists()


def test_the_guest_runs_in_the_instance_with_a_hostname_of_its_own(tmp_path):
    driver = netns_driver.NetnsDriver("compute1", 1, 512, 1, state_path=tmp_path)
    vm = {"id": ID, "name": "vm1", "netns": "qvm-0f2194ab-75", "key_name": "",
          "flavor": {"ram": 512, "vcpus": 1}}
    argv = driver.guest_command(vm)
    assert argv[:6] == ["ip", "netns", "exec", "qvm-0f2194ab-75", "unshare", "--uts"]
    assert str(netns_driver.GUEST) in argv and netns_driver.GUEST.is_file()
    assert argv[argv.index("--hostname") + 1] == "vm1"


def _fake_ip(tmp_path):
    """An `ip` that writes down its arguments (and shows no default route)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ip"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/ip.calls\n')
    fake.chmod(0o755)
    return bin_dir


def test_the_event_script_configures_what_the_lease_says(tmp_path):
    script = tmp_path / "udhcpc.script"
    script.write_text(netns_guest.EVENT_SCRIPT)
    script.chmod(0o755)
    resolv = tmp_path / "resolv.conf"
    env = {"PATH": f"{_fake_ip(tmp_path)}:/usr/bin:/bin", "interface": "eth0",
           "ip": "10.0.0.5", "mask": "24", "router": "10.0.0.1 10.0.0.254", "mtu": "1450",
           "dns": "10.0.0.2", "lease": "86400", "serverid": "10.0.0.2",
           "MINICLOUD_RESOLV": str(resolv), "MINICLOUD_LEASES": str(tmp_path)}
    done = subprocess.run([str(script), "bound"], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert "Lease of 10.0.0.5 obtained on eth0 from 10.0.0.2, lease time 86400" in done.stdout
    calls = (tmp_path / "ip.calls").read_text().splitlines()
    assert calls == ["link set dev eth0 mtu 1450", "-4 addr flush dev eth0",
                     "addr add 10.0.0.5/24 dev eth0", "route show default",
                     "route add default via 10.0.0.1 dev eth0"]
    assert resolv.read_text() == "nameserver 10.0.0.2\n"
    assert (tmp_path / "eth0").read_text() == "10.0.0.5\n"  # what the guest waits for


def _record(state_path, pid):
    directory = netns_driver.instance_dir(state_path, ID)
    directory.mkdir(parents=True)
    (directory / "instance.json").write_text(json.dumps(
        {"id": ID, "name": "vm1", "netns": "qvm-0f2194ab-75", "pid": pid}))
    return directory


def test_console_enters_the_guest_or_else_the_namespace(tmp_path):
    with pytest.raises(console.ConsoleError, match="no netns instance"):
        console.entry_command(tmp_path, ID, [])
    directory = _record(tmp_path, pid=None)
    assert console.entry_command(tmp_path, ID, ["hostname"]) == \
        ["ip", "netns", "exec", "qvm-0f2194ab-75", "hostname"]
    guest = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                              str(directory)])
    try:
        (directory / "instance.json").write_text(json.dumps(
            {"id": ID, "name": "vm1", "netns": "qvm-0f2194ab-75", "pid": guest.pid}))
        # until the child has exec'd, /proc shows pytest's command line, not the guest's
        assert wait_for(lambda: netns_driver.guest_alive(guest.pid, directory))
        argv = console.entry_command(tmp_path, ID, [])
        assert argv[:3] == ["nsenter", "-t", str(guest.pid)]
        assert argv[-3:] == ["/bin/bash", "--norc", "-i"]  # no command: a shell
    finally:
        guest.kill()
        guest.wait()
    assert not netns_driver.guest_alive(guest.pid, directory)


def test_console_command_line(tmp_path, capsys):
    args = parser().parse_args(["console", "vm1", "--", "sh", "-c", "exit 3"])
    assert (args.server, args.cmd) == ("vm1", ["sh", "-c", "exit 3"])
    assert cli_main(["--home", str(tmp_path), "console", "vm1"]) == 1  # no cloud there
    assert "minicloud console: could not reach the cloud" in capsys.readouterr().err
