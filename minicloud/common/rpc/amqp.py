"""The AMQP transport: RPC over RabbitMQ through pika, as OpenStack services talk.

What a learner sees with `rabbitmqctl list_queues` / `list_exchanges`:

- exchange `minicloud` (direct): routing key `compute` reaches queue `compute`, shared
  round robin by every compute server; key `compute.compute1` reaches queue
  `compute.compute1`, read by compute1 alone.
- exchange `minicloud_fanout` (direct): key `compute` reaches one queue per server
  (`compute_fanout_compute1_<id>`), so a fanout reaches every server.
- queue `reply_<id>`, one per transport: the replies to its calls, matched to each call
  by correlation id (the msg_id).

One connection per thread (see amqp_link): one for all the clients of a transport, one per
RPCServer. When RabbitMQ restarts or drops a connection, each link reconnects, declares its
queues again and consumes again: at once, then after 0.2, 0.4, ... up to 5 s between tries
while the broker is away (oslo: 1 s doubling up to 30 s), so a node is back within 10 s of
the broker. A heartbeat every 10 s (oslo: 60 s) notices a broker that vanished silently.

Durable or transient, as oslo.messaging's defaults have it (`amqp_durable_queues = False`,
`amqp_auto_delete = False`, `rabbit_transient_queues_ttl = 1800`):

- Every queue and exchange is transient (not durable) and every message too: they survive
  a lost connection, not a broker restart, which loses the messages in flight (a call then
  times out). No queue is exclusive or auto-delete, so one outlives its consumer's
  connection and what is sent meanwhile waits in it: casts, fanouts and replies.
- Every queue expires after 10 idle minutes (x-expires). oslo sets 30 minutes on reply and
  fanout queues and none on topic queues; ours expire too because tests make new topics on
  a shared broker. An RPCServer deletes its fanout queue, a transport its reply queue, on
  close.
- Publishes are confirmed by the broker; one whose confirm the lost connection swallowed is
  sent again on the next connection, and the caller waits for that (up to its timeout).
- A server acknowledges a message as it takes it, before running it, as oslo.messaging
  does: a server that dies mid-call does not run the call twice. A message that comes
  twice anyway (its ack or its publisher's confirm was lost with the connection) is dropped
  by msg_id, as oslo's duplicate-message cache does, if it reaches the same server again.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pika

from .amqp_link import Link, Publish, describe
from .envelope import EXCHANGE, FANOUT_EXCHANGE, Envelope, RPCError, RPCTimeout
from .transport import Listener, OnMessage, ReplyWaiter, Transport

LOG = logging.getLogger(__name__)

QUEUE_EXPIRES_MS = 10 * 60 * 1000
SEEN_MAX = 512  # msg_ids a server remembers, to run a message it gets twice only once
PREFETCH = 32
CONNECT_TIMEOUT = 10.0


def connection_parameters(url: str, name: str) -> pika.ConnectionParameters:
    """pika parameters from `rabbit://user:pass@host:port/vhost?heartbeat=10`."""
    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    query = parse_qs(parts.query)
    return pika.ConnectionParameters(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5672, virtual_host=vhost,
        credentials=pika.PlainCredentials(unquote(parts.username or "guest"),
                                          unquote(parts.password or "guest")),
        heartbeat=int(query.get("heartbeat", ["10"])[0]),
        connection_attempts=1, socket_timeout=5, stack_timeout=10,
        blocked_connection_timeout=60,
        client_properties={"connection_name": name})  # shown by rabbitmqctl list_connections


def _declare_exchanges(channel) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="direct")
    channel.exchange_declare(FANOUT_EXCHANGE, exchange_type="direct")


class AmqpTransport(Transport):
    def __init__(self, url: str, *, connect_timeout: float = CONNECT_TIMEOUT):
        self.url, self.connect_timeout = url, connect_timeout
        parts = urlsplit(url)
        self.safe_url = f"{parts.scheme}://{parts.username or 'guest'}@{parts.hostname}:" \
                        f"{parts.port or 5672}{parts.path or '/'}"  # no password in messages
        self._lock = threading.Lock()
        self.reply_queue = f"reply_{uuid.uuid4().hex}"  # the same name across reconnects
        self._client_link: Link | None = None
        self._waiters: dict[str, ReplyWaiter] = {}
        self._listeners: set[_AmqpListener] = set()

    # -- servers ----------------------------------------------------------------------------
    def listen(self, topic: str, server: str, on_message: OnMessage) -> Listener:
        listener = _AmqpListener(self, topic, server, on_message)
        listener.link.start(wait=self.connect_timeout)  # queues exist once this returns
        self._listeners.add(listener)
        return listener

    # -- clients ----------------------------------------------------------------------------
    def _client(self) -> Link:
        with self._lock:
            if self._client_link is None:
                params = connection_parameters(self.url, "minicloud rpc client")
                self._client_link = Link(params, "rpc-client", self._setup_client, confirm=True)
                self._client_link.start()
            return self._client_link

    def _setup_client(self, channel) -> None:
        _declare_exchanges(channel)
        # Not exclusive: the queue outlives a lost connection, so a reply sent meanwhile
        # waits for us. Acknowledged once handed to the caller: a reply that reached pika
        # but not yet us when the connection dropped comes again.
        channel.queue_declare(self.reply_queue, arguments={"x-expires": QUEUE_EXPIRES_MS})
        channel.basic_consume(self.reply_queue, self._on_reply)

    def _on_reply(self, channel, method, properties, body) -> None:
        waiter = self._waiters.get(properties.correlation_id)
        if waiter is not None:  # else the caller gave up already
            try:
                waiter.set(Envelope.decode(body))
            except ValueError:
                LOG.warning("dropped a reply that is not an RPC envelope: %r", body[:200])
        channel.basic_ack(method.delivery_tag)

    def send(self, envelope: Envelope, timeout: float) -> None:
        body = envelope.encode()
        exchange, key = envelope.route
        props = pika.BasicProperties(content_type="application/json",
                                     correlation_id=envelope.msg_id)
        self._hand_over(Publish(exchange, key, body, props), timeout,
                        f"{envelope.kind} {envelope.topic}.{envelope.method}")

    def request(self, envelope: Envelope, timeout: float) -> Envelope | None:
        deadline = time.monotonic() + timeout
        envelope.reply_to = self.reply_queue
        body = envelope.encode()
        props = pika.BasicProperties(content_type="application/json",
                                     correlation_id=envelope.msg_id, reply_to=self.reply_queue,
                                     expiration=str(max(1, int((envelope.ttl or timeout) * 1000))))
        waiter = ReplyWaiter()
        self._waiters[envelope.msg_id] = waiter
        try:
            self._hand_over(Publish(EXCHANGE, envelope.target, body, props), timeout,
                            f"call {envelope.topic}.{envelope.method}")
            return waiter.wait(deadline - time.monotonic())
        finally:
            self._waiters.pop(envelope.msg_id, None)

    def _hand_over(self, publish: Publish, timeout: float, what: str) -> None:
        """Give the message to the client link and wait until RabbitMQ has confirmed it."""
        link = self._client()
        link.submit(publish)
        if not publish.done.wait(timeout):
            publish.abandoned = True
            raise RPCTimeout(f"could not hand the {what} to RabbitMQ at {self.safe_url} "
                             f"within {timeout:.1f} s ({describe(link.last_error)})")
        if publish.error is not None:
            raise RPCError(f"RabbitMQ refused the {what}: {publish.error}")

    # -- lifecycle --------------------------------------------------------------------------
    def sever(self) -> None:
        """Cut every connection of this transport, as a network failure would.

        For tests and fault-injection labs: the links notice, reconnect with backoff and
        re-declare their queues.
        """
        for link in self.links():
            link.sever()

    def links(self) -> list[Link]:
        """The connections of this transport (each has name, connects, last_error)."""
        links = [listener.link for listener in list(self._listeners)]
        return links + ([self._client_link] if self._client_link else [])

    def close(self) -> None:
        if self._client_link is not None and self._client_link.connected:
            self._client_link.submit(lambda channel: channel.queue_delete(self.reply_queue))
        for link in self.links():
            link.stop()
        self._listeners.clear()
        self._client_link = None


class _AmqpListener(Listener):
    def __init__(self, transport: AmqpTransport, topic: str, server: str, on_message: OnMessage):
        self.transport, self.topic, self.server = transport, topic, server
        self.on_message = on_message
        self.queues = [topic, f"{topic}.{server}"]
        self.fanout_queue = f"{topic}_fanout_{server}_{uuid.uuid4().hex[:8]}"
        self._paused = False
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        params = connection_parameters(transport.url, f"minicloud rpc server {topic}.{server}")
        # Confirmed publishes: a reply written just before the connection dropped is sent
        # again on the next one rather than lost without a word.
        self.link = Link(params, f"{topic}.{server}", self._setup, confirm=True)

    def _setup(self, channel) -> None:
        """Runs after every (re)connect: the broker may have forgotten all of this."""
        _declare_exchanges(channel)
        channel.basic_qos(prefetch_count=PREFETCH)
        for name in self.queues:
            channel.queue_declare(name, arguments={"x-expires": QUEUE_EXPIRES_MS})
            channel.queue_bind(name, EXCHANGE, routing_key=name)
        # Not exclusive, so fanouts sent while we reconnect wait here; close() deletes it.
        channel.queue_declare(self.fanout_queue, arguments={"x-expires": QUEUE_EXPIRES_MS})
        channel.queue_bind(self.fanout_queue, FANOUT_EXCHANGE, routing_key=self.topic)
        if not self._paused:
            for name in self.queues + [self.fanout_queue]:
                channel.basic_consume(name, self._deliver)

    def _deliver(self, channel, method, properties, body) -> None:
        channel.basic_ack(method.delivery_tag)  # at most once: see the module docstring
        try:
            envelope = Envelope.decode(body)
        except ValueError:
            LOG.warning("%s.%s: dropped a message that is not an RPC envelope",
                        self.topic, self.server)
            return
        if not self._first_time(envelope.msg_id):
            LOG.warning("%s.%s: dropped %s %s.%s, which it already ran (sent again after a "
                        "lost connection)", self.topic, self.server, envelope.kind,
                        envelope.topic, envelope.method)
            return
        if properties.reply_to:  # the caller's reply queue
            envelope.reply_to = properties.reply_to
        self.on_message(envelope, self._reply)

    def _first_time(self, msg_id: str) -> bool:
        """False for a message seen before: one whose ack, or whose publisher's confirm,
        the lost connection swallowed comes again (link thread only, so no lock)."""
        if msg_id in self._seen:
            return False
        self._seen[msg_id] = None
        if len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    def _reply(self, reply: Envelope) -> None:
        """Any thread: queue the reply on this server's link, to the caller's address."""
        props = pika.BasicProperties(content_type="application/json",
                                     correlation_id=reply.msg_id)
        self.link.submit(Publish("", reply.reply_to, reply.encode(), props))

    def pause(self) -> None:
        self._paused = True
        cancelled = threading.Event()

        def cancel(channel):
            for tag in list(channel.consumer_tags):
                channel.basic_cancel(tag)
            cancelled.set()

        self.link.submit(cancel)
        if self.link.connected:  # if the broker is away there is nothing to cancel
            cancelled.wait(5)

    def close(self) -> None:
        if self.link.connected:  # else the queue expires by itself
            self.link.submit(lambda channel: channel.queue_delete(self.fanout_queue))
        self.link.stop()
        self.transport._listeners.discard(self)
