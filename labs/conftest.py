"""The lab checker: what `make lab-check LAB=NN` runs around `labs/labNN-*/test_checkpoint.py`.

It finds the learner's running cloud (the data directory `$MINICLOUD_HOME` or
`~/.minicloud`, and the `clouds.yaml` that `minicloud up` wrote there), gives the
checkpoints openstacksdk connections to it, and prints the result as a checklist:

    Lab 01 — Keystone: tokens, catalog, projects and roles
      ✓ 1. Project lab exists and is enabled
      ✗ 2. User alice exists in domain Default
           There is no user alice in domain Default yet. ...

Writing a checkpoint: one test function per step. The first line of its docstring is the
line the learner sees; its `assert ..., "hint"` message is the hint shown when the step
is not done yet (what is missing, and the command that does it). Put PYTEST_DONT_REWRITE
in the module docstring so pytest shows the hint exactly as written.

Fixtures: `lab_cloud` (home, auth_url), `admin` and `demo` (openstacksdk connections as
the clouds `minicloud-admin` and `minicloud`), `login` (log in as any user, like
`openstack --os-username ... token issue`).

The checklist replaces pytest's tracebacks unless you ask for them: run
`.venv/bin/pytest --tb=short labs/labNN-*/test_checkpoint.py` to see pytest's own report.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import openstack
import openstack.config
import pytest
import yaml

from minicloud import daemon
from minicloud.config import Config, default_home

ADMIN_CLOUD, DEMO_CLOUD = "minicloud-admin", "minicloud"
_CLOUD = pytest.StashKey["LabCloud"]()


@dataclasses.dataclass
class LabCloud:
    """The learner's running cloud, as the checker found it."""

    home: Path
    clouds_yaml: Path
    auth_url: str

    def connect(self, cloud: str) -> openstack.connection.Connection:
        """An openstacksdk connection as one of the clouds in this cloud's clouds.yaml.

        Only that file counts: the learner's OS_* variables and other clouds.yaml files
        (which may point anywhere) are ignored.
        """
        region = openstack.config.OpenStackConfig(
            config_files=[str(self.clouds_yaml)], vendor_files=[], secure_files=[],
            load_envvars=False).get_one(cloud=cloud)
        return openstack.connection.Connection(config=region)


class NoCloud(Exception):
    pass


def find_cloud(home: Path | None = None) -> LabCloud:
    """The running cloud in `home` (default: $MINICLOUD_HOME or ~/.minicloud)."""
    home = Path(home) if home else default_home()
    clouds_yaml = home / "clouds.yaml"
    config = Config.load(home)
    if not clouds_yaml.exists() or daemon.running_pid(config) is None:
        raise NoCloud(f"No running minicloud found in {home}: run `make lab-up` first")
    auth = yaml.safe_load(clouds_yaml.read_text())["clouds"][ADMIN_CLOUD]["auth"]
    if not daemon.endpoint_ready(auth["auth_url"]):
        raise NoCloud(f"minicloud in {home} is running but {auth['auth_url']} does not answer: "
                      "`make lab-down` then `make lab-up` restarts it")
    return LabCloud(home=home, clouds_yaml=clouds_yaml, auth_url=auth["auth_url"])


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def lab_cloud(pytestconfig) -> LabCloud:
    """The learner's running cloud (found once, when the session starts)."""
    if _CLOUD not in pytestconfig.stash:
        try:
            pytestconfig.stash[_CLOUD] = find_cloud()
        except NoCloud as exc:
            pytest.fail(str(exc), pytrace=False)
    return pytestconfig.stash[_CLOUD]


@pytest.fixture(scope="session")
def admin(lab_cloud) -> openstack.connection.Connection:
    """openstacksdk as the admin user (the cloud `minicloud-admin`)."""
    return lab_cloud.connect(ADMIN_CLOUD)


@pytest.fixture(scope="session")
def demo(lab_cloud) -> openstack.connection.Connection:
    """openstacksdk as the demo user (the cloud `minicloud`)."""
    return lab_cloud.connect(DEMO_CLOUD)


@pytest.fixture(scope="session")
def login(lab_cloud):
    """login(user, password, project) -> an authenticated openstacksdk Connection.

    Logs in like `openstack --os-username USER --os-password PW --os-project-name PROJECT
    token issue` (user and project in domain Default). Raises
    openstack.exceptions.SDKException when Keystone refuses.
    """

    def login(username: str, password: str, project_name: str) -> openstack.connection.Connection:
        conn = openstack.connect(
            load_yaml_config=False, load_envvars=False, auth_url=lab_cloud.auth_url,
            username=username, password=password, project_name=project_name,
            user_domain_name="Default", project_domain_name="Default",
            identity_api_version="3", interface="public")
        conn.authorize()
        return conn

    return login


