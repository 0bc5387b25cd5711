"""The first program of every node container, its PID 1: a small init.

    python -m minicloud.dockermode.entry ROLE NAME

1. The network. Docker names a container's interfaces eth0, eth1, ... in an order of its
   own; each is renamed as the plan names it (mgmt, data, ext, api: topology.py), found by
   the address the launcher gave it, so a learner types `tcpdump -ni data` in every mode.
   /proc/sys is made writable (Docker mounts it read-only): the agents set per-namespace
   settings such as a router's ip_forward. Only the container's own network settings are
   written there.
2. The programs of the role, each a child process, started in order and restarted when
   one exits (the exit is logged). Their output goes to `docker logs` and to
   /var/lib/minicloud/logs/PROGRAM.log (the node's volume).
       controller   rabbitmq-server (its user and vhost: rabbit.py), then each of the
                    controller's services in a process of its own (controller.py): Keystone
                    once the broker takes connections, the others once Keystone answers
       the others   `minicloud node run`, once every API of the controller listens
3. SIGTERM (`docker stop`): the programs stop in reverse order, each given STOP_TIMEOUT
   seconds before SIGKILL. As PID 1 it also reaps the orphans (a dnsmasq whose agent died).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from minicloud.config import CONFIG_FILE, Config

STATE = Path("/var/lib/minicloud")  # the node's named volume
STOP_TIMEOUT = 8.0  # docker stop gives the init 10 s
RESTART_DELAY = (1.0, 30.0)  # after a crash: first delay, and the longest


def say(line: str) -> None:
    print(line, flush=True)


class Program:
    """A child process of the init, restarted when it exits unless the init is stopping."""

    def __init__(self, name: str, args: list[str], before=None):
        self.name, self.args, self.before = name, args, before
        self.pid: int | None = None
        self.exited = threading.Event()
        self.started_at = 0.0
        self.delay = RESTART_DELAY[0]

    def start(self) -> None:
        if self.before is not None:
            self.before()
        log = open(STATE / "logs" / f"{self.name}.log", "ab")
        process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.pid, self.started_at = process.pid, time.monotonic()
        self.exited.clear()
        say(f"*** init: started {self.name} (pid {self.pid})")
        threading.Thread(target=self._copy, args=(process.stdout, log), daemon=True).start()

    @staticmethod
    def _copy(pipe, log) -> None:
        with pipe, log:
            for line in pipe:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()
                log.write(line)
                log.flush()

    def next_delay(self) -> float:
        """1 s after a crash; doubled (up to 30 s) while it keeps crashing within 10 s."""
        quick = time.monotonic() - self.started_at < 10
        self.delay = min(self.delay * 2, RESTART_DELAY[1]) if quick else RESTART_DELAY[0]
        return self.delay


class Init:
    def __init__(self, programs: list[Program]):
        self.programs = programs
        self.stopping = threading.Event()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self._stop_soon())
        signal.signal(signal.SIGINT, lambda *_: self._stop_soon())
        threading.Thread(target=self._start_all, daemon=True).start()
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:  # no child yet: the starter is waiting for a service
                time.sleep(0.2)
                continue
            self._reaped(pid, os.waitstatus_to_exitcode(status))

    def _start_all(self) -> None:
        for program in self.programs:
            if self.stopping.is_set():
                return
            program.start()

    def _reaped(self, pid: int, code: int) -> None:
        program = next((p for p in self.programs if p.pid == pid), None)
        if program is None:
            return  # an orphan that ended
        program.pid = None
        program.exited.set()
        if self.stopping.is_set():
            return
        delay = program.next_delay()
        say(f"*** init: {program.name} exited with status {code}; restarting it in "
            f"{delay:.0f} s")
        threading.Timer(delay, self._restart, args=(program,)).start()

    def _restart(self, program: Program) -> None:
        if not self.stopping.is_set():
            program.start()

    def _stop_soon(self) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            threading.Thread(target=self._stop, daemon=True).start()

    def _stop(self) -> None:
        for program in reversed(self.programs):
            if program.pid is None:
                continue
            say(f"*** init: stopping {program.name}")
            os.kill(program.pid, signal.SIGTERM)
            if not program.exited.wait(STOP_TIMEOUT) and program.pid is not None:
                os.kill(program.pid, signal.SIGKILL)
                program.exited.wait(2)
        say("*** init: stopped")
        os._exit(0)


# --- what a node needs before its programs start -------------------------------------------

def name_interfaces(spec) -> None:
    """Each interface renamed as the plan names it, found by its address; the routes
    through it are put back (a link renamed must be down, which drops them). With `ip`
    itself: the init stays small (pyroute2 would cost it 10 MB in every container)."""
    from minicloud.topology import SHORT

    wanted = {spec.address(net): SHORT[net] for net in spec.networks}
    routes = [r for r in _ip_json("route", "show") if r.get("gateway")]
    for link in _ip_json("addr", "show"):
        names = {wanted.get(a["local"]) for a in link.get("addr_info", [])
                 if a.get("family") == "inet"} - {None}
        if not names or link["ifname"] in names:
            continue
        old, new = link["ifname"], names.pop()
        for args in (("down",), ("name", new), ("up",)):
            _ip("link", "set", "dev", old if args[0] != "up" else new, *args)
    for route in routes:
        _ip("route", "replace", route["dst"], "via", route["gateway"], check=False)


def _ip(*args: str, check: bool = True) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    if done.returncode != 0:
        say(f"*** init: ip {' '.join(args)}: {done.stderr.strip()}")


def _ip_json(*args: str) -> list[dict]:
    import json

    return json.loads(subprocess.run(["ip", "-j", "-4", *args], capture_output=True,
                                     text=True, check=True).stdout or "[]")


def writable_proc_sys() -> None:
    """Docker mounts /proc/sys read-only over the container's own (network-namespaced)
    /proc; unmounting that read-only copy leaves the writable one (needs SYS_ADMIN)."""
    if subprocess.run(["umount", "/proc/sys"], capture_output=True).returncode != 0:
        say("*** init: /proc/sys stays read-only (routers cannot forward)")


def wait_for_port(host: str, port: int) -> None:
    """Until something listens there (a service's API listens once it is built: Keystone's
    once its bootstrap is done). A socket, not an HTTP client: the init stays small."""
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def keystone(config) -> None:
    """Until the controller's Keystone listens (every service logs in to it first)."""
    wait_for_port(config.internal_host or config.host, config.port("identity"))


