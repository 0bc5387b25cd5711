"""A connection to the Docker engine, or a clear message saying how to start one.

The Docker SDK finds the engine as the docker CLI does (DOCKER_HOST, else the local socket)
and raises DockerException at once when nothing answers there.
"""

from __future__ import annotations

import docker
from docker.errors import DockerException

HOW_TO_START = (
    "no Docker engine answers. Start one: `make docker-engine` (as root: installs Debian's "
    "docker.io if needed and runs `dockerd --iptables=false --ip6tables=false` in the "
    "background), or by hand: `apt-get install docker.io`, then `dockerd` (with "
    "`--iptables=false --ip6tables=false` where iptables is unavailable); on Docker Desktop, "
    "start Docker Desktop")


class NoEngine(Exception):
    """No Docker engine answers; str() says how to start one."""


def connect() -> docker.DockerClient:
    """A client of the engine, its API version agreed with the server (an older dockerd,
    such as Debian's 20.10, speaks an older API than the SDK's newest)."""
    try:
        client = docker.from_env(version="auto")
        client.ping()
    except DockerException as exc:
        raise NoEngine(f"{HOW_TO_START} ({exc})") from None
    return client
