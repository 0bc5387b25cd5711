"""Tests of the Docker mode's building blocks: they need a Docker engine (`make docker-engine`
starts one). Without one they skip, unless MINICLOUD_REQUIRE_DOCKER=1 or
MINICLOUD_REQUIRE_ROOT=1 (CI sets the second, and starts an engine) makes them fail.

The node image is built once (the first run takes minutes; later runs find it by its hash).
Containers a test starts are named `mct-...` and removed after it.
"""

from __future__ import annotations

import fcntl
import os

import pytest

from minicloud.dockermode import engine, image

# tests/netns/conftest.py's lock: held while a netns cloud is up. The image build downloads
# (Debian packages, wheels) and must not run while a netns fabric's host bridges take the
# plan's subnets, in which a package mirror may sit (203.0.113.0/24 here).
PLAN_LOCK = "/tmp/minicloud-netns-plan.lock"


def _required() -> bool:
    return "1" in (os.environ.get("MINICLOUD_REQUIRE_DOCKER"),
                   os.environ.get("MINICLOUD_REQUIRE_ROOT"))


@pytest.fixture(scope="session")
def docker_client():
    try:
        return engine.connect()
    except engine.NoEngine as exc:
        if _required():
            pytest.fail(f"the Docker tests need an engine: {exc}", pytrace=False)
        pytest.skip(f"the Docker tests need an engine: {exc}")


@pytest.fixture(scope="session")
def node_image(docker_client) -> image.NodeImage:
    """The node image for the current source: found, or built under the netns plan's lock."""
    found = image.find(docker_client)
    if found is not None:
        return found
    with open(PLAN_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return image.ensure(docker_client)  # finds it if another worker built it meanwhile


@pytest.fixture
def node_container(docker_client, node_image):
    """A container of the node image with the capabilities the nodes get, idle until removed."""
    container = docker_client.containers.run(
        node_image.tag, ["sleep", "infinity"], detach=True, name=f"mct-node-{os.getpid()}",
        cap_add=["NET_ADMIN", "SYS_ADMIN"])
    yield container
    container.remove(force=True)
