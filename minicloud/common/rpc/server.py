"""RPCServer: the receiving side of RPC (the scheduler, the conductor, each nova-compute).

A server listens on a topic as a named server (`compute` as `compute1`), takes messages off
the transport and runs them on its worker threads: it rebuilds the caller's RequestContext
from the envelope, records a span under the caller's span, finds the endpoint method and
calls `method(ctx, **args)`. For a call it sends back the result, or the exception as a
failure that the client raises as RemoteError.
"""

from __future__ import annotations

import concurrent.futures
import logging

from ..context import RequestContext
from .. import trace
from .envelope import Envelope, NoSuchMethod, failure_from_exception
from .transport import Listener, Transport

LOG = logging.getLogger(__name__)


class RPCServer:
    def __init__(self, transport: Transport, topic: str, server: str, endpoints: list, *,
                 service: str | None = None, tracer: trace.Tracer | None = None,
                 workers: int = 8):
        self.transport, self.topic, self.server = transport, topic, server
        self.endpoints = list(endpoints)
        self.service = service or server
        self.tracer, self.workers = tracer, workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._listener: Listener | None = None

    def start(self) -> "RPCServer":
        """Subscribe; once this returns, no message sent to this server is lost."""
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self.workers, thread_name_prefix=f"rpc-{self.topic}.{self.server}")
        try:
            self._listener = self.transport.listen(self.topic, self.server, self._on_message)
        except BaseException:
            self._pool.shutdown(wait=False)
            raise
        return self

    def stop(self) -> None:
        """Take no new messages, finish the ones in hand (sending their replies), let go."""
        if self._listener is None:
            return
        listener, self._listener = self._listener, None
        listener.pause()
        self._pool.shutdown(wait=True)
        listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- one message ------------------------------------------------------------------------
    def _on_message(self, envelope: Envelope, reply) -> None:
        """Runs on the transport's thread: hand the message to a worker and return at once."""
        try:
            self._pool.submit(self._dispatch, envelope, reply)
        except RuntimeError:  # the pool is shutting down
            LOG.warning("%s stopping: dropped %s %s.%s", self.service, envelope.kind,
                        envelope.topic, envelope.method)

    def _dispatch(self, envelope: Envelope, reply) -> None:
        ctx = RequestContext.from_dict(envelope.context)
        span = self._start_span(envelope, ctx)
        try:
            result = self._find(envelope.method)(ctx, **envelope.args)
        except Exception as exc:
            self._finish_span(span, f"error: {type(exc).__name__}: {exc}")
            self._answer_failure(envelope, reply, exc, span)
            return
        self._finish_span(span, "ok")
        if envelope.kind == "call":
            self._answer(envelope, reply, span, result)

    def _find(self, method: str | None):
        # Private names are never callable remotely, as in oslo.messaging.
        if method and not method.startswith("_"):
            for endpoint in self.endpoints:
                function = getattr(endpoint, method, None)
                if callable(function):
                    return function
        names = ", ".join(type(e).__name__ for e in self.endpoints) or "none"
        raise NoSuchMethod(f"no method {method!r} on topic {self.topic!r} "
                           f"(server {self.server}; endpoints: {names})")

    # -- replies ----------------------------------------------------------------------------
    def _answer(self, envelope: Envelope, reply, span, result) -> None:
        try:
            reply(self._reply(envelope, span, result=result))
        except (TypeError, ValueError) as exc:  # the result does not survive JSON
            error = TypeError(f"the result of {envelope.topic}.{envelope.method} is not "
                              f"JSON-serialisable: {exc}")
            self._send(reply, self._reply(envelope, span, failure=failure_from_exception(error)))
        except Exception:
            LOG.exception("%s: could not send the reply to %s", self.service, envelope.method)

    def _answer_failure(self, envelope: Envelope, reply, exc: Exception, span) -> None:
        if envelope.kind != "call":  # nobody waits for a cast: the log is all there is
            LOG.error("%s: %s %s.%s failed", self.service, envelope.kind, envelope.topic,
                      envelope.method, exc_info=exc)
            return
        self._send(reply, self._reply(envelope, span, failure=failure_from_exception(exc)))

    def _send(self, reply, message: Envelope) -> None:
        try:
            reply(message)
        except Exception:
            LOG.exception("%s: could not send the reply to %s", self.service, message.method)

    def _reply(self, envelope: Envelope, span, **payload) -> Envelope:
        ids = {"trace_id": span.trace_id, "span_id": span.span_id} if span else {}
        return envelope.make_reply(**payload, **ids, sender=self.service)

    # -- tracing ----------------------------------------------------------------------------
    def _start_span(self, envelope: Envelope, ctx: RequestContext):
        """The server span, a child of the client's; the context then names it. A message
        with neither a request context nor a trace (a periodic report) is not traced."""
        if self.tracer is None or (not envelope.context and envelope.trace_id is None):
            ctx.trace_id, ctx.span_id = envelope.trace_id, envelope.span_id
            return None
        span = self.tracer.start(self.service, envelope.method or "?",
                                 trace_id=envelope.trace_id, parent_id=envelope.span_id,
                                 request_id=ctx.request_id, kind=envelope.kind,
                                 target=envelope.target)
        ctx.trace_id, ctx.span_id = span.trace_id, span.span_id
        return span

    def _finish_span(self, span, status: str) -> None:
        if span is not None:
            self.tracer.finish(span, status=status)
