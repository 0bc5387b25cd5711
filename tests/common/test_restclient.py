"""The one REST client between services (common/restclient.py), against a fake Keystone and
a fake service over real HTTP: whose token a call carries and when it is renewed, the error
a caller sees, and the trace and request-id headers that tie the callee to the request."""

from __future__ import annotations

import json

import pytest
import requests

from minicloud.common import trace
from minicloud.common.keystone import ServiceAuth
from minicloud.common.restclient import (REQUEST_ID_HEADER, RestClient, ServiceError,
                                         error_message, outgoing_headers)
from minicloud.common.trace import Tracer
from tests.common.fakes import FakeClock, FakeCloud


class ThingClient(RestClient):
    service_type = "thing"
    prefix = "/v2"


@pytest.fixture
def cloud():
    cloud = FakeCloud(FakeClock()).start()
    yield cloud
    cloud.stop()


@pytest.fixture
def auth(cloud):
    return ServiceAuth(cloud.auth_url, "nova", "secret", clock=cloud.clock)


@pytest.fixture
def client(auth):
    return ThingClient(auth, timeout=5)


def tokens_sent(cloud) -> list[str]:
    return [headers.get("X-AUTH-TOKEN") for _, _, headers in cloud.requests]


# -- where a call goes ----------------------------------------------------------------------
def test_the_catalogs_internal_url_gets_the_services_prefix(cloud, client):
    """Between services, the internal endpoint (the management network's, where nodes
    have one), as Nova's [neutron] valid_interfaces says."""
    assert client.endpoint() == cloud.url + "/v2"
    assert client.request("GET", "/things/a") == {"name": "a"}
    assert cloud.requests[0][:2] == ("GET", "/v2/things/a")


def test_a_prefix_already_in_the_catalog_url_is_not_doubled(cloud, client):
    cloud.catalog = lambda: [{"type": "thing", "endpoints": [
        {"interface": "internal", "url": cloud.url + "/v2/"}]}]
    assert client.endpoint() == cloud.url + "/v2"


def test_a_fixed_base_url_bypasses_the_catalog(cloud, auth):
    client = ThingClient(auth, base_url=cloud.url + "/v2/")
    assert client.url("/things/b") == cloud.url + "/v2/things/b"
    assert cloud.logins == 0


# -- whose token ----------------------------------------------------------------------------
def test_a_call_without_a_callers_token_carries_the_services(cloud, auth, client):
    client.request("GET", "/things/a")
    assert tokens_sent(cloud) == [auth.token()]


def test_an_expired_service_token_is_renewed_once_and_the_call_retried(cloud, auth, client):
    client.request("GET", "/things/a")
    old = auth.token()
    cloud.service_tokens.clear()  # Keystone no longer accepts it
    assert client.request("GET", "/things/b") == {"name": "b"}
    new = auth.token()
    assert new != old
    assert cloud.logins == 2
    assert tokens_sent(cloud) == [old, old, new]


class RefusingSet(set):
    """A token set that never holds anything: what the service checks is always refused."""

    def add(self, item):
        pass


def test_a_second_401_after_renewal_is_raised_not_retried_forever(cloud, client):
    client.request("GET", "/things/a")
    # Every token the fake Keystone issues from now on is refused by the service.
    cloud.service_tokens = RefusingSet()
    with pytest.raises(ServiceError) as caught:
        client.request("GET", "/things/b")
    assert caught.value.status == 401
    assert len(cloud.requests) == 3  # the first call, then the refused one and one retry


def test_a_callers_token_is_never_renewed(cloud, client):
    """Only the caller can get a new token for the caller: a 401 is the caller's answer."""
    token = cloud.user_token()
    assert client.request("GET", "/things/a", token)["name"] == "a"
    cloud.revoke(token)
    with pytest.raises(ServiceError) as caught:
        client.request("GET", "/things/a", token)
    assert caught.value.status == 401
    assert tokens_sent(cloud) == [token, token]  # sent once, not retried
    assert cloud.logins == 1  # the catalog look-up only; no renewal for the caller


# -- errors ---------------------------------------------------------------------------------
ERROR_BODIES = {
    "nova": {"itemNotFound": {"code": 404, "message": "Image abc could not be found."}},
    "neutron": {"NeutronError": {"type": "NetworkNotFound",
                                 "message": "Image abc could not be found.", "detail": ""}},
    "keystone": {"error": {"code": 404, "title": "Not Found",
                           "message": "Image abc could not be found."}},
    "plain": {"message": "Image abc could not be found."},
}


