"""Fixtures shared by every test tier: the session's live cloud, and a RabbitMQ broker when
one answers (tests that need it skip with the reason when none is reachable, unless
MINICLOUD_REQUIRE_RABBITMQ=1, which CI sets: then they fail). The broker URL comes from
MINICLOUD_RABBITMQ_URL (default guest@127.0.0.1:5672).
"""

import os
import secrets
import subprocess
import sys
import threading
import traceback
from urllib.parse import urlsplit

import pika
import pytest
import requests

from minicloud import broker
from minicloud.common.rpc.amqp import connection_parameters
from tests.livecloud import LiveCloud

DEFAULT_RABBITMQ_URL = "rabbit://guest:guest@127.0.0.1:5672/"
TIMEOUTS = (requests.exceptions.Timeout, subprocess.TimeoutExpired, TimeoutError)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that failed on a timeout (its own, or one a command it ran reported) shows
    where every thread of this process was (the in-process clouds' services among them):
    what held up the server it waited for."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and (
            call.excinfo.errisinstance(TIMEOUTS) or "timed out" in str(call.excinfo.value)
            or "never answered" in str(call.excinfo.value)):
        report.sections.append(("threads when the timeout struck", thread_stacks()))


def thread_stacks() -> str:
    """Every thread's stack, threads with the same stack told once (with their names)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    stacks: dict[str, list[str]] = {}
    for ident, frame in sys._current_frames().items():
        stack = "".join(traceback.format_stack(frame))
        stacks.setdefault(stack, []).append(names.get(ident, str(ident)))
    return "\n".join(f"{len(who)} thread(s): {', '.join(sorted(who))}\n{stack}"
                     for stack, who in sorted(stacks.items(), key=lambda kv: len(kv[1])))


def _broker_problem(url: str) -> str | None:
    """None if a broker accepts a connection at `url`, else what went wrong."""
    try:
        pika.BlockingConnection(connection_parameters(url, "minicloud test probe")).close()
    except Exception as exc:  # refused, auth, timeout: all mean "no usable broker"
        return repr(exc)  # pika's str() of a refused connection is empty
    return None


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    url = os.environ.get("MINICLOUD_RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    problem = _broker_problem(url)
    if problem is not None:
        where = url.rsplit("@", 1)[-1]
        message = f"no RabbitMQ broker reachable at {where} ({problem})"
        if os.environ.get("MINICLOUD_REQUIRE_RABBITMQ") == "1":
            pytest.fail(message + " and MINICLOUD_REQUIRE_RABBITMQ=1", pytrace=False)
        pytest.skip(message + "; set MINICLOUD_REQUIRE_RABBITMQ=1 to fail instead")
    return url


@pytest.fixture(scope="session")
def cloud(tmp_path_factory):
    """One live in-process cloud for the whole session, started by the real `minicloud up`."""
    live = LiveCloud(tmp_path_factory.mktemp("cloud"))
    live.up()
    yield live
    live.down()


@pytest.fixture(scope="module")
def transport_url(rabbitmq_url):
    """A vhost and a user for the test module's cloud alone, on the CI's broker (made and
    removed with rabbitmqctl, as `minicloud up --mode processes` does)."""
    name = f"minicloud-test-{secrets.token_hex(4)}"
    password = secrets.token_hex(8)
    broker.create(name, name, password)
    where = urlsplit(rabbitmq_url)
    yield broker.url(name, password, name, where.hostname or "127.0.0.1", where.port or 5672)
    broker.delete(name, name)
