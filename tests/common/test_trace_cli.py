"""`minicloud trace list|last|show` over a trace.db of known requests: filters, pages,
the last request of a kind, and lines that fit 120 columns."""

import pytest

from minicloud.cli import main
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore, match_operation

SERVER = "3cb2ecd4-36bd-4300-b15c-197e6fdbc392"


@pytest.fixture
def home(tmp_path):
    store = TraceStore(tmp_path / "trace.db")
    tracer = Tracer(store)
    clock = iter(range(1000, 2000))
    tracer.clock = lambda: float(next(clock))

    def request(service, operation, status="ok", http=200):
        with tracer.span(service, operation, request_id=f"req-{len(operation):08d}-x") as span:
            span.status = None if status == "ok" else status
            span.attrs["http_status"] = http
            return span

    request("keystone", "POST /v3/auth/tokens", http=201)
    with tracer.span("nova-api", "POST /v2.1/servers", request_id="req-boot") as boot:
        with tracer.span("nova-api", "cast conductor.build_instances", target="conductor"):
            pass  # the conductor is down: nobody takes it
    boot.attrs["http_status"] = 202
    request("nova-api", f"POST /v2.1/servers/{SERVER}/action", http=202)
    request("glance", "GET /v2/images/cirros", status="error 404", http=404)
    for i in range(5):
        request("nova-api", f"GET /v2.1/servers/{SERVER}")
    store.flush()
    return tmp_path


def run(capsys, home, *args):
    code = main(["--home", str(home), "trace", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_filters_by_operation_service_and_status(capsys, home):
    _, out, _ = run(capsys, home, "list", "--match", "POST /v2.1/servers")
    assert [line.split()[5] for line in out.splitlines()] == ["/v2.1/servers"]
    _, out, _ = run(capsys, home, "list", "--service", "glance")
    assert len(out.splitlines()) == 1 and "GET /v2/images/cirros" in out and "[error 404]" in out
    _, out, _ = run(capsys, home, "list", "--status", "4xx")
    assert len(out.splitlines()) == 1 and "glance" in out
    _, out, _ = run(capsys, home, "list", "--status", "ok", "--service", "keystone")
    assert "POST /v3/auth/tokens" in out


def test_list_pages_back_from_a_marker(capsys, home):
    _, first, err = run(capsys, home, "list", "--limit", "3")
    assert len(first.splitlines()) == 3 and "--marker" in err
    marker = first.splitlines()[0].split()[1]
    _, second, _ = run(capsys, home, "list", "--limit", "3", "--marker", marker)
    assert len(second.splitlines()) == 3 and not set(second.splitlines()) & set(first.splitlines())
    _, rest, err = run(capsys, home, "list", "--limit", "100", "--marker",
                       second.splitlines()[0].split()[1])
    assert "POST /v3/auth/tokens" in rest.splitlines()[0] and "--marker" not in err
    assert run(capsys, home, "list", "--marker", "ffffffffffff")[0] == 1


def test_last_picks_the_last_request_of_a_kind(capsys, home):
    _, out, _ = run(capsys, home, "last", "create")
    assert out.splitlines()[0].endswith("nova-api POST /v2.1/servers  request req-boot")
    _, by_match, _ = run(capsys, home, "last", "--match", "POST /v2.1/servers")
    assert by_match == out
    _, action, _ = run(capsys, home, "last", "action")
    assert f"POST /v2.1/servers/{SERVER[:8]}.../action" in action.splitlines()[0]
    _, found, _ = run(capsys, home, "last", "images")  # any other word: found in the operation
    assert "glance GET /v2/images/cirros" in found
    assert run(capsys, home, "last", "--match", "DELETE /v2.1/servers/*")[0] == 1


def test_a_message_nobody_took_is_drawn_as_not_delivered(capsys, home):
    _, out, _ = run(capsys, home, "last", "create")
    assert "nova-api -x conductor" in out and "not taken from the queue yet" in out


def test_show_finds_a_trace_by_the_start_of_its_ids(capsys, home):
    _, listed, _ = run(capsys, home, "list", "--service", "glance")
    trace_id, request_id = listed.split()[1:3]
    assert len(trace_id) == 12 and request_id == "req-00000021"
    for ident in (trace_id, request_id):
        code, out, _ = run(capsys, home, "show", ident)
        assert code == 0 and "client -> glance" in out


def test_every_line_fits_120_columns(capsys, home):
    for args in (("list",), ("last", "create"), ("last", "action", "--tree")):
        _, out, _ = run(capsys, home, *args)
        assert out and max(len(line) for line in out.splitlines()) <= 120, args


def test_a_match_with_a_method_is_the_whole_request():
    assert match_operation("POST /v2.1/servers", "POST /v2.1/servers")
    assert not match_operation("POST /v2.1/servers", f"POST /v2.1/servers/{SERVER}/action")
    assert match_operation("post /v2.1/servers/*", f"POST /v2.1/servers/{SERVER}/action")
    assert match_operation("servers", f"GET /v2.1/servers/{SERVER}")
    assert not match_operation("volumes", f"GET /v2.1/servers/{SERVER}")
