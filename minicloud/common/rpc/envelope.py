"""The RPC message envelope and the errors RPC raises.

Every RPC message, on every transport, is one JSON object of this shape::

    {"v": 1, "kind": "call", "msg_id": "6f1c...", "topic": "compute", "server": "compute1",
     "method": "build_instance", "args": {"instance_id": "..."},
     "context": {"user_id": "...", "project_id": "...", "request_id": "req-...", ...},
     "trace_id": "9a2e...", "span_id": "41bb...", "reply_to": "reply_5c0e...",
     "ttl": 60.0, "sender": "nova-conductor", "result": null, "failure": null}

`kind` is call, cast, fanout or reply. A reply keeps the request's msg_id (that is how the
caller matches it) and carries either `result` or `failure`. `trace_id`/`span_id` name the
sender's span, so the receiver's span becomes its child; `sender` names the sending service
(for `minicloud bus watch`; no server acts on it). Because the memory transport
encodes and decodes the same JSON as RabbitMQ does, a message that would not survive the
wire fails in-process too.
"""

from __future__ import annotations

import dataclasses
import json
import traceback as traceback_module
from typing import Any

from minicloud.common import ids

VERSION = 1
KINDS = ("call", "cast", "fanout", "reply")
# The AMQP exchanges (amqp.py declares them; the memory transport names them for `bus watch`)
EXCHANGE = "minicloud"  # direct: calls and casts, by topic or topic.server
FANOUT_EXCHANGE = "minicloud_fanout"  # direct: a queue per server of the topic


class RPCError(Exception):
    """Base class of everything the RPC layer raises."""


class RPCTimeout(RPCError):
    """A call got no reply in time, or a message could not be handed to the transport."""


class NoSuchMethod(RPCError):
    """Raised on the server when no endpoint has the requested method."""


class RemoteError(RPCError):
    """An exception raised by the endpoint on the server, brought back to the caller.

    `exc_type` is the remote exception's class name (e.g. "InstanceNotFound"), so callers
    can match on it without importing the server's classes; `value` is its message.
    """

    def __init__(self, exc_type: str, value: str, *, module: str = "",
                 traceback: str = "", topic: str = "", method: str = ""):
        self.exc_type, self.value, self.module = exc_type, value, module
        self.traceback, self.topic, self.method = traceback, topic, method
        super().__init__(f"{exc_type}: {value} (raised by {topic}.{method} on the server)")

    @classmethod
    def from_failure(cls, failure: dict, *, topic: str = "", method: str = "") -> "RemoteError":
        return cls(failure.get("type", "Exception"), failure.get("message", ""),
                   module=failure.get("module", ""), traceback=failure.get("traceback", ""),
                   topic=topic, method=method)


def failure_from_exception(exc: BaseException) -> dict:
    """What travels back in a reply when the endpoint raised `exc`."""
    # API errors (falcon HTTPError) keep their text in `description`, not in str().
    description = getattr(exc, "description", None)
    message = description if isinstance(description, str) else str(exc)
    return {"type": type(exc).__name__, "module": type(exc).__module__, "message": message,
            "traceback": "".join(traceback_module.format_exception(exc))}


def new_msg_id() -> str:
    return ids.random_hex()


@dataclasses.dataclass
class Envelope:
    kind: str
    topic: str
    method: str | None = None
    args: dict = dataclasses.field(default_factory=dict)
    context: dict = dataclasses.field(default_factory=dict)
    server: str | None = None
    msg_id: str = dataclasses.field(default_factory=new_msg_id)
    reply_to: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    ttl: float | None = None  # seconds a call may wait in a queue before nobody wants it
    sender: str | None = None  # the sending service, as traces name it
    result: Any = None
    failure: dict | None = None

    @property
    def target(self) -> str:
        """Where the message goes, as a learner reads it: `compute` or `compute.compute1`."""
        return f"{self.topic}.{self.server}" if self.server else self.topic

    @property
    def route(self) -> tuple[str, str]:
        """The AMQP exchange and routing key of a call, cast or fanout."""
        if self.kind == "fanout":
            return FANOUT_EXCHANGE, self.topic
        return EXCHANGE, self.target

    def encode(self) -> bytes:
        """JSON bytes; raises TypeError if args or result are not JSON-serialisable."""
        body = {"v": VERSION}
        body.update((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes | str) -> "Envelope":
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("kind") not in KINDS:
            raise ValueError(f"not an RPC envelope: {str(data)[:200]!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        # Unknown keys are ignored so a newer sender can add fields without breaking us.
        return cls(**{k: v for k, v in body.items() if k in known})

    def make_reply(self, *, result: Any = None, failure: dict | None = None,
                   trace_id: str | None = None, span_id: str | None = None,
                   sender: str | None = None) -> "Envelope":
        return Envelope(kind="reply", topic=self.topic, server=self.server, method=self.method,
                        msg_id=self.msg_id, reply_to=self.reply_to, result=result,
                        failure=failure, trace_id=trace_id, span_id=span_id, sender=sender)
