"""The lean node-to-node HTTP server: keep-alive, bodies of every framing, HEAD, and a
stop that hangs up on open connections."""

import email.utils
import http.client
import socket

import falcon
import pytest

from minicloud.common.nodeserver import MAX_LINE, NodeHttpServer


class Echo:
    def on_put(self, req, resp):
        body = req.bounded_stream.read()
        resp.text = f"{len(body)}:{body[:20].decode()}"

    def on_get(self, req, resp):
        resp.text = f"path={req.path} q={req.query_string}"

    on_head = on_get

    def on_delete(self, req, resp):
        resp.status = falcon.HTTP_204


class Stream:
    def on_get(self, req, resp):
        resp.stream = iter([b"abc", b"", b"def"])  # no length: sent chunked


class File:
    def __init__(self, path):
        self.path = path

    def on_get(self, req, resp):
        resp.stream = open(self.path, "rb")
        resp.content_length = self.path.stat().st_size


@pytest.fixture
def server(tmp_path):
    (tmp_path / "blob").write_bytes(bytes(range(256)) * 1000)
    app = falcon.App()
    app.add_route("/echo", Echo())
    app.add_route("/stream", Stream())
    app.add_route("/file", File(tmp_path / "blob"))
    (tmp_path / "small").write_bytes(b"tiny file")
    app.add_route("/small", File(tmp_path / "small"))
    srv = NodeHttpServer("test", app, "127.0.0.1", 0).start()
    yield srv
    srv.stop()


def test_keep_alive_serves_many_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    for i in range(3):
        conn.request("PUT", "/echo", body=b"x" * i)
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, f"{i}:{'x' * i}".encode())
    conn.request("GET", "/echo?a=1&b=%20")
    assert conn.getresponse().read() == b"path=/echo q=a=1&b=%20"
    port = conn.sock.getsockname()[1]
    conn.request("GET", "/echo")
    conn.getresponse().read()
    assert conn.sock.getsockname()[1] == port  # still the same connection


def test_chunked_and_expect_continue_request_bodies(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("PUT", "/echo", body=iter([b"hello ", b"world"]),
                 headers={"Transfer-Encoding": "chunked", "Expect": "100-continue"},
                 encode_chunked=True)
    r = conn.getresponse()
    assert r.read() == b"11:hello world"


def test_unsized_responses_are_chunked_and_head_has_no_body(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/stream")
    r = conn.getresponse()
    assert r.getheader("Transfer-Encoding") == "chunked" and r.read() == b"abcdef"
    conn.request("HEAD", "/echo")
    r = conn.getresponse()
    assert r.status == 200 and r.read() == b""
    conn.request("GET", "/echo")  # the connection is still in step after the HEAD
    assert conn.getresponse().read() == b"path=/echo q="


def test_a_204_has_no_body_not_even_an_empty_chunked_one(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        got = b""
        while got.count(b"HTTP/1.1") < 2 or not got.endswith(b"q="):
            got += s.recv(4096)
    head, rest = got.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 204") and b"chunked" not in head
    assert rest.startswith(b"HTTP/1.1 200")  # the next answer follows the head at once


def test_file_bodies_arrive_whole(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/file")
    assert conn.getresponse().read() == bytes(range(256)) * 1000


def answer_to(server, request: bytes, then_hang_up: bool = False) -> bytes:
    """All the server says to `request` until it hangs up."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(request)
        if then_hang_up:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        got = b""
        while data := s.recv(65536):
            got += data
    return got


def test_garbage_gets_a_400_and_the_connection_closed(server):
    got = answer_to(server, b"NONSENSE\r\n\r\nGET /echo HTTP/1.1\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 400 ") and got.count(b"HTTP/1.1") == 1
    assert b"Connection: close" in got


@pytest.mark.parametrize("length", [b"-1", b"ten"])
def test_a_content_length_that_is_no_length_is_refused(server, length):
    got = answer_to(server, b"PUT /echo HTTP/1.1\r\nContent-Length: " + length + b"\r\n\r\nx")
    assert got.startswith(b"HTTP/1.1 400 ") and got.endswith(b"Bad Content-Length")


def test_a_header_line_over_the_limit_is_refused_not_split(server):
    line = b"X-Big: " + b"y" * MAX_LINE + b"\r\n"
    got = answer_to(server, b"GET /echo HTTP/1.1\r\n" + line + b"\r\n")
    assert got.startswith(b"HTTP/1.1 400 ") and got.endswith(b"Line too long")


def test_every_answer_has_a_date_and_a_small_file_goes_with_its_head(server, tmp_path):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/echo")
    r = conn.getresponse()
    assert r.read() and email.utils.parsedate_to_datetime(r.getheader("Date")).tzinfo
    got = answer_to(server, b"GET /small HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert got.endswith(b"\r\n\r\n" + b"tiny file")


def test_a_body_cut_short_reaches_the_app_short_and_ends_the_connection(server):
    got = answer_to(server, b"PUT /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
                    then_hang_up=True)
    assert got.startswith(b"HTTP/1.1 200") and got.endswith(b"3:abc")  # then it hung up


def test_stop_hangs_up_open_connections(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/echo")
    conn.getresponse().read()
    server.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/echo")
        conn.getresponse()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)