# -- the run: find the cloud first, then print a checklist instead of tracebacks -------------

_FRIENDLY = pytest.StashKey[bool]()
_STEP = pytest.StashKey[tuple]()
_CONFIG: list = []  # the run's config, for hooks that are not given it


def _friendly(config) -> bool:
    """The checklist is on unless --tb was given (then pytest reports as usual)."""
    return config.stash.get(_FRIENDLY, False)


def pytest_configure(config):
    _CONFIG[:] = [config]
    if config.option.tbstyle == "auto":
        config.stash[_FRIENDLY] = True
        config.option.tbstyle = "no"  # no FAILURES/ERRORS sections: the hints say it all
        config.addinivalue_line("filterwarnings", "ignore")  # library warnings are not for learners


def pytest_sessionstart(session):
    try:
        session.config.stash[_CLOUD] = find_cloud()
    except NoCloud as exc:
        raise pytest.UsageError(str(exc)) from None  # pytest prints "ERROR: <message>"


def _is_checkpoint(item) -> bool:
    return item.path.name == "test_checkpoint.py"


def _lab_title(path: Path) -> str:
    """The first heading of the lab's guide, e.g. "Lab 01 — Keystone: ...\""""
    guide = path.parent / "README.md"
    if guide.exists():
        for line in guide.read_text().splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.parent.name


def _lab_number(path: Path) -> str:
    return path.parent.name[3:5]


def pytest_collection_finish(session):
    if not _friendly(session.config):
        return
    items = [i for i in session.items if _is_checkpoint(i)]
    for number, item in enumerate(items, 1):
        doc = (getattr(item.function, "__doc__", None) or "").strip()
        title = doc.splitlines()[0] if doc else item.name.removeprefix("test_").replace("_", " ")
        item.stash[_STEP] = (number, title.rstrip("."))
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if items and tr is not None:
        cloud = session.config.stash.get(_CLOUD, None)
        tr.write_line(_lab_title(items[0].path), bold=True)
        if cloud:
            tr.write_line(f"Checking your cloud: {cloud.auth_url} (data in {cloud.home})")
        tr.write_line("")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if _friendly(item.config) and _STEP in item.stash:
        report.checkpoint = item.stash[_STEP]
        report.lab = _lab_number(item.path)
        if report.failed:
            report.hint = _hint(call.excinfo, item.config.stash.get(_CLOUD, None))
            report.longrepr = report.hint
    return report


def _hint(excinfo, cloud) -> str:
    exc = excinfo.value
    if isinstance(exc, AssertionError) or excinfo.typename == "Failed":
        return str(getattr(exc, "msg", None) or exc).strip() or "This step is not done yet."
    if cloud and not daemon.endpoint_ready(cloud.auth_url):
        return f"Your cloud stopped answering at {cloud.auth_url}: `make lab-up` starts it again."
    return f"The checker could not finish this step: {excinfo.typename}: {exc}"


def _shown(report) -> bool:
    """One checklist line per checkpoint: its call, or the setup that kept it from running."""
    return hasattr(report, "checkpoint") and (report.when == "call" or not report.passed)


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report, config):
    if _shown(report):
        category = "error" if report.failed and report.when != "call" else report.outcome
        return category, "", ""  # no "F." progress letters: the checklist shows each step
    return None


def _marks() -> tuple[str, str]:
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "+", "x"


def pytest_runtest_logreport(report):
    tr = _reporter()
    if tr is None or not _shown(report):
        return
    number, title = report.checkpoint
    ok, bad = _marks()
    if report.passed:
        tr.write_line(f"  {ok} {number}. {title}", green=True)
        return
    if report.skipped:
        reason = report.longrepr[2].removeprefix("Skipped: ")
        tr.write_line(f"  - {number}. {title} (not checked: {reason})", yellow=True)
        return
    tr.write_line(f"  {bad} {number}. {title}", red=True, bold=True)
    for line in report.hint.splitlines():
        tr.write_line(f"       {line}" if line.strip() else "")


def _reporter():
    return _CONFIG[0].pluginmanager.get_plugin("terminalreporter")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _friendly(config):
        return
    reports = [r for key in ("passed", "failed", "error")
               for r in terminalreporter.stats.get(key, []) if _shown(r)]
    if not reports:
        return
    done = sum(r.passed for r in reports)
    lab = reports[0].lab
    if done == len(reports):
        terminalreporter.write_line(
            f"All {done} checkpoints pass: lab {lab} is done. Well done!", green=True, bold=True)
    else:
        terminalreporter.write_line(
            f"{done} of {len(reports)} checkpoints pass. Do the first step marked "
            f"{_marks()[1]}, then run `make lab-check LAB={lab}` again.", yellow=True, bold=True)
