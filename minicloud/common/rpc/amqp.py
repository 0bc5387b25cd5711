"""The AMQP transport: RPC over RabbitMQ through pika, as OpenStack services talk.

What a learner sees with `rabbitmqctl list_queues` / `list_exchanges`:

- exchange `minicloud` (direct): routing key `compute` reaches queue `compute`, shared
  round robin by every compute server; key `compute.compute1` reaches queue
  `compute.compute1`, read by compute1 alone. These queues outlive a server's connection
  (they expire after 10 idle minutes), so a cast sent while a server reconnects waits.
- exchange `minicloud_fanout` (direct): key `compute` reaches one exclusive queue per server
  (`compute_fanout_compute1_<id>`), so a fanout reaches every server.
- replies come back through RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): no reply
  queue at all; the client matches a reply to its call by correlation id (the msg_id).

One connection per thread (see amqp_link): one for all the clients of a transport, one per
RPCServer. A server acknowledges a message as it takes it, before running it, as
oslo.messaging does: a server that dies mid-call does not run the call twice. A call whose
request left on a connection that then dropped loses its reply: the caller times out.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pika

from .amqp_link import Link, Publish, describe
from .envelope import Envelope, RPCError, RPCTimeout
from .transport import Listener, OnMessage, ReplyWaiter, Transport

LOG = logging.getLogger(__name__)

EXCHANGE = "minicloud"
FANOUT_EXCHANGE = "minicloud_fanout"
DIRECT_REPLY = "amq.rabbitmq.reply-to"
QUEUE_EXPIRES_MS = 10 * 60 * 1000
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


def _route(envelope: Envelope) -> tuple[str, str]:
    if envelope.kind == "fanout":
        return FANOUT_EXCHANGE, envelope.topic
    return EXCHANGE, envelope.target


class AmqpTransport(Transport):
    def __init__(self, url: str, *, connect_timeout: float = CONNECT_TIMEOUT):
        self.url, self.connect_timeout = url, connect_timeout
        parts = urlsplit(url)
        self.safe_url = f"{parts.scheme}://{parts.username or 'guest'}@{parts.hostname}:" \
                        f"{parts.port or 5672}{parts.path or '/'}"  # no password in messages
        self._lock = threading.Lock()
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
        # Direct reply-to: consume the pseudo-queue (no-ack) on the channel that publishes.
        channel.basic_consume(DIRECT_REPLY, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties, body) -> None:
        waiter = self._waiters.get(properties.correlation_id)
        if waiter is None:  # the caller gave up already
            return
        try:
            waiter.set(Envelope.decode(body))
        except ValueError:
            LOG.warning("dropped a reply that is not an RPC envelope: %r", body[:200])

    def send(self, envelope: Envelope, timeout: float) -> None:
        body = envelope.encode()
        exchange, key = _route(envelope)
        props = pika.BasicProperties(content_type="application/json",
                                     correlation_id=envelope.msg_id)
        self._hand_over(Publish(exchange, key, body, props), timeout,
                        f"{envelope.kind} {envelope.topic}.{envelope.method}")

    def request(self, envelope: Envelope, timeout: float) -> Envelope | None:
        deadline = time.monotonic() + timeout
        envelope.reply_to = DIRECT_REPLY  # the broker rewrites it to this client's address
        body = envelope.encode()
        props = pika.BasicProperties(content_type="application/json",
                                     correlation_id=envelope.msg_id, reply_to=DIRECT_REPLY,
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
        for link in self.links():
            link.stop()
        self._listeners.clear()
        self._client_link = None


class _AmqpListener(Listener):
    def __init__(self, transport: AmqpTransport, topic: str, server: str, on_message: OnMessage):
        self.transport, self.topic, self.server = transport, topic, server
        self.on_message = on_message
        self.queues = [topic, f"{topic}.{server}"]
        self.fanout_queue = ""
        self._paused = False
        params = connection_parameters(transport.url, f"minicloud rpc server {topic}.{server}")
        self.link = Link(params, f"{topic}.{server}", self._setup)

    def _setup(self, channel) -> None:
        """Runs after every (re)connect: the broker may have forgotten all of this."""
        _declare_exchanges(channel)
        channel.basic_qos(prefetch_count=PREFETCH)
        for name in self.queues:
            channel.queue_declare(name, arguments={"x-expires": QUEUE_EXPIRES_MS})
            channel.queue_bind(name, EXCHANGE, routing_key=name)
        # A new name each time: the broker may not yet have deleted the exclusive queue of
        # the connection we just lost, and declaring that name again would be refused.
        self.fanout_queue = f"{self.topic}_fanout_{self.server}_{uuid.uuid4().hex[:8]}"
        channel.queue_declare(self.fanout_queue, exclusive=True, auto_delete=True)
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
        if properties.reply_to:  # the address the broker made for the caller
            envelope.reply_to = properties.reply_to
        self.on_message(envelope, self._reply)

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
        self.link.stop()
        self.transport._listeners.discard(self)
