"""Running the cloud as a background process: start it, find it by its PID file, stop it.

`minicloud up` starts `minicloud up --foreground` detached, shows its narration from the
log file, and returns once every endpoint answers. The PID file names the running cloud;
one whose process is gone (a crash, a reboot) is stale and is cleaned up.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

PID_FILE = "minicloud.pid"
LOG_FILE = "minicloud.log"


def pid_file(config) -> Path:
    return config.path(PID_FILE)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a recycled pid belongs to some other program
        return b"minicloud" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def running_pid(config) -> int | None:
    """The PID of this data directory's running cloud; removes a stale PID file."""
    path = pid_file(config)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        if path.exists():
            path.unlink(missing_ok=True)
        return None
    if _alive(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def endpoint_ready(url: str, timeout: float = 1.0) -> bool:
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
    except urllib.error.HTTPError:
        return True  # it answered
    except (OSError, ValueError):
        return False
    return True


def all_ready(config) -> bool:
    return all(endpoint_ready(config.base_url(s)) for s in config.services)


def start_background(config, say=print, timeout: float = 60) -> int:
    """Start the cloud detached; return its PID once every endpoint answers."""
    config.home.mkdir(parents=True, exist_ok=True)
    log = config.path(LOG_FILE)
    log.write_text("")
    config.save()  # what the foreground process reads (the broker's password stays out of ps)
    args = [sys.executable, "-m", "minicloud", "--home", str(config.home), "up", "--foreground",
            "--port-offset", str(config.port_offset), "--mode", config.mode]
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    shown = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = _show_new_lines(log, shown, say)
        if proc.poll() is not None:
            _show_new_lines(log, shown, say)
            raise RuntimeError(f"the cloud exited with status {proc.returncode}; see {log}")
        # the launcher saved the addresses its endpoints really have (netns mode: the API
        # network's) before it wrote the PID file
        if pid_file(config).exists() and all_ready(type(config).load(config.home)):
            _show_new_lines(log, shown, say)
            return proc.pid
        time.sleep(0.05)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # stuck before it could act on SIGTERM
        proc.kill()
    pid_file(config).unlink(missing_ok=True)
    raise RuntimeError(f"the cloud did not answer within {timeout:.0f} s; see {log}")


def _show_new_lines(log: Path, shown: int, say) -> int:
    text = log.read_text(errors="replace")
    complete = text[:text.rfind("\n") + 1]
    for line in complete[shown:].splitlines():
        say(line)
    return len(complete)


def tune_malloc() -> None:
    """Keep glibc from hoarding memory. Each password check (scrypt) allocates 16 MiB; by
    default glibc then raises its mmap threshold and keeps such blocks in a per-thread
    arena, so a cloud with dozens of threads grows by 16 MiB per thread that ever checked a
    password. A fixed threshold returns them to the system, and two arenas are plenty."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_arena_max, m_mmap_threshold = -8, -3
    libc.mallopt(m_mmap_threshold, 128 * 1024)
    libc.mallopt(m_arena_max, 2)


def run_foreground(config, cloud_factory, say=print) -> None:
    """Run the cloud in this process until SIGTERM or Ctrl-C."""
    tune_malloc()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    cloud = cloud_factory(config, say)
    cloud.start()
    pid_file(config).write_text(f"{os.getpid()}\n")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        say("*** Stopping the cloud")
        cloud.stop()
        pid_file(config).unlink(missing_ok=True)
        say("*** Stopped")


def stop(config, timeout: float = 45) -> int | None:
    """Stop the running cloud; return the PID that was stopped, None if none ran."""
    pid = running_pid(config)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file(config).unlink(missing_ok=True)
    return pid
