"""The app factory every service uses (common/wsgi.py): request ids, trace spans, error
bodies in the service's own format, the header-line guard, and what an unexpected
exception or a full disk looks like to a client."""

from __future__ import annotations

import errno
import logging
import re
import sqlite3

import falcon
import falcon.testing
import pytest

from minicloud.common import errors, trace, wsgi
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore

REQUEST_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SECRET = "password=hunter2 at /srv/minicloud/secret.db"


def error_body(code: int, exc: falcon.HTTPError) -> dict:
    """A shape of our own, so a body in it can only have come from this function."""
    return {"testFault": {"code": code, "kind": getattr(exc, "kind", None),
                          "message": errors.message_of(exc)}}


class Thing:
    def on_get(self, req, resp, name):
        if name == "missing":
            raise errors.NotFound(f"Could not find thing {name}.")
        resp.media = {"name": name, "trace": trace.current().trace_id}


class Fails:
    """Raises whatever the test put in `exc`."""

    exc: BaseException = RuntimeError(SECRET)

    def on_get(self, req, resp):
        raise self.exc


@pytest.fixture
def store(tmp_path):
    return TraceStore(tmp_path / "trace.db")


@pytest.fixture
def fails():
    return Fails()


@pytest.fixture
def client(store, fails):
    app = wsgi.create_app("test-api", error_body=error_body, tracer=Tracer(store))
    app.add_route("/things/{name}", Thing())
    app.add_route("/fails", fails)
    return falcon.testing.TestClient(app)


def spans_of(store: TraceStore, request_id: str) -> list[trace.Span]:
    store.flush()
    return store.find(request_id)


# -- request ids ------------------------------------------------------------------------------
@pytest.mark.parametrize("path, status", [
    ("/things/a", 200),        # success
    ("/things/missing", 404),  # an ApiError from the responder
    ("/nowhere", 404),         # Falcon's own: no route
    ("/fails", 500),           # an unexpected exception
])
def test_every_response_carries_a_request_id(client, path, status):
    response = client.simulate_get(path)
    assert response.status_code == status
    assert REQUEST_ID.fullmatch(response.headers["X-Openstack-Request-Id"])


def test_request_ids_differ_between_requests(client):
    ids = {client.simulate_get("/things/a").headers["X-Openstack-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_a_method_not_allowed_is_a_405_with_a_request_id(client):
    response = client.simulate_delete("/things/a")
    assert response.status_code == 405
    assert REQUEST_ID.fullmatch(response.headers["X-Openstack-Request-Id"])
    assert response.json["testFault"]["code"] == 405


def test_a_trailing_slash_reaches_the_same_resource(client):
    response = client.simulate_get("/things/a/")
    assert (response.status_code, response.json["name"]) == (200, "a")


# -- error bodies -----------------------------------------------------------------------------
def test_an_api_error_is_rendered_by_the_services_error_body(client):
    response = client.simulate_get("/things/missing")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json == {"testFault": {"code": 404, "kind": "itemNotFound",
                                           "message": "Could not find thing missing."}}


def test_falcons_own_404_is_rendered_by_the_services_error_body(client):
    response = client.simulate_get("/nowhere")
    assert response.json["testFault"]["code"] == 404
    assert response.json["testFault"]["message"] == "The resource could not be found."


@pytest.mark.parametrize("exc, status, kind", [
    (errors.BadRequest("Invalid input."), 400, "badRequest"),
    (errors.Unauthorized(), 401, "unauthorized"),
    (errors.Forbidden(), 403, "forbidden"),
    (errors.Conflict("Name taken."), 409, "conflictingRequest"),
    (errors.PayloadTooLarge("Too big."), 413, "overLimit"),
    (errors.Conflict("In use.", kind="instanceInUse"), 409, "instanceInUse"),
])
def test_a_raised_api_error_maps_to_its_status(client, fails, exc, status, kind):
    fails.exc = exc
    response = client.simulate_get("/fails")
    assert response.status_code == status
    assert response.json["testFault"] == {"code": status, "kind": kind, "message": str(exc)}


def test_an_unexpected_exception_is_a_500_without_its_details(client, fails, caplog):
    fails.exc = RuntimeError(SECRET)
    with caplog.at_level(logging.ERROR, logger="minicloud.common.wsgi"):
        response = client.simulate_get("/fails")
    assert response.status_code == 500
    assert response.json["testFault"]["code"] == 500
    for leak in ("hunter2", "secret.db", "Traceback", "RuntimeError", "test_wsgi"):
        assert leak not in response.text
    # The details go to the service's log instead, where the operator looks.
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[1] is fails.exc]
    assert logged and "GET /fails" in logged[0].getMessage()


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EDQUOT, "Disk quota exceeded"),
    sqlite3.OperationalError("database or disk is full"),
], ids=["ENOSPC", "EDQUOT", "sqlite-full"])
def test_a_full_disk_is_a_507(client, fails, exc):
    fails.exc = exc
    response = client.simulate_get("/fails")
    assert response.status_code == 507
    assert response.json["testFault"] == {
        "code": 507, "kind": "computeFault", "message": errors.InsufficientStorage().description}
    assert REQUEST_ID.fullmatch(response.headers["X-Openstack-Request-Id"])


