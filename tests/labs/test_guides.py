"""The guides told the way a learner follows them: Getting started, the README and labs
01-06, checked against their text and, command by command, against a cloud of their own
in a data directory that is not the default (as `MINICLOUD_HOME` makes it), with a home
directory whose `~/.config/openstack/clouds.yaml` knows nothing of it.
"""

from __future__ import annotations

import re

import pytest

from tests.labs.harness import REPO, run
from tests.livecloud import BIN, LiveCloud, clean_env

LABS = sorted(p for p in (REPO / "labs").glob("lab0[1-6]-*/README.md"))
START = REPO / "docs" / "getting-started.md"


def _created(text: str, kind: str) -> set[str]:
    """The names `openstack ... <kind> create [options] NAME` commands in `text` make."""
    names = set()
    for line in text.splitlines():
        match = re.search(rf"\b{kind} create (.*)$", line)
        if match and line.lstrip().startswith(("openstack", "OS_CLOUD=")):
            words = [w for w in match.group(1).split("#")[0].split() if not w.startswith("-")]
            options_with_values = re.findall(r"--(?:password|description|domain) (\S+)",
                                             match.group(1))
            names |= {w for w in words if w not in options_with_values}
    return names


@pytest.mark.parametrize("kind", ["project", "user"])
def test_getting_started_and_the_readme_leave_the_labs_names_free(kind):
    """A learner who did Getting started (or the README) and then lab 01 meets no 409."""
    guides = _created(START.read_text() + (REPO / "README.md").read_text(), kind)
    labs = set().union(*(_created(p.read_text(), kind) for p in LABS))
    assert guides and labs
    assert not guides & labs, f"{kind}s made twice: {guides & labs}"


@pytest.mark.parametrize("guide", LABS + [START], ids=lambda p: p.parent.name)
def test_each_guide_reaches_the_cloud_with_minicloud_env(guide):
    """One way to select the cloud, in every data directory: `eval "$(minicloud env)"`;
    and no path that assumes the default data directory."""
    text = guide.read_text()
    assert 'eval "$(minicloud env)"' in text
    if guide != START:  # Getting started shows the two lines `minicloud env` prints
        assert not re.search(r"^export OS_CLOUD=minicloud(?![-\w])", text, re.M)
    assert not re.search(r"(?<![-\w])~/\.minicloud/\S", text), "a path into ~/.minicloud"


@pytest.mark.parametrize("guide", LABS, ids=lambda p: p.parent.name)
def test_each_lab_states_its_time_what_comes_first_and_its_mode(guide):
    top = "\n".join(guide.read_text().splitlines()[:8])
    for label in ("**Time:**", "**Before:**", "**Mode:**"):
        assert label in top, f"{guide.parent.name}: no {label} at the top"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    live = LiveCloud(tmp_path_factory.mktemp("guides") / "not-the-default")
    live.up()
    yield live
    live.down()


def _shell(cloud, script: str, tmp_path):
    """`script` in bash as a learner's new shell: the venv on PATH, MINICLOUD_HOME set, a
    home whose ~/.config/openstack/clouds.yaml does not exist."""
    env = clean_env(MINICLOUD_HOME=str(cloud.home), HOME=str(tmp_path),
                    PATH=f"{BIN}:/usr/bin:/bin")
    return run(["bash", "-c", f"set -e\n{script}"], env, cwd=tmp_path)


def test_minicloud_env_reaches_a_cloud_outside_the_default_data_directory(cloud, tmp_path):
    result = _shell(cloud, 'eval "$(minicloud env)"\nopenstack token issue -f value -c id\n'
                    "openstack --os-cloud minicloud-admin project list -f value -c Name",
                    tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("gAAAAA") and "admin" in result.stdout
    plain = _shell(cloud, "export OS_CLOUD=minicloud\nopenstack token issue", tmp_path)
    assert "Cloud minicloud was not found" in plain.stderr  # why the guides use minicloud env


def test_getting_started_then_lab_01_runs_without_a_conflict(cloud, tmp_path):
    """Getting started §5, then lab 01 steps 4 and 6 as written (no --or-show)."""
    result = _shell(cloud, """eval "$(minicloud env)"
OS_CLOUD=minicloud-admin openstack project create trial
OS_CLOUD=minicloud-admin openstack user create --password s3cret dave
OS_CLOUD=minicloud-admin openstack role add --project trial --user dave member
export OS_CLOUD=minicloud-admin
openstack project create lab
openstack user create --password s3cret alice
openstack role add --project lab --user alice member
openstack user create --password b0bpass bob
openstack role add --project lab --user bob reader
""", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lab_01s_traces_read_as_the_guide_shows_them(cloud, tmp_path):
    """Lab 01 step 3 (a login) and step 7 (a refused project create) in the default view."""
    login = _shell(cloud, 'eval "$(minicloud env)"\nopenstack token issue >/dev/null\n'
                   "minicloud trace last", tmp_path)
    assert login.returncode == 0, login.stderr
    assert re.search(r"client -> keystone +POST /v3/auth/tokens", login.stdout), login.stdout
    assert re.search(r"client <- keystone +201", login.stdout), login.stdout
    guide = (REPO / "labs" / "lab01-keystone" / "README.md").read_text()
    assert re.search(r"client -> keystone +POST /v3/auth/tokens", guide)
    refused = _shell(cloud, 'eval "$(minicloud env)"\n'
                     "openstack project create sneaky || true\nminicloud trace last", tmp_path)
    assert re.search(r"client <- keystone +403", refused.stdout), refused.stdout
    assert "`client <- keystone  403`" in guide
