"""The node image, built once from `containers/` and found again by a hash of what went in.

Three layers, each tagged with the first 12 hex digits of its own content hash, which covers
what went into it and the hash of the layer below:

    minicloud-base:HASH   Debian from Debian's packages (containers/base/: debootstrap, then
                          imported into Docker): the suite, the mirror, the package list and
                          the build script
    minicloud-deps:HASH   a venv at /opt/minicloud with minicloud's dependencies (containers/
                          deps/Dockerfile): their versions in the host's venv
    minicloud-node:HASH   minicloud itself in that venv (containers/node/Dockerfile): its source

`ensure()` returns the node image, building only the layers whose hash has no image yet: a
warm call hashes a few hundred small files and asks the engine for one tag, and an edit to
minicloud's source rebuilds only the last layer. Nothing is pulled from a registry, and the
image builds have no internet (the wheels, made on the host, come in the build context).
`minicloud image build` runs it and says what it does.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]  # the repository (an editable install)
CONTAINERS = ROOT / "containers"
SUITE = "bookworm"  # its python3 is 3.11, the host venv's: the host's wheels fit
DEFAULT_MIRROR = "http://deb.debian.org/debian"
REPOS = {"base": "minicloud-base", "deps": "minicloud-deps", "node": "minicloud-node"}
INSTALL_STAGE = "org.minicloud.stage=install"  # containers/deps/Dockerfile: its first stage
LOG = Path(tempfile.gettempdir()) / "minicloud-image-build.log"


class ImageError(Exception):
    """The image cannot be built here; str() says why and what to do."""


@dataclass
class NodeImage:
    tag: str
    id: str
    cached: bool  # found, nothing built
    size: int  # bytes
    seconds: dict[str, float] = field(default_factory=dict)  # per build step, when built


# --- what goes in, and its hash ---------------------------------------------------------

def mirror() -> str:
    """The Debian mirror: $MINICLOUD_DEBIAN_MIRROR, else the host's apt sources' first
    Debian archive (not the security one), else deb.debian.org."""
    if os.environ.get("MINICLOUD_DEBIAN_MIRROR"):
        return os.environ["MINICLOUD_DEBIAN_MIRROR"]
    sources = Path("/etc/apt")
    for path in [sources / "sources.list", *sorted(sources.glob("sources.list.d/*"))]:
        text = path.read_text(errors="replace") if path.is_file() else ""
        found = re.search(r"^(?:URIs:|deb)\s+(\S+/debian)/?\s*$|^deb\s+(\S+/debian)/?\s",
                          text, re.MULTILINE)
        if found:
            return found.group(1) or found.group(2)
    return DEFAULT_MIRROR


def pins() -> list[str]:
    """`name==version` for minicloud's dependencies and theirs, as the host's venv has them."""
    found: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    todo = [(r, "") for r in metadata.requires("minicloud") or []]
    while todo:
        text, extra = todo.pop()
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if req.marker and not req.marker.evaluate({"extra": extra}):
            continue
        found[name] = metadata.version(name)
        for wanted in ("", *req.extras):  # a dependency asked for with [extras]
            if (name, wanted) not in seen:
                seen.add((name, wanted))
                todo += [(r, wanted) for r in metadata.requires(name) or []]
    return sorted(f"{name}=={version}" for name, version in found.items())


def source_files() -> list[Path]:
    """What a wheel of minicloud is made from (paths relative to ROOT)."""
    package = sorted(p.relative_to(ROOT) for p in (ROOT / "minicloud").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    return [Path("pyproject.toml"), Path("README.md"), *package]


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def hashes() -> dict[str, str]:
    """Each layer's content hash, by layer name (base, deps, node)."""
    base = _digest(SUITE, mirror(), *(_read("base", f) for f in ("packages.txt",
                                                                   "build-rootfs.sh")))
    deps = _digest(base, _read("deps", "Dockerfile"), "\n".join(pins()))
    files = [part for f in source_files() for part in (str(f), (ROOT / f).read_bytes())]
    node = _digest(deps, _read("node", "Dockerfile"), *files)
    return {"base": base, "deps": deps, "node": node}


def tags() -> dict[str, str]:
    return {layer: f"{REPOS[layer]}:{h[:12]}" for layer, h in hashes().items()}


def _read(layer: str, name: str) -> bytes:
    return (CONTAINERS / layer / name).read_bytes()


# --- finding and building ---------------------------------------------------------------

def find(client) -> NodeImage | None:
    """The node image for the current inputs, if it is built."""
    tag = tags()["node"]
    image = _get(client, tag)
    if image is None:
        return None
    return NodeImage(tag=tag, id=image.id, cached=True, size=image.attrs["Size"])


def ensure(client, rebuild: bool = False, say=print) -> NodeImage:
    """The node image for the current inputs: found, or built (the missing layers) and
    returned."""
    tag = tags()
    image = None if rebuild else _get(client, tag["node"])
    if image is not None:
        return NodeImage(tag=tag["node"], id=image.id, cached=True, size=image.attrs["Size"])
    if not CONTAINERS.is_dir():
        raise ImageError(f"no {CONTAINERS}: the image is built from a checkout of minicloud")
    if sys.version_info[:2] != (3, 11):
        raise ImageError(f"the wheels are built by this Python ({sys.version.split()[0]}); "
                         f"the image's is Debian {SUITE}'s 3.11: run minicloud from a 3.11 venv")
    if rebuild:
        _remove(client, [tag["node"], f"{REPOS['node']}:latest", tag["deps"], tag["base"]])
    seconds: dict[str, float] = {}
    for layer, build in (("base", _build_base), ("deps", _build_deps)):
        if rebuild or _get(client, tag[layer]) is None:
            build(client, tag, seconds, say)
        else:
            say(f"*** {layer} layer {tag[layer]}: built already")
    image = _build_node(client, tag, seconds, say)
    return NodeImage(tag=tag["node"], id=image.id, cached=False, size=image.attrs["Size"],
                     seconds=seconds)


