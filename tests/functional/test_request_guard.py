"""The guard every service shares (common/validation.py, common/wsgi.py), sent as a hostile
client would through raw HTTP to the create endpoints of every service on a live cloud:
JSON nested 20,000 deep, lone surrogates, invalid UTF-8, bodies over oslo's 112 KiB limit,
header lines over 16 KiB. Each gets a 4xx in that service's own error format, never a 500,
and the service answers normally afterwards."""

from __future__ import annotations

import json

import pytest
import requests

from tests.livecloud import minicloud

ADMIN = "minicloud-admin"

DEEP = b"[" * 20000 + b"]" * 20000
SURROGATE_VALUE = b'{"%s": {"name": "\\ud800"}}'
SURROGATE_KEY = b'{"%s": {"\\udc00x": 1}}'
BAD_UTF8 = b'{"%s": {"name": "\xff\xfe"}}'


def keystone_error(body: dict, status: int) -> bool:
    return body["error"]["code"] == status


def envelope_error(body: dict, status: int) -> bool:  # Nova and Cinder: {kind: {code, message}}
    (inner,) = body.values()
    return inner["code"] == status and inner["message"]


def neutron_error(body: dict, status: int) -> bool:
    return body["NeutronError"]["message"] != ""


def glance_error(body: dict, status: int) -> bool:
    return body["code"].startswith(str(status)) and body["message"]


@pytest.fixture(scope="module")
def endpoints(cloud):
    """(name, url, wrapper key, error-format check, token) for a create call of each service."""
    sdk = cloud.sdk(ADMIN)
    token, project = sdk.auth_token, sdk.current_project_id
    base = cloud.config.base_url
    return [
        ("keystone", base("identity") + "/v3/projects", "project", keystone_error, token),
        ("nova", base("compute") + "/v2.1/flavors", "flavor", envelope_error, token),
        ("nova", base("compute") + "/v2.1/os-keypairs", "keypair", envelope_error, token),
        ("neutron", base("network") + "/v2.0/networks", "network", neutron_error, token),
        ("glance", base("image") + "/v2/images", "image", glance_error, token),
        ("cinder", base("volume") + f"/v3/{project}/volumes", "volume", envelope_error, token),
    ]


def _post(url: str, token: str, data: bytes, **headers) -> requests.Response:
    return requests.post(url, data=data, timeout=30, headers={
        "X-Auth-Token": token, "Content-Type": "application/json", **headers})


def _assert_refused(response, status: int, check, name: str) -> None:
    assert response.status_code == status, (name, response.status_code, response.text[:300])
    assert check(response.json(), status), (name, response.text[:300])


@pytest.mark.parametrize("case", ["deep", "surrogate-value", "surrogate-key", "bad-utf8"])
def test_malformed_json_is_a_400_in_each_services_format(endpoints, case):
    for name, url, key, check, token in endpoints:
        data = {"deep": DEEP, "surrogate-value": SURROGATE_VALUE % key.encode(),
                "surrogate-key": SURROGATE_KEY % key.encode(),
                "bad-utf8": BAD_UTF8 % key.encode()}[case]
        response = _post(url, token, data)
        _assert_refused(response, 400, check, name)
        assert {"deep": "nested deeper", "bad-utf8": "Malformed"}.get(case, "Unicode") \
            in response.text


def test_a_body_over_112_kib_is_a_413(endpoints):
    for name, url, key, check, token in endpoints:
        data = json.dumps({key: {"name": "x" * 120_000}}).encode()
        _assert_refused(_post(url, token, data), 413, check, name)


def test_a_header_line_over_16_kib_is_a_400(endpoints):
    for name, url, key, check, token in endpoints:
        response = _post(url, token, b"{}", **{"X-Learner-Note": "n" * 17_000})
        _assert_refused(response, 400, check, name)
        assert "too long" in response.text


def test_every_service_still_answers_afterwards(cloud, endpoints):
    for name, url, key, check, token in endpoints:
        response = requests.get(url, headers={"X-Auth-Token": token}, timeout=10)
        assert response.status_code == 200, (name, response.status_code, response.text[:200])
    assert cloud.cli_json("project", "show", "demo", cloud=ADMIN)["name"] == "demo"


def test_a_forged_trace_id_is_ignored(cloud, endpoints):
    """A client cannot plant a trace id of its own: only ours (hex) are followed."""
    name, url, key, check, token = endpoints[0]
    response = requests.get(url, timeout=10, headers={
        "X-Auth-Token": token, "X-Minicloud-Trace-Id": "'; drop table spans; --"})
    assert response.status_code == 200
    listed = minicloud("trace", "list", home=cloud.home)
    assert "drop table" not in listed.stdout
