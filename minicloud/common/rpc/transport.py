"""The transport seam: what RPCClient and RPCServer need from a message bus.

Code above this seam (clients, servers, every service) never asks which bus it runs on.
Two transports implement it with the same routing rules, the ones RabbitMQ gives
OpenStack:

- a call or cast to `topic` goes to ONE server listening on the topic (round robin);
- a call or cast to `topic` + `server` goes to that server only;
- a fanout to `topic` goes to EVERY server listening on the topic;
- a message to a topic that no server has ever listened on is dropped (a call times out);
  a message to a topic whose servers are all away waits in the topic queue.

`get_transport(url)` picks one: `memory://` (in-process) or `rabbit://user:pass@host:5672/vhost`.
"""

from __future__ import annotations

import abc
import threading
from typing import Callable
from urllib.parse import urlsplit

from .envelope import Envelope

# Called by a transport for each incoming request; the second argument sends a reply.
OnMessage = Callable[[Envelope, Callable[[Envelope], None]], None]


class ReplyWaiter:
    """Where a caller's thread waits for the reply to one call."""

    def __init__(self):
        self._event = threading.Event()
        self.reply: Envelope | None = None

    def set(self, reply: Envelope) -> None:
        self.reply = reply
        self._event.set()

    def wait(self, timeout: float) -> Envelope | None:
        self._event.wait(max(0.0, timeout))
        return self.reply


class Listener(abc.ABC):
    """One server's subscription to its topic, its `topic.server` queue and the fanout."""

    @abc.abstractmethod
    def pause(self) -> None:
        """Take no new messages (replies can still be sent)."""
        ...

    @abc.abstractmethod
    def close(self) -> None:
        """Send the replies still queued, then let go of the subscription."""
        ...


class Transport(abc.ABC):
    url: str = ""

    @abc.abstractmethod
    def listen(self, topic: str, server: str, on_message: OnMessage) -> Listener:
        """Subscribe; when this returns, messages sent to the topic are not lost."""
        ...

    @abc.abstractmethod
    def send(self, envelope: Envelope, timeout: float) -> None:
        """Hand a cast or fanout to the bus; RPCTimeout if that is impossible within timeout."""
        ...

    @abc.abstractmethod
    def request(self, envelope: Envelope, timeout: float) -> Envelope | None:
        """Send a call and wait for its reply; None when no reply came within timeout."""
        ...

    @abc.abstractmethod
    def close(self) -> None:
        ...

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def get_transport(url: str = "memory://") -> Transport:
    """The transport named by `url`: memory:// or rabbit:// (amqp:// is accepted too).

    Every call returns a new transport; an in-process cloud builds one and hands it to all
    its services, so they share one bus.
    """
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryTransport
        return MemoryTransport()
    if scheme in ("rabbit", "amqp"):
        from .amqp import AmqpTransport
        return AmqpTransport(url)
    raise ValueError(f"unknown RPC transport URL {url!r}: use memory:// or "
                     "rabbit://user:password@host:5672/")