def _get(client, tag: str):
    from docker.errors import ImageNotFound

    try:
        return client.images.get(tag)
    except ImageNotFound:
        return None


def _build_base(client, tag: dict, seconds: dict, say) -> None:
    if os.geteuid() != 0:
        raise ImageError("the base layer is made with debootstrap, which needs root")
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is missing: `make docker-engine` (or apt-get install "
                         "debootstrap)")
    repo, version = tag["base"].split(":")
    with tempfile.TemporaryDirectory(prefix="minicloud-base-", dir="/var/tmp") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        say(f"*** base layer {tag['base']}: debootstrap --variant=minbase {SUITE} from "
            f"{mirror()} (containers/base/packages.txt; log: {LOG})")
        with _timed(seconds, "base: debootstrap", say):
            _run(["bash", str(CONTAINERS / "base" / "build-rootfs.sh"), SUITE, mirror(),
                  str(tarball)])
        say(f"*** base layer {tag['base']}: importing the root filesystem "
            f"({tarball.stat().st_size / 1e6:.0f} MB)")
        with _timed(seconds, "base: import", say):
            client.api.import_image(src=str(tarball), repository=repo, tag=version,
                                    changes=["ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]'])
    _prune(client, REPOS["base"], keep=tag["base"])


def _build_deps(client, tag: dict, seconds: dict, say) -> None:
    with tempfile.TemporaryDirectory(prefix="minicloud-deps-", dir="/var/tmp") as tmp:
        context = Path(tmp)
        wheels = context / "wheels"
        wheels.mkdir()
        (wheels / "requirements.txt").write_text("\n".join(pins()) + "\n")
        say(f"*** deps layer {tag['deps']}: pip wheel minicloud's {len(pins())} dependencies "
            "(the host venv's versions) into the build context")
        with _timed(seconds, "deps: pip wheel", say):
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                  "--disable-pip-version-check", "--wheel-dir", str(wheels),
                  "--requirement", str(wheels / "requirements.txt")])
        _docker_build(client, context, "deps", tag, {"BASE": tag["base"]}, seconds, say)
    # the install stage's image, left untagged by the build
    client.images.prune(filters={"dangling": True, "label": INSTALL_STAGE})
    _prune(client, REPOS["deps"], keep=tag["deps"])


def _build_node(client, tag: dict, seconds: dict, say):
    with tempfile.TemporaryDirectory(prefix="minicloud-node-", dir="/var/tmp") as tmp:
        context, src = Path(tmp) / "context", Path(tmp) / "src"
        say(f"*** node layer {tag['node']}: pip wheel minicloud (from a copy of its source)")
        with _timed(seconds, "node: pip wheel", say):
            for f in source_files():  # a copy: no build/ left behind in the checkout
                (src / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / f, src / f)
            _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                  "--disable-pip-version-check", "--wheel-dir", str(context), str(src)])
        _docker_build(client, context, "node", tag, {"DEPS": tag["deps"]}, seconds, say)
    image = client.images.get(tag["node"])
    image.tag(REPOS["node"], "latest")
    _prune(client, REPOS["node"], keep=tag["node"])
    return client.images.get(tag["node"])


def _docker_build(client, context: Path, layer: str, tag: dict, buildargs: dict, seconds,
                  say) -> None:
    from docker.errors import BuildError

    shutil.copy(CONTAINERS / layer / "Dockerfile", context / "Dockerfile")
    say(f"*** {layer} layer {tag[layer]}: docker build containers/{layer}/Dockerfile "
        f"({', '.join(f'{k}={v}' for k, v in buildargs.items())})")
    with _timed(seconds, f"{layer}: docker build", say):
        try:
            client.images.build(path=str(context), tag=tag[layer], rm=True, forcerm=True,
                                buildargs=buildargs)
        except BuildError as exc:
            log = "".join(step.get("stream", step.get("error", "")) for step in exc.build_log)
            raise ImageError(f"docker build of containers/{layer} failed: {exc}\n"
                             f"{log[-3000:]}") from None


def _remove(client, tags: list[str]) -> None:
    """Remove these images, top layer first (an image a container still uses stays)."""
    from docker.errors import APIError

    for tag in tags:
        try:
            client.images.remove(tag)
        except APIError:  # not there, or in use
            pass


def _prune(client, repository: str, keep: str) -> None:
    """Remove this repository's older images (an image a container still uses stays)."""
    _remove(client, [image.id for image in client.images.list(name=repository)
                     if keep not in image.tags])


def _run(cmd: list[str]) -> None:
    with open(LOG, "a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = LOG.read_text(errors="replace").splitlines()[-25:]
        raise ImageError(f"{cmd[0]} {cmd[1]} failed (exit {done.returncode}); the end of "
                         f"{LOG}:\n" + "\n".join(tail))


class _timed:
    """Times a step into `seconds[name]` and says how long it took."""

    def __init__(self, seconds: dict, name: str, say):
        self.seconds, self.name, self.say = seconds, name, say

    def __enter__(self):
        self.start = time.monotonic()

    def __exit__(self, *exc):
        self.seconds[self.name] = round(time.monotonic() - self.start, 1)
        if exc[0] is None:
            self.say(f"    {self.name}: {self.seconds[self.name]} s")
