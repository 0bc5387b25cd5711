"""Tests of the real data plane: they make namespaces, bridges and VXLAN tunnels, so they
need root and the system tools (scripts/install-system-packages.sh). Without them a test
skips, unless MINICLOUD_REQUIRE_ROOT=1 (set by CI, which runs as root) makes it fail.

Every name a test makes starts with `mct` (minicloud test), so a crashed run's leftovers
are recognisable: `ip netns list | grep mct`."""

from __future__ import annotations

import fcntl
import os
import shutil

import pytest

# The plan's networks (10.0.0.0/24, ...) on host bridges: one netns cloud at a time on this
# machine, whichever test module (or worker) starts it.
PLAN_LOCK = "/tmp/minicloud-netns-plan.lock"
TOOLS = ("ip", "nft", "dnsmasq", "dhcp_release", "tcpdump", "ping", "udhcpc")


def _problem() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (scripts/install-system-packages.sh)"
    return None


@pytest.fixture(autouse=True)
def root():
    problem = _problem()
    if problem is not None:
        if os.environ.get("MINICLOUD_REQUIRE_ROOT") == "1":
            pytest.fail(f"the data-plane tests need root and the tools: {problem}",
                        pytrace=False)
        pytest.skip(f"the data-plane tests need root and the tools: {problem}")


@pytest.fixture(scope="module")
def plan_networks():
    """Hold the plan's networks for a module's netns cloud (`minicloud up --mode netns`):
    another module's waits until this one's cloud is down."""
    with open(PLAN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
