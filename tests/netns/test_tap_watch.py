"""The bridge agent hears of taps from the kernel (linux_bridge.watch_taps): a tap that
appears or goes wakes it at once, other devices do not. Run inside a namespace of its own
(`mctw-watch`), as the agent runs inside its node's."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from minicloud.netns.plumbing import Namespace

SCRIPT = textwrap.dedent("""
    import subprocess, threading, time
    from minicloud.network.dataplane.linux_bridge import watch_taps

    woken, stopped = [], threading.Event()
    watcher = threading.Thread(target=watch_taps, args=(lambda: woken.append(1), stopped))
    watcher.start()
    time.sleep(0.3)

    def after(*command):
        before = len(woken)
        subprocess.run(["ip", "link", *command], check=True)
        time.sleep(0.3)
        return len(woken) > before

    print("tap added:", after("add", "tap0123abcd-ef", "type", "veth", "peer", "name", "eth9"))
    print("bridge added:", after("add", "brq0123abcd-e", "type", "bridge"))
    print("tap deleted:", after("del", "tap0123abcd-ef"))
    stopped.set()
    watcher.join(timeout=5)
    print("stopped:", not watcher.is_alive())
""")


def test_a_tap_that_comes_or_goes_wakes_the_agent_and_nothing_else_does():
    ns = Namespace.create("mctw-watch")
    try:
        done = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-c", SCRIPT],
                              capture_output=True, text=True, timeout=60)
    finally:
        ns.delete()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["tap added: True", "bridge added: False",
                                        "tap deleted: True", "stopped: True"]
