"""Fixtures for the shared-plumbing tests: a RabbitMQ broker when one answers.

RabbitMQ tests skip with the reason when no broker is reachable, unless
MINICLOUD_REQUIRE_RABBITMQ=1 (CI sets it where a broker runs): then they fail.
The broker URL comes from MINICLOUD_RABBITMQ_URL (default guest@127.0.0.1:5672).
"""

import os

import pika
import pytest

from minicloud.common.rpc.amqp import connection_parameters

DEFAULT_RABBITMQ_URL = "rabbit://guest:guest@127.0.0.1:5672/"


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
