"""The hostile client of `make robustness` (minicloud/bench/robustness.py) against a cloud
of this module's own: about 1,400 malformed requests to every create and update endpoint
of the six services. None may get a 5xx, hang, or be refused in a format the service's
clients cannot parse, and every service must answer afterwards."""

import pytest

from minicloud.bench import robustness
from tests.livecloud import LiveCloud


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    cloud = LiveCloud(tmp_path_factory.mktemp("fuzz"))
    cloud.up()
    try:
        token, urls, project = robustness.admin_login(cloud.config.auth_url,
                                                      cloud.config.admin_password)
        yield robustness.fuzz(urls, token, project)
    finally:
        cloud.down()


def test_the_fuzzer_reached_every_service(fuzzed):
    for service in robustness.PROBES:
        assert fuzzed.results[(service, "sent")] >= 80, service
        assert fuzzed.results[(service, "4xx")] > 0, service


def test_no_server_error_hang_or_wrong_format(fuzzed):
    assert fuzzed.failures == []


def test_every_service_answers_afterwards(fuzzed):
    assert fuzzed.up == {service: True for service in robustness.PROBES}
