"""The server's own metrics, in Prometheus text format at ``GET /metrics``.

A private ``CollectorRegistry`` (not the process-global one) so that several apps in one
process (tests) never collide, and so nothing a library registers leaks into our output.
Values that mirror live state (writer totals and queue depth, store size) are read at
scrape time rather than updated on the hot path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServerMetrics:
    """Counters and histograms the server updates; ``render()`` gives the exposition text."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "spyglass_http_requests",
            "HTTP/gRPC requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.spans_accepted = Counter(
            "spyglass_spans_accepted", "Spans committed to the store", ["transport"], registry=r
        )
        self.spans_rejected = Counter(
            "spyglass_spans_rejected",
            "Spans rejected at ingest (partial success), by transport and reason: identity "
            "(unusable trace/span id) or internal (a failure of the server pinned on that span)",
            ["transport", "reason"],
            registry=r,
        )
        self.other_signals = Counter(
            "spyglass_otlp_other_requests",
            "OTLP /v1/logs and /v1/metrics requests accepted",
            ["signal"],
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "spyglass_ingest_seconds",
            "Ingest request latency from body read to commit acknowledgement",
            ["transport"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.store_size_bytes = Gauge(
            "spyglass_store_size_bytes", "Bytes used by the data directory", registry=r
        )

    def watch_writer(self, writer: Any) -> None:
        """Expose the writer's own running totals (``writer.counters``) at scrape time."""
        self.registry.register(_WriterCollector(writer))

    def watch_pipeline(self, stats: Mapping[str, int], repairs: Mapping[str, int] | None = None) -> None:
        """Expose the ingest pipeline's process-wide failure counters (``pipeline.stats``)
        and the out-of-range values it repaired, by field (``bounds.stats``)."""
        self.registry.register(_PipelineCollector(stats, repairs if repairs is not None else {}))

    def watch_log_events(self, joiner: Any) -> None:
        """Expose ``LogEventJoiner.stats`` (GenAI log events joined to spans)."""
        self.registry.register(_LogEventsCollector(joiner))

    def watch_data_dir(self, data_dir: Path) -> None:
        self.store_size_bytes.set_function(lambda: float(dir_size_bytes(data_dir)))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _WriterCollector(Collector):
    """Reads ``BatchWriter.counters`` (plain ints/floats updated by the writer thread)."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def collect(self) -> Iterable[Metric]:
        c = self._writer.counters
        yield CounterMetricFamily(
            "spyglass_writer_batches", "Batches the writer committed or failed", value=c.batches
        )
        yield CounterMetricFamily(
            "spyglass_writer_batches_failed", "Batches whose transaction failed", value=c.batches_failed
        )
        yield CounterMetricFamily(
            "spyglass_writer_spans_written", "Spans newly inserted", value=c.spans_written
        )
        yield CounterMetricFamily(
            "spyglass_writer_spans_duplicate", "Re-sent spans ignored", value=c.spans_duplicate
        )
        yield CounterMetricFamily(
            "spyglass_writer_rejected_overloaded",
            "Submits refused because the queue was full",
            value=c.rejected_overloaded,
        )
        yield CounterMetricFamily(
            "spyglass_writer_commit_seconds", "Seconds spent in write transactions", value=c.commit_seconds
        )
        yield GaugeMetricFamily(
            "spyglass_writer_queue_depth", "Spans waiting in the writer queue", value=c.queue_spans
        )


class _LogEventsCollector(Collector):
    def __init__(self, joiner: Any) -> None:
        self._joiner = joiner

    def collect(self) -> Iterable[Metric]:
        s = self._joiner.stats
        family = CounterMetricFamily(
            "spyglass_log_events", "GenAI log events by outcome (OTLP /v1/logs)", labels=["outcome"]
        )
        for outcome in ("received", "buffered", "attached", "expired", "ignored"):
            family.add_metric([outcome], getattr(s, outcome))
        yield family
        yield GaugeMetricFamily(
            "spyglass_log_events_pending",
            "GenAI log events waiting for their span",
            value=self._joiner.pending_events,
        )


class _PipelineCollector(Collector):
    """Normalizer/enricher failures: spans kept with what could be mapped, but worth an alert."""

    def __init__(self, stats: Mapping[str, int], repairs: Mapping[str, int]) -> None:
        self._stats = stats
        self._repairs = repairs

    def collect(self) -> Iterable[Metric]:
        for name in ("normalizer_failures", "enricher_failures"):
            if name in self._stats:
                yield CounterMetricFamily(
                    f"spyglass_ingest_{name}",
                    f"Ingest {name.replace('_', ' ')} (span kept)",
                    value=self._stats[name],
                )
        family = CounterMetricFamily(
            "spyglass_ingest_values_repaired",
            "Out-of-range span values repaired at ingest (span kept, see spyglass.ingest.repairs)",
            labels=["field"],
        )
        for name, n in sorted(self._repairs.items()):
            family.add_metric([name], n)
        yield family


def dir_size_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # a file rotated away between listing and stat
                total += os.stat(os.path.join(root, name)).st_size
    return total
