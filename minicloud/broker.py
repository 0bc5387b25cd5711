"""RabbitMQ for one cloud: its own virtual host and user, made with the broker's own tool
as the OpenStack install guide does (`rabbitmqctl add_user openstack PASS`,
`set_permissions openstack ".*" ".*" ".*"`).

A vhost keeps two clouds on one broker apart (each has its own `compute`, `conductor`,
... queues); a user of its own is what nodes outside the broker's machine need, since
RabbitMQ lets `guest` in from loopback only. Each rabbitmqctl call takes a second or two.
"""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import quote


class BrokerError(Exception):
    """rabbitmqctl is missing or refused (not root? the broker not running?)."""


def _ctl(*args: str) -> None:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        raise BrokerError("rabbitmqctl is not installed: apt-get install rabbitmq-server")
    done = subprocess.run([tool, "-q", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise BrokerError(f"rabbitmqctl {args[0]}: {(done.stderr or done.stdout).strip()}")


def create(vhost: str, user: str, password: str) -> None:
    """The vhost, and a user with every right on it (and no other)."""
    _ctl("add_vhost", vhost)
    _ctl("add_user", user, password)
    _ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")


def delete(vhost: str, user: str) -> None:
    """The vhost with its queues, and the user."""
    for args in (("delete_vhost", vhost), ("delete_user", user)):
        try:
            _ctl(*args)
        except BrokerError:  # already gone
            pass


def url(user: str, password: str, vhost: str, host: str = "127.0.0.1", port: int = 5672) -> str:
    return f"rabbit://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/" \
           f"{quote(vhost, safe='')}"
