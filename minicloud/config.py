"""Configuration of one cloud: where its data lives, which ports it serves, how its parts talk.

Everything that differs between a learner's cloud and a test's cloud is here, so services
never read the environment themselves. `Config.load()` reads the environment and the
`minicloud.json` saved by `minicloud up` in the data directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

# Service name -> (port, path after host:port in the catalog URL). Ports as in the
# OpenStack install guides, so the URLs a learner sees match real documentation.
SERVICE_PORTS = {
    "identity": 5000,
}

CONFIG_FILE = "minicloud.json"


def default_home() -> Path:
    return Path(os.environ.get("MINICLOUD_HOME") or Path.home() / ".minicloud")


@dataclasses.dataclass
class Config:
    home: Path = dataclasses.field(default_factory=default_home)
    host: str = "127.0.0.1"
    port_offset: int = 0
    region: str = "RegionOne"
    transport_url: str = "memory://"
    token_ttl: int = 3600
    admin_password: str = "secret"
    demo_password: str = "secret"
    # scrypt cost: n=2**14, r=8, p=1 is the interactive-login cost recommended by its author.
    scrypt_n: int = 2**14
    waitress_threads: int = 8

    def __post_init__(self):
        self.home = Path(self.home).expanduser()

    def port(self, service: str) -> int:
        return SERVICE_PORTS[service] + self.port_offset

    def base_url(self, service: str) -> str:
        return f"http://{self.host}:{self.port(service)}"

    @property
    def auth_url(self) -> str:
        return self.base_url("identity") + "/v3"

    @property
    def services(self) -> list[str]:
        return list(SERVICE_PORTS)

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    def save(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        data = dataclasses.asdict(self)
        data["home"] = str(self.home)
        self.path(CONFIG_FILE).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, home: str | Path | None = None, **overrides) -> "Config":
        """The saved configuration of the cloud in `home`, with environment and overrides on top."""
        home = Path(home).expanduser() if home else default_home()
        data: dict = {}
        saved = home / CONFIG_FILE
        if saved.exists():
            data = json.loads(saved.read_text())
        data["home"] = home
        env = {
            "port_offset": os.environ.get("MINICLOUD_PORT_OFFSET"),
            "transport_url": os.environ.get("MINICLOUD_TRANSPORT_URL"),
            "host": os.environ.get("MINICLOUD_HOST"),
        }
        for key, value in env.items():
            if value is not None:
                data[key] = int(value) if key == "port_offset" else value
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
