"""Spans from other processes: a node that runs apart from the controller sends its spans
over the message bus (a cast on topic `trace`) to the controller, which keeps them in its
`trace.db` beside its own, so `minicloud trace` shows one diagram whatever the mode.

`TraceForwarder` takes the place of a TraceStore in the node's Tracer: recording a span is
a queue put; a background thread casts them in batches. A node whose controller is away
keeps working: its spans are dropped and counted (`dropped`), never its requests.
`TraceCollector` is the controller's endpoint for them.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time

from minicloud.common import rpc
from minicloud.common.trace import Span

LOG = logging.getLogger(__name__)

TRACE_TOPIC = "trace"
FIELDS = [f.name for f in dataclasses.fields(Span) if not f.metadata.get("local")]


def to_dict(span: Span) -> dict:
    return {name: getattr(span, name) for name in FIELDS}


class TraceForwarder:
    """Spans out of this process, in batches of at most `batch`, every `window` seconds."""

    def __init__(self, transport, *, batch: int = 200, window: float = 0.2,
                 max_queued: int = 10000, timeout: float = 5.0):
        self.client = rpc.RPCClient(transport, TRACE_TOPIC, service="trace-forwarder",
                                    timeout=timeout)
        self.batch, self.window = batch, window
        self.dropped = 0  # spans lost: the controller away, or the queue full
        self._queue: queue.Queue = queue.Queue(max_queued)
        self._thread = threading.Thread(target=self._send_loop, name="trace-forwarder",
                                        daemon=True)
        self._thread.start()

    def record(self, span: Span) -> None:
        try:
            self._queue.put_nowait(to_dict(span))
        except queue.Full:
            self.dropped += 1

    def _send_loop(self) -> None:
        while True:
            spans = [self._queue.get()]
            time.sleep(self.window)  # let a request's other spans arrive: one message for all
            while len(spans) < self.batch and not self._queue.empty():
                spans.append(self._queue.get_nowait())
            try:
                self.client.cast(None, "record_spans", spans=spans)
            except rpc.RPCError as exc:
                self.dropped += len(spans)
                LOG.warning("trace: %d spans dropped (%d in all): %s", len(spans),
                            self.dropped, exc)
            for _ in spans:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every recorded span has left (or was dropped)."""
        self._queue.join()

    close = flush  # the sending thread ends with its process


class TraceCollector:
    """The controller's endpoint on topic `trace`: spans from the other nodes, into its
    own trace store."""

    def __init__(self, store):
        self.store = store

    def record_spans(self, ctx, spans: list[dict]) -> None:
        for fields in spans:
            self.store.record(Span(**{k: v for k, v in fields.items() if k in FIELDS}))


def start_collector(transport, store, host: str) -> rpc.RPCServer:
    """Untraced itself: recording the spans must not make spans."""
    return rpc.RPCServer(transport, TRACE_TOPIC, host, [TraceCollector(store)],
                         service="trace-collector").start()
