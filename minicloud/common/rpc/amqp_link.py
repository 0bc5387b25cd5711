"""One RabbitMQ connection, owned by one thread, that comes back when the broker drops it.

A pika BlockingConnection is not thread-safe, so the AMQP transport gives each connection
a thread of its own (a "link"): the RPC client's link publishes for every caller thread and
receives their replies; each RPC server's link consumes its queues and publishes its
replies. Other threads never touch the connection: they queue work and wake the link with
`add_callback_threadsafe`, the one thread-safe pika call. When the connection is lost the
link reconnects with backoff, runs its setup again (declaring queues, consuming) and then
sends the work that queued up meanwhile. The link thread also answers heartbeats.
"""

from __future__ import annotations

import collections
import logging
import socket
import threading
from typing import Callable

import pika
import pika.exceptions

from .envelope import RPCError

LOG = logging.getLogger(__name__)

# What a lost or refused connection raises: every pika connection error (StreamLostError,
# ConnectionClosedByBroker, AMQPHeartbeatTimeout, ...), a channel the broker closed, and
# the socket errors that sometimes escape pika unwrapped.
CONNECTION_ERRORS = (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError,
                     OSError)
FIRST_RETRY, LAST_RETRY = 0.1, 5.0  # seconds; the backoff doubles between the two


class Publish:
    """One message handed to a link; the sending thread may wait on `done`."""

    def __init__(self, exchange: str, routing_key: str, body: bytes,
                 properties: pika.BasicProperties):
        self.exchange, self.routing_key = exchange, routing_key
        self.body, self.properties = body, properties
        self.done = threading.Event()
        self.error: Exception | None = None
        self.abandoned = False  # the sender gave up waiting: do not send it late

    def __call__(self, channel) -> None:
        if self.abandoned:
            return
        try:
            channel.basic_publish(self.exchange, self.routing_key, self.body, self.properties)
        except pika.exceptions.NackError as exc:  # the broker refused it (confirm mode)
            self.error = exc
        self.done.set()


class Link:
    def __init__(self, params: pika.ConnectionParameters, name: str,
                 setup: Callable[[object], None], *, confirm: bool = False):
        self.params, self.name, self.setup, self.confirm = params, name, setup, confirm
        self.connects = 0  # how many times it has connected: reconnects show up here
        self.last_error: Exception | None = None
        self._work: collections.deque = collections.deque()  # callables taking the channel
        self._stopping = threading.Event()
        self._ready = threading.Event()  # connected, set up, consuming
        self._conn: pika.BlockingConnection | None = None
        self._channel = None
        self._thread: threading.Thread | None = None

    @property
    def where(self) -> str:
        return f"{self.params.host}:{self.params.port}"

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def start(self, wait: float | None = None) -> None:
        """Start the thread; with `wait`, return only once connected and set up."""
        self._thread = threading.Thread(target=self._run, name=f"amqp-{self.name}", daemon=True)
        self._thread.start()
        if wait is not None and not self._ready.wait(wait):
            self.stop()
            raise RPCError(f"cannot reach RabbitMQ at {self.where} within {wait:.0f} s "
                           f"({describe(self.last_error)})")

    def submit(self, work: Callable[[object], None]) -> None:
        """Run `work(channel)` on the link thread, now or right after the next reconnect."""
        self._work.append(work)
        self._wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Send the work already queued (if connected), close the connection, end the thread."""
        self._stopping.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def sever(self) -> None:
        """Cut the TCP connection under pika, as a network failure would (tests, fault labs)."""
        conn = self._conn
        transport = getattr(getattr(conn, "_impl", None), "_transport", None)
        sock = getattr(transport, "_sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    # -- the link thread --------------------------------------------------------------------
    def _wake(self) -> None:
        conn = self._conn
        if conn is None:
            return  # reconnecting: the next session drains the queue
        try:
            conn.add_callback_threadsafe(self._drain)
        except pika.exceptions.ConnectionWrongStateError:
            pass  # closing: same as above

    def _run(self) -> None:
        delay = FIRST_RETRY
        while not self._stopping.is_set():
            try:
                self._session()
            except CONNECTION_ERRORS as exc:
                self.last_error = exc
            except Exception as exc:  # a bug in setup or work: log it, keep the link alive
                self.last_error = exc
                LOG.exception("%s: unexpected error on the RabbitMQ link", self.name)
            if self._stopping.is_set():
                break
            # A link that was up retries at once; one that cannot connect backs off.
            delay = FIRST_RETRY if self._ready.is_set() else min(delay * 2, LAST_RETRY)
            self._ready.clear()
            LOG.warning("%s: RabbitMQ connection to %s lost or refused (%s); retrying in %.1f s",
                        self.name, self.where, describe(self.last_error), delay)
            self._stopping.wait(delay)

    def _session(self) -> None:
        conn = pika.BlockingConnection(self.params)
        try:
            channel = conn.channel()
            if self.confirm:
                channel.confirm_delivery()
            self.setup(channel)
            self._channel, self._conn = channel, conn
            self.connects += 1
            self._ready.set()
            self._drain()
            while not self._stopping.is_set():
                conn.process_data_events(time_limit=1)
            self._drain()  # replies queued while stopping still go out
        finally:
            self._conn = None
            _close_quietly(conn)

    def _drain(self) -> None:
        channel = self._channel
        while self._work:
            work = self._work[0]
            try:
                work(channel)
            except CONNECTION_ERRORS:
                raise  # stays queued: it runs again on the next connection
            except Exception:
                LOG.exception("%s: dropped a piece of work that failed", self.name)
            self._work.popleft()


def describe(error: Exception | None) -> str:
    """A readable reason; pika's str() of a refused connection is empty."""
    if error is None:
        return "no answer"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text.strip("() ") else repr(error)


def _close_quietly(conn: pika.BlockingConnection) -> None:
    try:
        if conn.is_open:
            conn.close()
    except Exception:  # it is going away anyway
        pass