@pytest.mark.parametrize("shape", ERROR_BODIES)
def test_the_callees_message_is_extracted_from_its_error_body(cloud, client, shape):
    cloud.answers["x"] = ("404 Not Found", json.dumps(ERROR_BODIES[shape]).encode())
    with pytest.raises(ServiceError) as caught:
        client.request("GET", "/answer/x")
    assert caught.value.status == 404
    assert str(caught.value) == "Image abc could not be found."


@pytest.mark.parametrize("body", [
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"code": 502, "title": "Bad Gateway"}',  # JSON, but no message anywhere
    b'["Bad Gateway"]',
])
def test_a_body_without_a_message_gives_its_text(cloud, client, body):
    cloud.answers["x"] = ("502 Bad Gateway", body)
    with pytest.raises(ServiceError) as caught:
        client.request("GET", "/answer/x")
    assert caught.value.status == 502
    assert str(caught.value) == body.decode()


def test_a_long_text_error_is_cut_to_200_characters(cloud, client):
    cloud.answers["x"] = ("500 Internal Server Error", b"<p>" + b"x" * 1000)
    with pytest.raises(ServiceError) as caught:
        client.request("GET", "/answer/x")
    assert str(caught.value) == "<p>" + "x" * 197


def test_error_message_prefers_a_nested_message_to_a_top_level_one():
    response = requests.Response()
    response._content = json.dumps({"message": "outer", "badRequest": {"message": "inner"}}
                                   ).encode()
    assert error_message(response) == "inner"


def test_an_empty_success_body_is_none(cloud, client):
    assert client.request("DELETE", "/things/a") is None


def test_delete_if_there_treats_404_as_done(cloud, client):
    cloud.answers["gone"] = ("404 Not Found", b'{"itemNotFound": {"message": "gone"}}')
    client.delete_if_there("/things/gone")
    client.delete_if_there("/things/here")
    assert [r[:2] for r in cloud.requests] == [("DELETE", "/v2/things/gone"),
                                               ("DELETE", "/v2/things/here")]


@pytest.mark.parametrize("status, code", [("409 Conflict", 409), ("500 Internal", 500),
                                          ("403 Forbidden", 403)])
def test_delete_if_there_raises_other_errors(cloud, client, status, code):
    cloud.answers["busy"] = (status, b'{"conflictingRequest": {"message": "in use"}}')
    with pytest.raises(ServiceError) as caught:
        client.delete_if_there("/things/busy")
    assert (caught.value.status, str(caught.value)) == (code, "in use")


def test_delete_if_there_with_a_revoked_callers_token_raises_401(cloud, client):
    token = cloud.user_token()
    cloud.revoke(token)
    with pytest.raises(ServiceError) as caught:
        client.delete_if_there("/things/a", token)
    assert caught.value.status == 401


# -- trace and request id -------------------------------------------------------------------
def test_a_call_in_a_span_carries_its_trace_and_request_id(cloud, client):
    tracer = Tracer()
    with tracer.span("nova-api", "GET /servers/1", request_id="req-abc") as span:
        client.request("GET", "/things/a")
    [(_, _, headers)] = cloud.requests
    assert headers[trace.TRACE_HEADER.upper()] == span.trace_id
    assert headers[trace.SPAN_HEADER.upper()] == span.span_id
    assert headers[REQUEST_ID_HEADER.upper()] == "req-abc"


def test_a_call_outside_any_span_carries_no_trace_headers(cloud, client):
    client.request("GET", "/things/a")
    client.request("GET", "/things/b", background=True)
    [(_, _, foreground), (_, _, background)] = cloud.requests
    for header in (trace.TRACE_HEADER, trace.SPAN_HEADER, REQUEST_ID_HEADER,
                   trace.UNTRACED_HEADER):
        assert header.upper() not in foreground
    assert background[trace.UNTRACED_HEADER.upper()] == "1"
    assert trace.TRACE_HEADER.upper() not in background


def test_outgoing_headers_without_a_request_id_has_only_the_trace():
    with Tracer().span("nova-compute", "periodic") as span:
        assert outgoing_headers() == {trace.TRACE_HEADER: span.trace_id,
                                      trace.SPAN_HEADER: span.span_id}


def test_a_callers_headers_are_sent_too(cloud, client):
    client.request("GET", "/things/a", headers={"OpenStack-API-Version": "volume 3.60"})
    [(_, _, headers)] = cloud.requests
    assert headers["OPENSTACK-API-VERSION"] == "volume 3.60"
    assert headers["ACCEPT"] == "application/json"
