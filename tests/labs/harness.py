"""What every lab's own test needs: a fresh cloud of its own, the checker run exactly as
`make lab-check` runs it, and the lab's reference solution run as a learner would.

    LAB = Lab("lab04-nova")
    fresh, before, solved = LAB.fixtures()      # module-scoped pytest fixtures
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.livecloud import BIN, LiveCloud, clean_env

REPO = Path(__file__).resolve().parents[2]


def run(args, env, timeout=300, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def learner_env(live: LiveCloud) -> dict:
    """A learner's shell on that cloud: its clouds.yaml and data dir, the venv on PATH."""
    return {**live.env, "MINICLOUD_HOME": str(live.home),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


class Lab:
    def __init__(self, name: str):
        self.name = name
        self.dir = REPO / "labs" / name

    def check(self, cloud_home) -> subprocess.CompletedProcess:
        """The lab's checkpoints against the cloud in `cloud_home`, with the flags
        `make lab-check` gives pytest, but -q where it gives -qq: the tests also read
        pytest's own count line ("6 failed"), which `make lab-check` leaves out."""
        return run([str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--no-header", "-rN",
                    str(self.dir / "test_checkpoint.py")],
                   clean_env(MINICLOUD_HOME=str(cloud_home)))

    def solve(self, live: LiveCloud, expect: str | None = None) -> subprocess.CompletedProcess:
        """Run the reference solution; it must succeed (and print `expect`, if given)."""
        result = run(["bash", str(self.dir / "solution.sh")], learner_env(live))
        assert result.returncode == 0, f"solution.sh failed:\n{result.stdout}\n{result.stderr}"
        if expect is not None:
            assert expect in result.stdout, result.stdout
        return result

    def fixtures(self, expect: str | None = None):
        """`fresh` (an untouched cloud), `before` (the checker's verdict on it) and `solved`
        (the same cloud after the reference solution, once `before` has looked)."""

        @pytest.fixture(scope="module", name="fresh")
        def fresh(tmp_path_factory):
            live = LiveCloud(tmp_path_factory.mktemp(self.name))
            live.up()
            yield live
            live.down()

        @pytest.fixture(scope="module", name="before")
        def before(fresh):
            return self.check(fresh.home)

        @pytest.fixture(scope="module", name="solved")
        def solved(fresh, before):
            self.solve(fresh, expect)
            return fresh

        return fresh, before, solved
