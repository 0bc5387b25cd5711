"""RPCClient: the sending side of RPC (nova-api asking the conductor, the conductor a compute).

`call` waits for the result, `cast` returns once the message is on the bus, `fanout`
reaches every server of the topic. Each message records a client span; its ids travel in
the envelope so the server's span becomes its child, and `minicloud trace` shows the hop.
A message sent with no request behind it (no current span, no context: a periodic report)
is housekeeping and is traced on neither side.
"""

from __future__ import annotations

from ..context import RequestContext
from .. import trace
from .envelope import Envelope, RemoteError, RPCTimeout
from .transport import Transport

_KEEP = object()


class RPCClient:
    def __init__(self, transport: Transport, topic: str, *, server: str | None = None,
                 service: str = "rpc-client", tracer: trace.Tracer | None = None,
                 timeout: float = 60.0):
        self.transport, self.topic, self.server = transport, topic, server
        self.service, self.tracer, self.timeout = service, tracer, timeout

    def prepare(self, *, topic=_KEEP, server=_KEEP, timeout=_KEEP) -> "RPCClient":
        """A client like this one aimed at another server, topic or timeout."""
        pick = lambda new, old: old if new is _KEEP else new  # noqa: E731
        return RPCClient(self.transport, pick(topic, self.topic), server=pick(server, self.server),
                         service=self.service, tracer=self.tracer,
                         timeout=pick(timeout, self.timeout))

    def call(self, ctx: RequestContext | None, method: str, **kwargs):
        """Run `method(ctx, **kwargs)` on a server and return its result.

        Raises RemoteError if the endpoint raised, RPCTimeout if no reply came in time.
        """
        envelope = self._envelope("call", ctx, method, kwargs, server=self.server)
        envelope.ttl = self.timeout  # nobody should run a call its caller gave up on
        with self._span(envelope, ctx):
            reply = self.transport.request(envelope, self.timeout)
            if reply is None:
                raise RPCTimeout(self._timeout_message(method))
            if reply.failure is not None:
                raise RemoteError.from_failure(reply.failure, topic=self.topic, method=method)
            return reply.result

    def cast(self, ctx: RequestContext | None, method: str, **kwargs) -> None:
        """Send `method(ctx, **kwargs)` to one server of the topic (or the prepared one)."""
        envelope = self._envelope("cast", ctx, method, kwargs, server=self.server)
        with self._span(envelope, ctx):
            self.transport.send(envelope, self.timeout)

    def fanout(self, ctx: RequestContext | None, method: str, **kwargs) -> None:
        """Send `method(ctx, **kwargs)` to every server listening on the topic."""
        envelope = self._envelope("fanout", ctx, method, kwargs, server=None)
        with self._span(envelope, ctx):
            self.transport.send(envelope, self.timeout)

    # -- helpers ----------------------------------------------------------------------------
    def _envelope(self, kind: str, ctx: RequestContext | None, method: str, args: dict,
                  server: str | None) -> Envelope:
        return Envelope(kind=kind, topic=self.topic, server=server, method=method, args=args,
                        context=ctx.to_dict() if ctx is not None else {}, sender=self.service)

    def _span(self, envelope: Envelope, ctx: RequestContext | None):
        """Open the client span and write its ids (the server span's parent) into the envelope."""
        trace_id, parent_id = _parent_ids(ctx)
        return _ClientSpan(self, envelope, trace_id, parent_id)

    def _timeout_message(self, method: str) -> str:
        who = f"server {self.server}" if self.server else "any server"
        return (f"RPC call {self.topic}.{method} timed out: no reply from topic "
                f"'{self.topic}' ({who}) within {self.timeout:.1f} s. Is a server listening "
                f"on that topic, and is it alive?")


def _parent_ids(ctx: RequestContext | None) -> tuple[str | None, str | None]:
    """The span this message continues: the current one, else the one the context names."""
    span = trace.current()
    if span is not None:
        return span.trace_id, span.span_id
    if ctx is not None and ctx.trace_id:
        return ctx.trace_id, ctx.span_id
    return None, None


class _ClientSpan:
    """Context manager: the client span of one message (or just the ids, with no tracer)."""

    def __init__(self, client: RPCClient, envelope: Envelope, trace_id, parent_id):
        self.client, self.envelope = client, envelope
        self.trace_id, self.parent_id = trace_id, parent_id
        self.span = None

    def __enter__(self):
        env, tracer = self.envelope, self.client.tracer
        trace_id, span_id = self.trace_id, self.parent_id
        if not env.context and trace_id is None:
            tracer = None  # housekeeping (no request, no context): untraced on both sides
        if tracer is not None:
            self.span = tracer.start(self.client.service, f"{env.kind} {env.topic}.{env.method}",
                                     trace_id=trace_id, parent_id=self.parent_id,
                                     request_id=env.context.get("request_id"),
                                     target=env.target, msg_id=env.msg_id)
            trace_id, span_id = self.span.trace_id, self.span.span_id
        env.trace_id, env.span_id = trace_id, span_id
        if env.context:
            env.context.update(trace_id=trace_id, span_id=span_id)
        return self.span

    def __exit__(self, exc_type, exc, tb):
        if self.span is not None:
            status = "ok" if exc is None else f"error: {exc_type.__name__}: {exc}"
            self.client.tracer.finish(self.span, status=status)
        return False
