"""RPC: one suite, run over both transports (memory and RabbitMQ), plus AMQP reconnects.

Every test uses its own topic, so runs against a shared broker do not see each other.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid

import pytest

from minicloud.common import rpc
from minicloud.common.context import RequestContext
from minicloud.common.rpc.amqp import AmqpTransport, connection_parameters
from minicloud.common.trace import Tracer
from minicloud.common.trace_store import TraceStore
from tests.fakes import wait_for


class InstanceNotFound(Exception):
    pass


class Recorder:
    """An endpoint that remembers every message it was sent."""

    def __init__(self, name: str):
        self.name = name
        self.seen: list[dict] = []
        self._changed = threading.Condition()

    def _record(self, method: str, ctx: RequestContext, **kwargs) -> dict:
        entry = {"server": self.name, "method": method, "args": kwargs, "context": ctx.to_dict()}
        with self._changed:
            self.seen.append(entry)
            self._changed.notify_all()
        return entry

    def echo(self, ctx, **kwargs):
        return self._record("echo", ctx, **kwargs)

    def note(self, ctx, value):
        self._record("note", ctx, value=value)

    def fail(self, ctx, message):
        raise InstanceNotFound(message)

    def unserialisable(self, ctx):
        return {"when": object()}

    def _secret(self, ctx):
        return "private methods must not be reachable"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.seen) >= count, timeout)
            return list(self.seen)


@pytest.fixture(params=["memory", pytest.param("amqp", marks=pytest.mark.rabbitmq)])
def transport(request):
    url = "memory://" if request.param == "memory" else request.getfixturevalue("rabbitmq_url")
    transport = rpc.get_transport(url)
    yield transport
    transport.close()


@pytest.fixture
def serve(transport):
    """Start RPCServers on the test's transport; all are stopped at the end."""
    servers = []

    def start(topic, server, endpoints, **kwargs):
        servers.append(rpc.RPCServer(transport, topic, server, endpoints, **kwargs).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def topic():
    return "test-" + uuid.uuid4().hex[:12]


@pytest.fixture
def ctx():
    return RequestContext(user_id="u-alice", user_name="alice", project_id="p-demo",
                          project_name="demo", roles=["member", "reader"])


# -- call, cast, fanout --------------------------------------------------------------------
def test_call_returns_result(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")])
    reply = rpc.RPCClient(transport, topic, timeout=10).call(ctx, "echo", answer=42)
    assert reply["server"] == "host1"
    assert reply["args"] == {"answer": 42}


def test_call_carries_kwargs_and_context(transport, serve, topic, ctx):
    recorder = Recorder("host1")
    serve(topic, "host1", [recorder])
    args = {"name": "vm1", "flavor": {"vcpus": 1, "ram": 512}, "tags": ["a", "b"], "n": None}
    rpc.RPCClient(transport, topic, timeout=10).call(ctx, "echo", **args)
    arrived = recorder.seen[0]
    assert arrived["args"] == args
    for field in ("user_id", "user_name", "project_id", "project_name", "roles", "request_id"):
        assert arrived["context"][field] == getattr(ctx, field)


def test_cast_is_delivered(transport, serve, topic, ctx):
    recorder = Recorder("host1")
    serve(topic, "host1", [recorder])
    started = time.monotonic()
    assert rpc.RPCClient(transport, topic).cast(ctx, "note", value="hello") is None
    assert time.monotonic() - started < 1.0  # fire and forget: no waiting for the server
    seen = recorder.wait_for(1)
    assert [(e["method"], e["args"]) for e in seen] == [("note", {"value": "hello"})]
    assert seen[0]["context"]["request_id"] == ctx.request_id


def test_fanout_reaches_every_server(transport, serve, topic, ctx):
    recorders = [Recorder(f"host{i}") for i in range(3)]
    for recorder in recorders:
        serve(topic, recorder.name, [recorder])
    rpc.RPCClient(transport, topic).fanout(ctx, "note", value="refresh")
    for recorder in recorders:
        assert [e["args"] for e in recorder.wait_for(1)] == [{"value": "refresh"}]


def test_topic_casts_are_shared_round_robin_each_delivered_once(transport, serve, topic, ctx):
    recorders = [Recorder("host1"), Recorder("host2")]
    for recorder in recorders:
        serve(topic, recorder.name, [recorder])
    client = rpc.RPCClient(transport, topic)
    for n in range(20):
        client.cast(ctx, "note", value=n)
    total = lambda: sum(len(r.seen) for r in recorders)  # noqa: E731
    assert wait_for(lambda: total() >= 20, timeout=10.0)
    time.sleep(0.2)  # a duplicate would arrive now
    values = sorted(e["args"]["value"] for r in recorders for e in r.seen)
    assert values == list(range(20))
    assert all(len(r.seen) > 0 for r in recorders), "one server got every cast"


def test_targeted_call_reaches_the_named_server(transport, serve, topic, ctx):
    for name in ("host1", "host2", "host3"):
        serve(topic, name, [Recorder(name)])
    client = rpc.RPCClient(transport, topic, timeout=10)
    targeted = client.prepare(server="host2")
    assert {targeted.call(ctx, "echo")["server"] for _ in range(9)} == {"host2"}
    assert client.server is None  # prepare() made a new client
    assert {client.call(ctx, "echo")["server"] for _ in range(9)} == {"host1", "host2", "host3"}


def test_concurrent_calls_get_their_own_replies(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")])
    client = rpc.RPCClient(transport, topic, timeout=10)
    wrong = []

    def caller(thread_no):
        for n in range(25):
            reply = client.call(ctx, "echo", thread_no=thread_no, n=n)
            if reply["args"] != {"thread_no": thread_no, "n": n}:
                wrong.append(reply)

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert wrong == []


def test_cast_sent_while_the_server_restarts_is_not_lost(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")]).stop()
    client = rpc.RPCClient(transport, topic)
    client.cast(ctx, "note", value="to-the-topic")
    client.prepare(server="host1").cast(ctx, "note", value="to-host1")
    recorder = Recorder("host1")
    serve(topic, "host1", [recorder])
    values = sorted(e["args"]["value"] for e in recorder.wait_for(2))
    assert values == ["to-host1", "to-the-topic"]


# -- errors --------------------------------------------------------------------------------
def test_remote_exception_comes_back_as_remote_error(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")])
    client = rpc.RPCClient(transport, topic, timeout=10)
    with pytest.raises(rpc.RemoteError) as caught:
        client.call(ctx, "fail", message="Instance vm1 could not be found.")
    error = caught.value
    assert error.exc_type == "InstanceNotFound"
    assert error.value == "Instance vm1 could not be found."
    assert "InstanceNotFound: Instance vm1 could not be found." in str(error)
    assert "in fail" in error.traceback  # the server-side traceback, for debugging
    assert client.call(ctx, "echo", still="alive")["args"] == {"still": "alive"}


def test_unknown_or_private_method_is_a_remote_error(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")])
    client = rpc.RPCClient(transport, topic, timeout=10)
    for method in ("no_such_method", "_secret"):
        with pytest.raises(rpc.RemoteError) as caught:
            client.call(ctx, method)
        assert caught.value.exc_type == "NoSuchMethod"
        assert repr(method) in caught.value.value


def test_json_is_the_only_currency(transport, serve, topic, ctx):
    serve(topic, "host1", [Recorder("host1")])
    client = rpc.RPCClient(transport, topic, timeout=10)
    with pytest.raises(TypeError):
        client.call(ctx, "echo", when=object())
    with pytest.raises(rpc.RemoteError) as caught:
        client.call(ctx, "unserialisable")
    assert caught.value.exc_type == "TypeError"
    assert "not JSON-serialisable" in caught.value.value


def test_call_to_a_topic_without_server_times_out_clearly(transport, topic, ctx):
    client = rpc.RPCClient(transport, topic, timeout=1.0)
    for target, who in ((client, "any server"), (client.prepare(server="host9"), "server host9")):
        started = time.monotonic()
        with pytest.raises(rpc.RPCTimeout) as caught:
            target.call(ctx, "echo")
        assert 0.9 <= time.monotonic() - started < 2.5
        assert f"no reply from topic '{topic}' ({who}) within 1.0 s" in str(caught.value)


def test_a_server_that_does_not_answer_in_time_times_out(transport, serve, topic, ctx):
    class Slow:
        def nap(self, ctx, seconds):
            time.sleep(seconds)

    serve(topic, "host1", [Slow()])
    client = rpc.RPCClient(transport, topic, timeout=0.5)
    with pytest.raises(rpc.RPCTimeout, match="server host1"):
        client.prepare(server="host1").call(ctx, "nap", seconds=1.5)
    assert client.prepare(timeout=5).call(ctx, "nap", seconds=0) is None


# -- tracing -------------------------------------------------------------------------------
def test_server_span_is_a_child_of_the_client_span(transport, serve, topic, ctx, tmp_path):
    store = TraceStore(tmp_path / "trace.db")
    tracer = Tracer(store)
    serve(topic, "compute1", [Recorder("compute1")], service="compute1", tracer=tracer)
    client = rpc.RPCClient(transport, topic, service="nova-api", tracer=tracer, timeout=10)
    with tracer.span("nova-api", "POST /servers") as root:
        client.call(ctx, "echo", step=1)
    store.flush()
    spans = {s.operation: s for s in store.trace(root.trace_id)}
    client_span, server_span = spans[f"call {topic}.echo"], spans["echo"]
    assert client_span.service == "nova-api" and client_span.parent_id == root.span_id
    assert server_span.service == "compute1" and server_span.parent_id == client_span.span_id
    assert server_span.trace_id == client_span.trace_id == root.trace_id
    assert server_span.request_id == ctx.request_id


def test_every_hop_of_a_chain_is_traced(transport, serve, topic, ctx, tmp_path):
    """api --cast--> conductor --call--> compute: four spans, each the child of the last."""
    store = TraceStore(tmp_path / "trace.db")
    tracer = Tracer(store)
    compute_topic, compute = topic + "-compute", Recorder("compute1")

    class Conductor:
        def build(self, ctx, name):
            # No span is passed by hand: the server span is the current one in this thread.
            to_compute = rpc.RPCClient(transport, compute_topic, service="nova-conductor",
                                       tracer=tracer, timeout=10)
            to_compute.call(ctx, "echo", name=name)

    serve(topic, "conductor1", [Conductor()], service="nova-conductor", tracer=tracer)
    serve(compute_topic, "compute1", [compute], service="nova-compute", tracer=tracer)
    rpc.RPCClient(transport, topic, service="nova-api", tracer=tracer).cast(ctx, "build", name="vm1")
    compute.wait_for(1)
    # The conductor's span ends after its call returns; wait for it to be recorded.
    assert wait_for(lambda: (store.flush(), len(store.find(ctx.request_id)) >= 4)[1],
                    timeout=10.0)
    spans = sorted(store.find(ctx.request_id), key=lambda s: s.start)
    assert [(s.service, s.operation) for s in spans] == [
        ("nova-api", f"cast {topic}.build"), ("nova-conductor", "build"),
        ("nova-conductor", f"call {compute_topic}.echo"), ("nova-compute", "echo")]
    assert [s.parent_id for s in spans[1:]] == [s.span_id for s in spans[:-1]]
    assert compute.seen[0]["context"]["trace_id"] == spans[0].trace_id


# -- AMQP only -----------------------------------------------------------------------------
@pytest.mark.rabbitmq
def test_amqp_recovers_when_its_connections_drop(rabbitmq_url, topic, ctx):
    with rpc.get_transport(rabbitmq_url) as transport:
        recorder = Recorder("host1")
        server = rpc.RPCServer(transport, topic, "host1", [recorder]).start()
        client = rpc.RPCClient(transport, topic, timeout=10)
        assert client.call(ctx, "echo", before=True)["args"] == {"before": True}

        transport.sever()  # both the client's and the server's TCP connection
        client.cast(ctx, "note", value="sent-while-down")
        assert recorder.wait_for(2)[-1]["args"] == {"value": "sent-while-down"}
        assert client.call(ctx, "echo", after=True)["args"] == {"after": True}
        client.fanout(ctx, "note", value="fanout-after")  # needs the re-declared fanout queue
        assert recorder.wait_for(4)[-1]["args"] == {"value": "fanout-after"}
        assert all(link.connects == 2 for link in transport.links())
        server.stop()


def _broker_closes_connections_named(name: str) -> int:
    """Have RabbitMQ itself close the connections whose client gave them `name`."""
    listing = subprocess.run(["rabbitmqctl", "-s", "list_connections", "pid", "client_properties"],
                             capture_output=True, text=True, timeout=30)
    if listing.returncode != 0:
        pytest.skip(f"rabbitmqctl cannot list connections: {listing.stderr.strip()[:200]}")
    # One line per connection: "<pid>\t[..., {"connection_name","<name>"}]"
    pids = [line.split("\t")[0] for line in listing.stdout.splitlines()
            if f'{{"connection_name","{name}"}}' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "minicloud test"],
                       check=True, capture_output=True, timeout=30)
    return len(pids)


@pytest.mark.rabbitmq
@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="rabbitmqctl is not installed")
def test_amqp_server_comes_back_after_the_broker_closes_it(rabbitmq_url, topic, ctx):
    with rpc.get_transport(rabbitmq_url) as transport:
        server = rpc.RPCServer(transport, topic, "host1", [Recorder("host1")]).start()
        client = rpc.RPCClient(transport, topic, timeout=10)
        assert client.call(ctx, "echo", n=1)["args"] == {"n": 1}

        assert _broker_closes_connections_named(f"minicloud rpc server {topic}.host1") == 1
        assert client.prepare(server="host1").call(ctx, "echo", n=2)["args"] == {"n": 2}
        link = transport.links()[0]
        assert link.connects == 2
        assert "ConnectionClosedByBroker" in type(link.last_error).__name__
        server.stop()


def test_amqp_fails_clearly_without_broker(topic):
    with AmqpTransport("rabbit://guest:guest@127.0.0.1:1/", connect_timeout=1) as transport:
        with pytest.raises(rpc.RPCError, match="cannot reach RabbitMQ at 127.0.0.1:1"):
            rpc.RPCServer(transport, topic, "host1", [Recorder("host1")]).start()
        with pytest.raises(rpc.RPCTimeout, match="could not hand the cast .* to RabbitMQ"):
            rpc.RPCClient(transport, topic, timeout=0.5).cast(None, "note", value=1)


def test_get_transport_picks_by_url():
    assert type(rpc.get_transport("memory://")).__name__ == "MemoryTransport"
    for url in ("rabbit://u:p@127.0.0.1:5672/", "amqp://u:p@127.0.0.1:5672/"):
        assert type(rpc.get_transport(url)).__name__ == "AmqpTransport"  # connects lazily
    with pytest.raises(ValueError, match="unknown RPC transport"):
        rpc.get_transport("kafka://somewhere")


def test_amqp_url_gives_host_credentials_and_vhost():
    params = connection_parameters("rabbit://nova:s%40cret@10.0.0.11:5673/openstack", "x")
    assert (params.host, params.port, params.virtual_host) == ("10.0.0.11", 5673, "openstack")
    assert (params.credentials.username, params.credentials.password) == ("nova", "s@cret")
    assert params.heartbeat == 10
    assert connection_parameters("amqp://g:g@h/", "x").virtual_host == "/"
    assert connection_parameters("amqp://g:g@h/%2F?heartbeat=4", "x").heartbeat == 4
