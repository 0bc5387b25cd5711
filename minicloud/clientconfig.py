"""What a learner's tools need to reach the cloud: `clouds.yaml` (clouds `minicloud` for
the demo user and `minicloud-admin` for the admin) and shell `openrc` files.

Written into the data directory on every `minicloud up`. A learner reaches them one way,
whatever the data directory: `eval "$(minicloud env)"` sets OS_CLIENT_CONFIG_FILE to that
file and OS_CLOUD=minicloud (the guides and the lab checker's hints assume it). For the
default data directory only, the two clouds are also merged into
`~/.config/openstack/clouds.yaml`, where the `openstack` CLI and openstacksdk look when
OS_CLIENT_CONFIG_FILE is unset, leaving any other clouds there untouched; a cloud in
another data directory never goes there, so it cannot replace the first one's entries.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CLOUDS = {"minicloud": ("demo", "demo"), "minicloud-admin": ("admin", "admin")}


def user_clouds_file() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "openstack" / "clouds.yaml"


def clouds(config) -> dict:
    result = {}
    for cloud, (user, project) in CLOUDS.items():
        password = config.admin_password if user == "admin" else config.demo_password
        result[cloud] = {
            "auth": {"auth_url": config.auth_url, "username": user, "password": password,
                     "project_name": project, "user_domain_name": "Default",
                     "project_domain_name": "Default"},
            "region_name": config.region, "interface": "public", "identity_api_version": 3,
        }
    return result


def openrc(config, cloud: str) -> str:
    auth = clouds(config)[cloud]["auth"]
    lines = [f"# minicloud: credentials of the {auth['username']} user (source this file)",
             f"export OS_AUTH_URL={auth['auth_url']}", f"export OS_USERNAME={auth['username']}",
             f"export OS_PASSWORD={auth['password']}",
             f"export OS_PROJECT_NAME={auth['project_name']}",
             "export OS_USER_DOMAIN_NAME=Default", "export OS_PROJECT_DOMAIN_NAME=Default",
             f"export OS_REGION_NAME={config.region}", "export OS_IDENTITY_API_VERSION=3",
             "export OS_INTERFACE=public", "unset OS_CLOUD"]
    return "\n".join(lines) + "\n"


def _merge(path: Path, entries: dict) -> None:
    data = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
    data.setdefault("clouds", {}).update(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(0o600)


def write(config, *, user_config: bool) -> list[Path]:
    """Write clouds.yaml and openrc files; return the paths written."""
    entries = clouds(config)
    written = [config.path("clouds.yaml")]
    _merge(written[0], entries)
    for cloud, (user, _) in CLOUDS.items():
        path = config.path(f"{user}-openrc.sh")
        path.write_text(openrc(config, cloud))
        path.chmod(0o600)
        written.append(path)
    if user_config:
        _merge(user_clouds_file(), entries)
        written.append(user_clouds_file())
    return written
