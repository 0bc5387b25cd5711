"""What `minicloud bus watch` shows: every message on the bus, described as a learner reads
it, taken without changing its delivery.

Both transports describe a message alike, from its JSON bytes and the AMQP exchange and
routing key it went to (the memory transport names the ones the AMQP transport would use):

    time      when it was sent
    kind      call (waits for a reply), cast (does not), fanout (to every server of a
              topic), reply (the answer to a call, to the caller's reply queue)
    exchange  minicloud (calls and casts), minicloud_fanout (fanouts), "" (replies: the
              default exchange, straight to the queue named by the routing key)
    key       the routing key: `compute` (any compute host), `compute.compute2` (that one),
              `reply_<id>` on RabbitMQ
    method    the method the server runs (the call's, for a reply)
    sender    the service that sent it (nova-api, nova-conductor, nova-compute@compute2 ...)
    request   the request id of the API request behind it (req-...), when there is one
    bytes     the size of the message body

The memory transport keeps the last messages in a BusLog (in the launcher); the CLI asks
for the ones after a sequence number through the control socket. On RabbitMQ the CLI reads
the broker's firehose (cli/bus.py).
"""

from __future__ import annotations

import collections
import threading
import time

from .envelope import Envelope

KEEP = 2000  # messages a BusLog remembers


def describe(body: bytes, exchange: str, key: str, at: float | None = None) -> dict:
    try:
        envelope = Envelope.decode(body)
    except ValueError:
        return {"time": at or time.time(), "kind": "?", "exchange": exchange, "key": key,
                "method": None, "sender": None, "request": None, "bytes": len(body)}
    return {"time": at or time.time(), "kind": envelope.kind, "exchange": exchange,
            "key": key, "topic": envelope.topic, "method": envelope.method,
            "sender": envelope.sender, "request": envelope.context.get("request_id"),
            "msg_id": envelope.msg_id, "bytes": len(body)}


class BusLog:
    """The last KEEP messages a transport carried, numbered from 1."""

    def __init__(self, keep: int = KEEP):
        self._lock = threading.Lock()
        self._entries: collections.deque = collections.deque(maxlen=keep)
        self._next = 1

    def record(self, body: bytes, exchange: str, key: str) -> None:
        """Called on every send: only stores; describing waits until someone reads."""
        with self._lock:
            self._entries.append((self._next, time.time(), body, exchange, key))
            self._next += 1

    def since(self, seq: int) -> tuple[int, list[dict]]:
        """The messages numbered after `seq` (0: all that are kept), and the last number."""
        with self._lock:
            entries = [e for e in self._entries if e[0] > seq]
            last = self._next - 1
        return last, [dict(describe(body, exchange, key, at), seq=n)
                      for n, at, body, exchange, key in entries]
