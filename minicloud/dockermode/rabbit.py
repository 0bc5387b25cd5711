"""RabbitMQ inside the controller's container, as the install guide places it: the seed's
broker, with a user and a virtual host of the cloud's own.

The broker reads its user, vhost and rights at boot from a definitions file
(`load_definitions` in rabbitmq.conf), so no `rabbitmqctl add_user` round trips (an
Erlang VM each, one or two seconds) stand between the container's start and the first
RPC. The file holds the password only as RabbitMQ's salted SHA-256 hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

CONF = Path("/etc/rabbitmq/rabbitmq.conf")
PORT = 5672


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))
    with a 4-byte salt."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(user: str, password: str, vhost: str) -> dict:
    return {
        "users": [{"name": user, "password_hash": password_hash(password),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}],
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user, "vhost": vhost,
                         "configure": ".*", "write": ".*", "read": ".*"}],
    }


def write_config(transport_url: str, state: Path) -> None:
    """rabbitmq.conf and the definitions file for the user and vhost of `transport_url`."""
    url = urlsplit(transport_url)
    user, password = unquote(url.username or ""), unquote(url.password or "")
    vhost = unquote(url.path.lstrip("/")) or "/"
    path = state / "rabbitmq" / "definitions.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as out:
        json.dump(definitions(user, password, vhost), out)
    shutil.chown(path, "rabbitmq", "rabbitmq")  # the broker drops to this user
    CONF.parent.mkdir(parents=True, exist_ok=True)
    CONF.write_text(f"listeners.tcp.default = {PORT}\n"
                    f"load_definitions = {path}\n")