def controller(config) -> None:
    """Until every API of the controller listens: a node's agents and nova-compute call
    neutron-server and the conductor as they start, and RabbitMQ drops a call to a topic
    nobody consumes yet (the caller would wait out its timeout)."""
    for service in config.services:
        wait_for_port(config.internal_host or config.host, config.port(service))


def programs(role: str, name: str, config) -> list[Program]:
    python = sys.executable
    if role == "controller":
        from minicloud.dockermode import rabbit
        from minicloud.node import SERVICES

        rabbit.write_config(config.transport_url, STATE)
        started = [Program("rabbitmq", ["rabbitmq-server"])]
        for service, _ in SERVICES:  # Keystone first, once the broker takes connections;
            # then the others, once Keystone answers (they log in to it as they start)
            before = ((lambda: wait_for_port("127.0.0.1", rabbit.PORT)) if not started[1:]
                      else (lambda: keystone(config)))
            started.append(Program(service, [python, "-m", "minicloud.dockermode.controller",
                                             service], before=before))
        return started
    return [Program(name, [python, "-m", "minicloud", "--home", str(STATE), "node", "run",
                           "--role", role, "--name", name,
                           "--config", str(STATE / CONFIG_FILE)],
                    before=lambda: controller(config))]


def main(argv: list[str]) -> None:
    from minicloud.topology import Topology

    role, name = argv
    config = Config.load(STATE)
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    (STATE / "nodes").mkdir(mode=0o700, exist_ok=True)  # the node's control socket (agents)
    name_interfaces(Topology.from_config(config).place(name, role))
    writable_proc_sys()
    Init(programs(role, name, config)).run()


if __name__ == "__main__":
    main(sys.argv[1:])
