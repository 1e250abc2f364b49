"""The export path: bounded, sampled, counted, and entirely off the caller's thread.

``app thread: span.end() -> SpyglassBatchProcessor.on_end`` (sample check + admission, O(1))
``worker thread: BatchSpanProcessor -> RedactingSpanExporter -> CountingSpanExporter -> OTLP``

The OTel ``BatchSpanProcessor`` silently evicts the *oldest* span when its queue is full; we
admit spans ourselves so the queue never overflows, and count what we refuse (``stats()``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


@dataclass(frozen=True, slots=True)
class SdkStats:
    """Counters since ``init``: spans handed to the exporter and what became of them."""

    queued: int  # admitted into the export queue
    exported: int  # acknowledged by the server
    failed: int  # export attempts that failed after the exporter's own retries
    dropped: int  # refused because the queue was full (the app is never slowed down instead)
    sampled_out: int  # not sent because of sample_rate
    redaction_failures: int  # spans dropped because redaction raised (fail closed)
    feedback_sent: int = 0
    feedback_dropped: int = 0


class ExportCounters:
    """Mutable counters shared by the processor and the exporters of one pipeline."""

    __slots__ = ("queued", "handed", "exported", "failed", "dropped", "sampled_out", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.queued = 0
        self.handed = 0  # popped from the queue by the worker
        self.exported = 0
        self.failed = 0
        self.dropped = 0
        self.sampled_out = 0


class CountingSpanExporter(SpanExporter):
    """Counts spans by export outcome; otherwise a transparent wrapper."""

    def __init__(self, inner: SpanExporter, counters: ExportCounters) -> None:
        self._inner = inner
        self._counters = counters

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:
            result = SpanExportResult.FAILURE
        with self._counters.lock:
            if result is SpanExportResult.SUCCESS:
                self._counters.exported += len(spans)
            else:
                self._counters.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _HandOffExporter(SpanExporter):
    """First exporter in the chain: records that spans left the queue (frees admission slots)."""

    def __init__(self, inner: SpanExporter, counters: ExportCounters) -> None:
        self._inner = inner
        self._counters = counters

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._counters.lock:
            self._counters.handed += len(spans)
        return self._inner.export(spans)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def trace_sampled(trace_id: int, rate: float) -> bool:
    """Deterministic per-trace decision (same rule as OTel's TraceIdRatioBased): whole traces
    are kept or dropped together, across services that share the rate."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    return (trace_id & 0xFFFFFFFFFFFFFFFF) < int(rate * (1 << 64))


class SpyglassBatchProcessor(BatchSpanProcessor):
    """A ``BatchSpanProcessor`` with sampling, admission control and drop counting.

    Contract: ``on_end`` never blocks and never raises; at most ``max_queue_size`` spans wait
    in memory; a refused span increments ``dropped``.
    """

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queue_size: int,
        max_export_batch_size: int,
        schedule_delay_millis: float,
        sample_rate: float = 1.0,
        shutdown_timeout_millis: int = 5000,
        counters: ExportCounters | None = None,
    ) -> None:
        self.counters = counters or ExportCounters()
        self._max_queue = max_queue_size
        self._sample_rate = sample_rate
        self._shutdown_timeout = shutdown_timeout_millis
        super().__init__(
            _HandOffExporter(exporter, self.counters),
            max_queue_size=max_queue_size,
            max_export_batch_size=max_export_batch_size,
            schedule_delay_millis=schedule_delay_millis,
        )
        if hasattr(os, "register_at_fork"):
            # The parent's queue is cleared in the child by OTel: our admission count must match.
            os.register_at_fork(after_in_child=self._reset_after_fork)

    def _reset_after_fork(self) -> None:
        self.counters.lock = threading.Lock()
        self.counters.reset()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        try:
            ctx = span.context
            if ctx is None or not ctx.trace_flags.sampled:
                return
            c = self.counters
            if not trace_sampled(ctx.trace_id, self._sample_rate):
                c.sampled_out += 1
                return
            with c.lock:
                if c.queued - c.handed >= self._max_queue:
                    c.dropped += 1
                    return
                c.queued += 1
            super().on_end(span)
        except Exception:
            from spyglass.sdk._guard import report_internal_error

            report_internal_error("SpyglassBatchProcessor.on_end")

    def shutdown(self) -> None:
        # Bounded: OTel's default is 30 s, far too long for an app that is exiting.
        inner = getattr(self, "_batch_processor", None)  # OTel's worker; its shutdown takes a timeout
        if inner is not None and hasattr(inner, "shutdown"):
            inner.shutdown(timeout_millis=self._shutdown_timeout)
        else:
            super().shutdown()
