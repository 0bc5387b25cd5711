"""RabbitMQ for one cloud: its own virtual host and user, made with the broker's own tool
as the OpenStack install guide does (`rabbitmqctl add_user openstack PASS`,
`set_permissions openstack ".*" ".*" ".*"`).

A vhost keeps two clouds on one broker apart (each has its own `compute`, `conductor`,
... queues); a user of its own is what nodes outside the broker's machine need, since
RabbitMQ lets `guest` in from loopback only. Each rabbitmqctl call takes a second or two.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
from urllib.parse import quote

HOW_TO_START = ("Install and start one: `apt-get install rabbitmq-server && rabbitmq-server "
                "-detached` (as root), or name another broker with --transport-url "
                "rabbit://USER:PASSWORD@HOST:5672/VHOST.")


class BrokerError(Exception):
    """rabbitmqctl is missing or refused (not root? the broker not running?)."""


def _ctl(*args: str) -> str:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        raise BrokerError("rabbitmqctl is not installed: apt-get install rabbitmq-server")
    done = subprocess.run([tool, "-q", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise BrokerError(f"rabbitmqctl {args[0]}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def queues(vhost: str) -> list[dict]:
    """`rabbitmqctl list_queues -p VHOST name consumers messages`, as dicts."""
    rows = json.loads(_ctl("list_queues", "-p", vhost, "name", "consumers", "messages",
                           "--formatter", "json") or "[]")
    return sorted(rows, key=lambda row: row["name"])


def firehose(vhost: str, on: bool) -> None:
    """RabbitMQ's firehose: a copy of every message published in the vhost goes to the
    exchange `amq.rabbitmq.trace` too (routing key `publish.<exchange>`); delivery is
    otherwise unchanged. It costs the broker some work, so it is on only while watched."""
    _ctl("trace_on" if on else "trace_off", "-p", vhost)


def create(vhost: str, user: str, password: str) -> None:
    """The vhost, and a user with every right on it (and no other)."""
    _ctl("add_vhost", vhost)
    _ctl("add_user", user, password)
    _ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")


def ensure(vhost: str, user: str, password: str) -> None:
    """As `create`, for a broker that may have them already (a second `lab-up`): the user
    gets this password."""
    _ctl("add_vhost", vhost)  # rabbitmqctl accepts a vhost that exists
    try:
        _ctl("add_user", user, password)
    except BrokerError as exc:
        if "already exists" not in str(exc):
            raise
        _ctl("change_password", user, password)
    _ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")


def answers(host: str = "127.0.0.1", port: int = 5672) -> bool:
    """Does anything accept connections on the broker's port?"""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def for_cloud(name: str, host: str = "127.0.0.1", port: int = 5672) -> str:
    """The transport URL of a cloud's own vhost and user `name` (made or updated here,
    with a new password), on the broker at host:port."""
    if not answers(host, port):
        raise BrokerError(f"no RabbitMQ answers on {host}:{port}. {HOW_TO_START}")
    password = secrets.token_hex(16)  # token_urlsafe may start with "-": an option to rabbitmqctl
    ensure(name, name, password)
    return url(name, password, name, host, port)


def block(vhost: str, user: str) -> int:
    """The cloud loses its broker while the broker runs on for everyone else: `user` loses
    its rights on `vhost` (so a client that reconnects is refused), then RabbitMQ closes
    every connection to `vhost`. Queues and the messages in them stay. Returns how many
    connections there were."""
    before = len(connections(vhost))
    _ctl("clear_permissions", "-p", vhost, user)
    _ctl("close_all_connections", "--vhost", vhost, "minicloud broker stop")
    return before


def unblock(vhost: str, user: str) -> None:
    """`user` has every right on `vhost` again: the clients' next try to reconnect works."""
    _ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")


def permitted(vhost: str, user: str) -> bool:
    """Has `user` any right on `vhost`?"""
    rows = json.loads(_ctl("list_user_permissions", user, "--formatter", "json") or "[]")
    return any(row.get("vhost") == vhost for row in rows)


def connections(vhost: str) -> list[dict]:
    """The open connections to `vhost`: their user and client-given name."""
    rows = json.loads(_ctl("list_connections", "vhost", "user", "client_properties",
                           "--formatter", "json") or "[]")
    return [{"user": row.get("user"), "name": next(
                (value for key, _, value in row.get("client_properties") or ()
                 if key == "connection_name"), "")}
            for row in rows if row.get("vhost") == vhost]


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