@pytest.mark.parametrize("exc", [
    OSError(errno.EACCES, "Permission denied"),
    sqlite3.OperationalError("database is locked"),
], ids=["EACCES", "sqlite-locked"])
def test_other_os_and_sqlite_errors_are_500s_not_507s(client, fails, exc):
    fails.exc = exc
    assert client.simulate_get("/fails").status_code == 500


# -- the header-line guard --------------------------------------------------------------------
def test_a_header_line_longer_than_the_limit_is_a_400(client):
    name = "X-Long"
    room = wsgi.MAX_HEADER_LINE - len(name) - 2  # "name: value" minus the ": "
    assert client.simulate_get("/things/a", headers={name: "v" * room}).status_code == 200
    response = client.simulate_get("/things/a", headers={name: "v" * (room + 1)})
    assert response.status_code == 400
    assert response.json["testFault"]["code"] == 400
    assert "X-LONG IS TOO LONG" in response.json["testFault"]["message"].upper()
    assert REQUEST_ID.fullmatch(response.headers["X-Openstack-Request-Id"])


def test_an_over_long_header_is_refused_before_the_responder_runs(client, fails):
    fails.exc = AssertionError("the responder ran")
    response = client.simulate_get("/fails", headers={"X-Long": "v" * wsgi.MAX_HEADER_LINE})
    assert response.status_code == 400


# -- trace spans ------------------------------------------------------------------------------
def test_each_request_records_one_finished_span(client, store):
    response = client.simulate_get("/things/a")
    request_id = response.headers["X-Openstack-Request-Id"]
    [span] = spans_of(store, request_id)
    assert (span.service, span.operation, span.status) == ("test-api", "GET /things/a", "ok")
    assert span.request_id == request_id
    assert span.attrs["http_status"] == 200
    assert span.parent_id is None
    assert span.end is not None and span.end >= span.start
    assert span.trace_id == response.json["trace"]  # the span the responder ran in


@pytest.mark.parametrize("path, status", [("/things/missing", 404), ("/fails", 500)])
def test_a_failed_request_records_its_error_status(client, store, path, status):
    response = client.simulate_get(path)
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert span.status == f"error {status}"
    assert span.attrs["http_status"] == status


def test_a_full_disk_is_recorded_as_a_507(client, store, fails):
    fails.exc = OSError(errno.ENOSPC, "No space left on device")
    response = client.simulate_get("/fails")
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert (span.status, span.attrs["http_status"]) == ("error 507", 507)


def test_a_refused_over_long_header_still_records_its_span(client, store):
    response = client.simulate_get("/things/a", headers={"X-Long": "v" * wsgi.MAX_HEADER_LINE})
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert span.status == "error 400"


def test_no_span_outlives_its_request(client, store):
    """A span left current on the thread would make the next request on it join its trace."""
    first = client.simulate_get("/fails")
    assert trace.current() is None
    second = client.simulate_get("/things/a")
    assert trace.current() is None
    [a] = spans_of(store, first.headers["X-Openstack-Request-Id"])
    [b] = spans_of(store, second.headers["X-Openstack-Request-Id"])
    assert a.trace_id != b.trace_id
    assert b.parent_id is None


def test_a_caller_in_a_trace_makes_the_request_a_child_span(client, store):
    trace_id, parent_id = "0123456789abcdef" * 2, "fedcba9876543210" * 2
    response = client.simulate_get("/things/a", headers={
        trace.TRACE_HEADER: trace_id, trace.SPAN_HEADER: parent_id})
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert (span.trace_id, span.parent_id) == (trace_id, parent_id)


@pytest.mark.parametrize("forged", [
    "ABCDEF0123",              # upper case: not an id we make
    "a" * 65,                  # longer than any id
    "abc' OR '1'='1",          # not hex at all
    "abc def",
    "",
])
def test_a_forged_trace_id_is_ignored(client, store, forged):
    response = client.simulate_get("/things/a", headers={
        trace.TRACE_HEADER: forged, trace.SPAN_HEADER: forged})
    assert response.status_code == 200
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert span.trace_id != forged
    assert re.fullmatch(r"[0-9a-f]{32}", span.trace_id)
    assert span.parent_id is None


def test_a_forged_parent_span_id_is_ignored_even_in_a_genuine_trace(client, store):
    trace_id = "0123456789abcdef" * 2
    response = client.simulate_get("/things/a", headers={
        trace.TRACE_HEADER: trace_id, trace.SPAN_HEADER: "<script>"})
    [span] = spans_of(store, response.headers["X-Openstack-Request-Id"])
    assert (span.trace_id, span.parent_id) == (trace_id, None)


def test_an_untraced_request_records_no_span_but_keeps_its_request_id(client, store):
    response = client.simulate_get("/things/missing", headers={trace.UNTRACED_HEADER: "1"})
    assert response.status_code == 404
    request_id = response.headers["X-Openstack-Request-Id"]
    assert REQUEST_ID.fullmatch(request_id)
    client.simulate_get("/things/a")  # a traced one, so there is something to flush
    assert spans_of(store, request_id) == []
