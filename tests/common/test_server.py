"""The APIs' HTTP server (common/server.py, waitress): it serves whatever numbers its
descriptors have, and stop() ends its thread and its open connections."""

import os
import resource
import socket

import requests

from minicloud.common.server import HttpServer


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_a_server_whose_descriptors_are_numbered_past_1024_still_serves():
    """select() refuses descriptors from 1024 on, and a long-lived process (a test run's
    worker, a busy controller) gets there: the server must not die of it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1200, hard), hard))
    held = []
    while not held or held[-1] < 1100:
        held.append(os.open(os.devnull, os.O_RDONLY))
    try:
        server = HttpServer("test", app, "127.0.0.1", 0).start()
        try:
            answer = requests.get(f"http://127.0.0.1:{server.port}/", timeout=10)
            assert answer.status_code == 200 and answer.text == "ok"
        finally:
            server.stop()
    finally:
        for fd in held:
            os.close(fd)


def test_stop_closes_open_connections_and_ends_the_thread():
    server = HttpServer("test", app, "127.0.0.1", 0).start()
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    kept.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert kept.recv(4096).startswith(b"HTTP/1.1 200")  # a keep-alive connection, open
    server.stop()
    assert not server._thread.is_alive()
    assert kept.recv(4096) == b""  # the server hung up
    kept.close()
