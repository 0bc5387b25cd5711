"""A live cloud for tests: started with the real `minicloud up` in a temporary data
directory on free ports, driven by the real `openstack` CLI, openstacksdk and the real
`swift` CLI (`swift`, in the environment `swift_env` sets up).

Also used by the lab checkpoints' own tests, which need fresh clouds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openstack
import openstack.config

from minicloud.config import Config, free_port_offset

BIN = Path(sys.executable).parent


def clean_env(**extra) -> dict:
    """The environment without the caller's OS_* settings, so only the test's cloud counts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(extra)
    return env


def minicloud(*args, home: Path, check: bool = True, env=None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "minicloud"), "--home", str(home), *args],
                          capture_output=True, text=True, check=False, env=env or clean_env(),
                          timeout=timeout)


def swift_env(cloud, user="demo", project="demo") -> dict:
    """The `swift` CLI's OS_* settings for `user` (demo, else admin's password) on `cloud`."""
    c = cloud.config
    return {**cloud.env, "OS_AUTH_URL": c.auth_url, "OS_USERNAME": user,
            "OS_PASSWORD": c.demo_password if user == "demo" else c.admin_password,
            "OS_PROJECT_NAME": project, "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default", "OS_IDENTITY_API_VERSION": "3"}


def swift(cloud, *args, cwd=None, check=True, **env) -> subprocess.CompletedProcess:
    """Run the real `swift` CLI against `cloud` (a LiveCloud) as demo; `env` adds or
    overrides environment variables."""
    result = subprocess.run([str(BIN / "swift"), *args], capture_output=True, text=True,
                            cwd=cwd, env={**swift_env(cloud), **env}, timeout=120)
    if check:
        assert result.returncode == 0, f"swift {args}: {result.stdout}\n{result.stderr}"
    return result


class CLIError(AssertionError):
    pass


class LiveCloud:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.config: Config | None = None

    def up(self, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = minicloud("up", "--port-offset", str(free_port_offset()), *extra, home=self.home,
                           timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"minicloud up failed:\n{result.stdout}\n{result.stderr}")
        self.config = Config.load(self.home)
        return result

    def down(self) -> subprocess.CompletedProcess:
        return minicloud("down", home=self.home)

    @property
    def clouds_yaml(self) -> Path:
        return self.home / "clouds.yaml"

    @property
    def env(self) -> dict:
        return clean_env(OS_CLIENT_CONFIG_FILE=str(self.clouds_yaml))

    def cli(self, *args: str, cloud: str = "minicloud", env: dict | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        """Run the real `openstack` CLI against this cloud."""
        result = subprocess.run([str(BIN / "openstack"), "--os-cloud", cloud, *args],
                                capture_output=True, text=True, env={**self.env, **(env or {})},
                                timeout=120)
        if check and result.returncode != 0:
            raise CLIError(f"openstack {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
        return result

    def cli_json(self, *args: str, cloud: str = "minicloud"):
        return json.loads(self.cli(*args, "-f", "json", cloud=cloud).stdout)

    def sdk(self, cloud: str = "minicloud", **auth_overrides) -> openstack.connection.Connection:
        """An openstacksdk connection as the given cloud (auth fields may be overridden)."""
        region = openstack.config.OpenStackConfig(
            config_files=[str(self.clouds_yaml)]).get_one(cloud=cloud)
        if auth_overrides:
            region.config["auth"] = {**region.config["auth"], **auth_overrides}
        return openstack.connection.Connection(config=region)
