"""Group commit: many concurrent requests, one writer thread, one transaction per batch.

``await writer.submit(spans)`` queues the spans and returns only after the transaction that
holds them has committed (so an acknowledged request is durable). The single writer thread
drains the queue into batches of up to ``max_batch_spans`` or whatever arrived within
``max_delay_s`` of the first waiting request, calls ``store.write_batch`` once, then
resolves each waiting request's future on its own event loop. If a batch fails, only the
requests in it fail (with the store's exception); later batches proceed.

Requests carry either canonical spans (``submit``) or spans already built into the store's
Arrow tables by an ingest worker process (``submit_tables``; needs a store with
``write_tables``). A batch mixing both is built into tables here and written at once.

The queue is bounded by ``max_pending_spans``: beyond it ``submit`` raises
``WriterOverloaded`` at once (the server answers 429/503, retryable) instead of buffering
without limit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spyglass.model.span import LlmSpan
from spyglass.store.arrow_batch import SpanTables, build_tables_isolating
from spyglass.store.base import SpanDataError, SpanStore, StoreError, WriteStats

log = logging.getLogger(__name__)


class WriterOverloaded(Exception):
    """The writer queue is full; retry later (maps to HTTP 429/503)."""


class WriterStopped(Exception):
    """``submit`` was called on a writer that is not running."""


@dataclass(slots=True)
class WriterCounters:
    """Running totals for /metrics (read without a lock: each field is a single int/float)."""

    batches: int = 0
    batches_failed: int = 0
    spans_written: int = 0
    spans_duplicate: int = 0
    spans_refused: int = 0  # spans left out of a commit because they could not be stored
    requests: int = 0
    rejected_overloaded: int = 0
    commit_seconds: float = 0.0
    queue_spans: int = 0  # current pending spans (queue depth)


@dataclass(slots=True)
class _Request:
    spans: Sequence[LlmSpan] | None
    tables: SpanTables | None
    size: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[WriteStats]
    rejected: list[str] = field(default_factory=list)  # "trace/span: reason", this request's
    error: BaseException | None = None  # set when this request alone failed


def _resolve(fut: asyncio.Future[WriteStats], result: WriteStats | None, error: BaseException | None) -> None:
    if fut.done():  # the caller was cancelled; its spans are written anyway
        return
    if error is not None:
        fut.set_exception(error)
    else:
        assert result is not None
        fut.set_result(result)


class BatchWriter:
    """Owns the only thread that writes to ``store``. ``start()`` before use, ``stop()``
    drains what is queued, then ends the thread. ``submit`` is safe from any event loop."""

    def __init__(
        self,
        store: SpanStore,
        *,
        max_batch_spans: int = 5000,
        max_delay_s: float = 0.02,
        max_pending_spans: int = 200_000,
    ) -> None:
        self.store = store
        self.max_batch_spans = max_batch_spans
        self.max_delay_s = max_delay_s
        self.max_pending_spans = max_pending_spans
        self.counters = WriterCounters()
        self._queue: collections.deque[_Request] = collections.deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="spyglass-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop accepting, commit everything already queued, then join the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopping

    async def submit(self, spans: Sequence[LlmSpan]) -> WriteStats:
        """Queue ``spans``; return the stats of the committed batch holding them (its
        ``received``/``inserted`` cover the whole batch, not only this request). Raises
        ``WriterOverloaded`` when the queue is full, ``WriterStopped`` when not running, or
        the store's exception if the batch failed."""
        if not spans:
            return WriteStats()
        return await self._enqueue(spans, None, len(spans))

    async def submit_tables(self, tables: SpanTables) -> WriteStats:
        """``submit`` for spans already built into Arrow tables (``arrow_batch.build_tables``).
        Raises ``TypeError`` if the store has no ``write_tables``."""
        if not tables.num_rows:
            return WriteStats()
        if not hasattr(self.store, "write_tables"):
            raise TypeError(f"{type(self.store).__name__} cannot write Arrow tables")
        return await self._enqueue(None, tables, tables.num_rows)

    async def _enqueue(
        self, spans: Sequence[LlmSpan] | None, tables: SpanTables | None, size: int
    ) -> WriteStats:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[WriteStats] = loop.create_future()
        with self._cond:
            if self._thread is None or self._stopping:
                raise WriterStopped("writer is not running")
            if self.counters.queue_spans + size > self.max_pending_spans and self._queue:
                self.counters.rejected_overloaded += 1
                raise WriterOverloaded(
                    f"write queue full ({self.counters.queue_spans} spans pending, max {self.max_pending_spans})"
                )
            self._queue.append(_Request(spans, tables, size, loop, fut))
            self.counters.queue_spans += size
            self.counters.requests += 1
            self._cond.notify()
        return await fut

    def _take_batch(self) -> list[_Request] | None:
        """Block until a batch is ready (size reached, delay elapsed or stopping)."""
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            deadline = time.monotonic() + self.max_delay_s
            while self.counters.queue_spans < self.max_batch_spans and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch: list[_Request] = []
            n = 0
            while self._queue and (not batch or n + self._queue[0].size <= self.max_batch_spans):
                req = self._queue.popleft()
                batch.append(req)
                n += req.size
            self.counters.queue_spans -= n
            return batch

    def _write(self, batch: list[_Request]) -> WriteStats:
        write_tables = getattr(self.store, "write_tables", None)
        if write_tables is None:  # only span requests reach here (submit_tables checks)
            return self.store.write_batch([sp for req in batch for sp in req.spans or ()])
        for req in batch:  # a span whose columns cannot be built fails alone, here
            if req.tables is None and req.spans:
                req.tables, req.rejected = build_tables_isolating(req.spans)
                req.spans = None
        parts = [req.tables for req in batch if req.tables is not None]
        if not parts:
            return WriteStats()
        try:
            stats: WriteStats = write_tables(SpanTables.concat(parts))
        except SpanDataError:
            return self._write_isolating(batch, write_tables)
        return stats

    def _write_isolating(self, batch: list[_Request], write_tables: Any) -> WriteStats:
        """After the store refused a batch's data: each request in its own transaction, and
        a refused request's rows by halves, so only the refused spans are left out (their
        requests report them as rejected). A request none of whose spans can be written is
        failed as a whole (``StoreError``, retryable): that is the store, not the data."""
        log.warning(
            "the store refused the data of a batch of %d requests; writing them one by one", len(batch)
        )
        total = WriteStats()
        for req in batch:
            if req.tables is None:
                continue
            before = len(req.rejected)
            stats = self._write_halves(req.tables, req.rejected, write_tables)
            if stats.inserted + stats.duplicates == 0 and req.tables.num_rows > 1:
                del req.rejected[before:]
                req.error = StoreError("the store refused every span of the request")
                continue
            total.received += stats.received
            total.inserted += stats.inserted
            total.duplicates += stats.duplicates
            total.traces_touched += stats.traces_touched
        return total

    def _write_halves(self, tables: SpanTables, rejected: list[str], write_tables: Any) -> WriteStats:
        try:
            stats: WriteStats = write_tables(tables)
            return stats
        except SpanDataError as exc:
            if tables.num_rows == 1:
                _, trace_id, span_id = tables.keys()[0]
                log.warning("the store refused span %s/%s: %s", trace_id, span_id, exc)
                rejected.append(f"{trace_id}/{span_id}: internal: the store refused it ({exc})"[:300])
                return WriteStats()
        mid = tables.num_rows // 2
        a = self._write_halves(tables.take(range(mid)), rejected, write_tables)
        b = self._write_halves(tables.take(range(mid, tables.num_rows)), rejected, write_tables)
        return WriteStats(
            received=a.received + b.received,
            inserted=a.inserted + b.inserted,
            duplicates=a.duplicates + b.duplicates,
            traces_touched=a.traces_touched + b.traces_touched,
        )

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            t0 = time.perf_counter()
            result: WriteStats | None = None
            error: BaseException | None = None
            try:
                result = self._write(batch)
            except Exception as e:  # a failing batch fails only its own requests
                log.exception("write batch of %d spans failed", sum(req.size for req in batch))
                error = e
            dt = time.perf_counter() - t0
            self.counters.batches += 1
            self.counters.commit_seconds += dt
            if result is not None:
                self.counters.spans_written += result.inserted
                self.counters.spans_duplicate += result.duplicates
                self.counters.spans_refused += sum(len(req.rejected) for req in batch)
            else:
                self.counters.batches_failed += 1
            for req in batch:
                outcome = result
                if result is not None and req.rejected:
                    outcome = replace(result, rejected=list(req.rejected))
                with contextlib.suppress(RuntimeError):  # that request's loop has closed
                    req.loop.call_soon_threadsafe(_resolve, req.future, outcome, req.error or error)
