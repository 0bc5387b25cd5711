"""The memory transport: an in-process message bus with RabbitMQ's routing rules.

This is the embedded default (`memory://`): nova-api, the scheduler, the conductor and
every nova-compute of an in-process cloud share one MemoryTransport. It models the queues
the AMQP transport declares, so both behave alike: a queue per topic shared round robin by
its servers, a queue per `topic.server`, and a fanout to every server of a topic. Messages
travel as the same JSON bytes as on RabbitMQ; the RPCServer's worker threads run the
endpoints, so a cast returns at once.
"""

from __future__ import annotations

import collections
import threading
import time

from .envelope import Envelope, RPCError
from .transport import Listener, OnMessage, ReplyWaiter, Transport


class _Queue:
    """A named queue: consumers share it round robin; with no consumer, messages wait."""

    def __init__(self, name: str):
        self.name = name
        self.consumers: list[_MemoryListener] = []
        self.backlog: collections.deque = collections.deque()  # (deadline or None, body)
        self.turn = 0

    def next_consumer(self) -> "_MemoryListener":
        consumer = self.consumers[self.turn % len(self.consumers)]
        self.turn += 1
        return consumer

    def take_backlog(self) -> list[bytes]:
        now = time.monotonic()
        # A call whose caller has given up is dropped, as RabbitMQ drops an expired message.
        bodies = [body for deadline, body in self.backlog if deadline is None or deadline > now]
        self.backlog.clear()
        return bodies


class _MemoryListener(Listener):
    def __init__(self, transport: "MemoryTransport", topic: str, server: str,
                 on_message: OnMessage):
        self.transport, self.topic, self.server = transport, topic, server
        self.on_message = on_message

    def deliver(self, body: bytes) -> None:
        # Decoding per delivery gives every server its own copy, as the wire would.
        self.on_message(Envelope.decode(body), self.transport.reply)

    def pause(self) -> None:
        self.transport.unsubscribe(self)

    def close(self) -> None:
        self.transport.unsubscribe(self)


class MemoryTransport(Transport):
    url = "memory://"

    def __init__(self):
        self._lock = threading.Lock()
        self._queues: dict[str, _Queue] = {}
        self._fanout: dict[str, list[_MemoryListener]] = {}
        self._waiters: dict[str, ReplyWaiter] = {}
        self._closed = False
        self.taps: list = []  # tap(body, exchange, key) on every send: `minicloud bus watch`

    # -- servers ----------------------------------------------------------------------------
    def listen(self, topic: str, server: str, on_message: OnMessage) -> Listener:
        self._check_open()
        listener = _MemoryListener(self, topic, server, on_message)
        waiting = []
        with self._lock:
            for name in (topic, f"{topic}.{server}"):
                queue = self._queues.setdefault(name, _Queue(name))
                queue.consumers.append(listener)
                waiting += queue.take_backlog()
            self._fanout.setdefault(topic, []).append(listener)
        for body in waiting:
            listener.deliver(body)
        return listener

    def unsubscribe(self, listener: _MemoryListener) -> None:
        with self._lock:
            # The queues stay, like the AMQP topic queues: casts sent meanwhile wait there.
            for queue in self._queues.values():
                if listener in queue.consumers:
                    queue.consumers.remove(listener)
            fanout = self._fanout.get(listener.topic, [])
            if listener in fanout:
                fanout.remove(listener)

    # -- clients ----------------------------------------------------------------------------
    def send(self, envelope: Envelope, timeout: float = 0) -> None:
        self._check_open()
        body = envelope.encode()
        for tap in self.taps:
            tap(body, *envelope.route)
        if envelope.kind == "fanout":
            with self._lock:
                targets = list(self._fanout.get(envelope.topic, ()))
        else:
            targets = self._route(envelope.target, body, envelope.ttl)
        for listener in targets:
            listener.deliver(body)

    def _route(self, name: str, body: bytes, ttl: float | None) -> list[_MemoryListener]:
        with self._lock:
            queue = self._queues.get(name)
            if queue is None:
                return []  # nobody ever listened: dropped, like an unroutable AMQP message
            if not queue.consumers:
                deadline = time.monotonic() + ttl if ttl else None
                queue.backlog.append((deadline, body))
                return []
            return [queue.next_consumer()]

    def request(self, envelope: Envelope, timeout: float) -> Envelope | None:
        envelope.reply_to = f"memory-reply.{envelope.msg_id}"
        waiter = ReplyWaiter()
        self._waiters[envelope.reply_to] = waiter
        try:
            self.send(envelope, timeout)
            return waiter.wait(timeout)
        finally:
            self._waiters.pop(envelope.reply_to, None)

    def reply(self, reply: Envelope) -> None:
        body = reply.encode()
        for tap in self.taps:
            tap(body, "", reply.reply_to or "")
        waiter = self._waiters.get(reply.reply_to or "")
        if waiter is not None:  # else the caller gave up already: the reply is dropped
            waiter.set(Envelope.decode(body))

    # -- lifecycle --------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RPCError("the memory transport is closed")

    def queues(self) -> list[dict]:
        """Each queue as `rabbitmqctl list_queues name consumers messages` shows it (a
        fanout queue per server, as the AMQP transport declares them)."""
        with self._lock:
            rows = [{"name": q.name, "consumers": len(q.consumers), "messages": len(q.backlog)}
                    for q in self._queues.values()]
            rows += [{"name": f"{topic}_fanout_{listener.server}", "consumers": 1,
                      "messages": 0}
                     for topic, listeners in self._fanout.items() for listener in listeners]
        return sorted(rows, key=lambda row: row["name"])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._queues.clear()
            self._fanout.clear()
