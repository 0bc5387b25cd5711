"""The lean node-to-node HTTP client against the lean server: keep-alive, every body
framing, HEAD, a streamed request body, and a connection the server has closed."""

import io

import falcon
import pytest

from minicloud.common.nodeclient import BadResponse, NodeConnection
from minicloud.common.nodeserver import NodeHttpServer


class Echo:
    def on_put(self, req, resp):
        body = req.bounded_stream.read()
        resp.status = falcon.HTTP_201
        resp.set_header("X-Got", str(len(body)))
        resp.text = body[:10].decode()

    def on_get(self, req, resp):
        resp.stream = iter([b"abc", b"def" * 30000])  # no length: sent chunked

    def on_head(self, req, resp):
        resp.content_length = 12

    def on_delete(self, req, resp):
        resp.status = falcon.HTTP_204


@pytest.fixture
def server():
    app = falcon.App()
    app.add_route("/x", Echo())
    srv = NodeHttpServer("test", app, "127.0.0.1", 0).start()
    yield srv
    srv.stop()


def connect(server) -> NodeConnection:
    return NodeConnection("127.0.0.1", server.port, 2.0, 5.0)


def test_one_connection_serves_every_kind_of_answer_in_turn(server):
    conn = connect(server)
    port = conn.sock.getsockname()[1]
    conn.request("PUT", "/x", body=b"hello", headers={"Content-Type": "text/plain"})
    r = conn.getresponse()
    assert (r.status, dict(r.getheaders())["x-got"], r.read()) == (201, "5", b"hello")
    assert r.isclosed() and not r.will_close
    conn.request("GET", "/x")
    r = conn.getresponse()
    assert b"".join(iter(lambda: r.read(1000), b"")) == b"abc" + b"def" * 30000
    assert r.isclosed()
    conn.request("HEAD", "/x")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b"" and r.isclosed()
    conn.request("DELETE", "/x")
    assert conn.getresponse().status == 204
    conn.request("PUT", "/x")  # no body: Content-Length 0
    assert conn.getresponse().read() == b""
    assert conn.sock.getsockname()[1] == port  # all of it on the first connection


def test_a_streamed_body_goes_in_chunks_after_the_head(server):
    conn = connect(server)
    conn.request("PUT", "/x", body=io.BytesIO(b"z" * 200_000),
                 headers={"Content-Length": "200000"})
    r = conn.getresponse()
    assert dict(r.getheaders())["x-got"] == "200000" and r.read() == b"z" * 10


def test_a_closed_connection_is_seen_before_it_is_used(server):
    conn = connect(server)
    conn.request("DELETE", "/x")
    conn.getresponse()
    assert conn.alive()
    server.stop()
    assert not conn.alive()


def test_line_breaks_in_a_header_value_are_refused(server):
    with pytest.raises(BadResponse):
        connect(server).request("GET", "/x", headers={"X-Evil": "a\r\nX-Injected: 1"})
