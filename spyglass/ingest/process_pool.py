"""Decode -> normalize -> enrich -> Arrow tables in worker processes, to use every core.

Everything between the wire bytes and the store's Arrow tables is pure-Python work that
holds the GIL (~90 µs per realistic span), so in one process it caps ingest at one core.
``IngestProcessPool`` runs that work in ``spawn``ed worker processes: the request body goes
in, Arrow IPC bytes of the ``spans``/``span_payloads`` rows come back (a few memcpys to read,
no per-span Python left in the server process), together with the rejected count and the
partial-success message. The server process keeps HTTP, auth and the DuckDB commit.

Workers share no state with the server: pipeline failure counters are returned as deltas
(``PreparedTables.stats_delta``) for the caller to add to its own ``pipeline.stats``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from spyglass.ingest import bounds, pipeline
from spyglass.store.arrow_batch import SpanTables, build_tables_isolating

log = logging.getLogger(__name__)

WORKERS_ENV = "SPYGLASS_INGEST_PROCESSES"


def default_workers() -> int:
    """``$SPYGLASS_INGEST_PROCESSES`` if set (0 = no pool), else one per core but one, at
    least 1 and at most 2: the server process needs a core of its own for HTTP and the
    DuckDB commit (measured on 2 cores: it spends ~78 µs per span, a worker ~60, and a
    second worker added no throughput, only ~150 MB of RSS)."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        if not value.isdigit():
            raise ValueError(f"{WORKERS_ENV} must be a whole number of processes (0 = none), got {value!r}")
        return int(value)
    return max(1, min(2, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True, slots=True)
class PreparedTables:
    """What a worker returns for one request body."""

    ipc: bytes | None  # SpanTables.to_ipc() of the accepted spans; None when there are none
    accepted: int
    rejected: int
    message: str | None  # the OTLP partial-success message, None when there is nothing to say
    stats_delta: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # rejections by reason class
    repairs_delta: dict[str, int] = field(default_factory=dict)  # for the caller's ``bounds.stats``

    def tables(self) -> SpanTables | None:
        return SpanTables.from_ipc(self.ipc) if self.ipc is not None else None


def prepare_tables(
    body: bytes, content_type: str | None, content_encoding: str | None, max_body_bytes: int, project_id: str
) -> PreparedTables:
    """Blocking, runs in a worker: one OTLP trace request -> Arrow IPC of its enriched spans.
    Raises ``IngestError`` for an unreadable body, exactly like ``decode_request``."""
    before, repairs_before = dict(pipeline.stats), dict(bounds.stats)
    decoded = pipeline.decode_request(body, content_type, content_encoding, max_body_bytes)
    result = pipeline.normalize_request(decoded, project_id)
    ipc = None
    accepted = len(result.spans)
    if result.spans:
        pipeline.enrich(result.spans)
        tables, failures = build_tables_isolating(result.spans)
        for failure in failures:
            result.reject(f"rejected span {failure}", "internal")
        if tables is not None:
            ipc = tables.to_ipc()
        accepted -= len(failures)
    return PreparedTables(
        ipc,
        accepted,
        result.rejected,
        result.message(),
        _delta(before, pipeline.stats),
        result.reasons,
        _delta(repairs_before, bounds.stats),
    )


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _add(into: dict[str, int], delta: dict[str, int]) -> None:
    for key, n in delta.items():
        into[key] = into.get(key, 0) + n


def _warm_up() -> None:
    """Load price tables and compile what the first request would (import cost paid once)."""
    from spyglass.ingest.enrich import cost  # noqa: F401


def _exit_with_parent(parent_pid: int) -> None:
    # A killed server cannot shut its pool down, and a spawned worker holds both ends of its
    # call queue, so it would wait forever: leave as soon as the server is gone.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os._exit(0)


_PARENT_POLL_S = 0.5


def _init_worker(parent_pid: int) -> None:
    """Worker initializer: watch the server process, warm up, then tune the GC."""
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
    _warm_up()
    # A request allocates ~100 container objects per span, nearly all freed by refcount:
    # the default gen-0 threshold (700) runs the cycle collector thousands of times per
    # request for nothing (measured: -7% CPU for protobuf, -35% for OTLP/JSON decode).
    # Imported modules go to the permanent generation so full collections skip them.
    gc.freeze()
    gc.set_threshold(_GC_GEN0_THRESHOLD, 20, 20)


_GC_GEN0_THRESHOLD = 50_000


class IngestProcessPool:
    """A small pool of spawn-started worker processes running ``prepare_tables``.

    ``start()`` launches the workers (they import in the background); ``ready()`` starts
    them if needed and tells whether they have all finished starting, so callers can keep
    working in-process meanwhile; ``close()`` stops them and waits. A worker that dies (OOM kill …) breaks
    a ``ProcessPoolExecutor`` for good, so the pool is then rebuilt for the next request
    and the failing call raises ``BrokenProcessPool`` for the caller to retry in-process."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("an ingest process pool needs at least one worker")
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._warming: list[Future[None]] = []

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )

    def start(self) -> None:
        if self._executor is None:
            self._executor = self._new_executor()
            # each submit spawns one more worker, up to the limit
            self._warming = [self._executor.submit(_warm_up) for _ in range(self.workers)]

    def ready(self) -> bool:
        """Start the workers if they are not running; True once every one is up."""
        if self._executor is None:
            self.start()
        if self._warming and all(f.done() for f in self._warming):
            self._warming = []
        return not self._warming

    async def prepare(
        self,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
        max_body_bytes: int,
        project_id: str,
    ) -> PreparedTables:
        """``prepare_tables`` in a worker. Raises ``IngestError`` (bad body) or
        ``BrokenProcessPool`` (a worker died; the pool is rebuilt for later calls)."""
        if self._executor is None:
            raise RuntimeError("ingest process pool is not started")
        executor = self._executor
        try:
            future = executor.submit(
                prepare_tables, body, content_type, content_encoding, max_body_bytes, project_id
            )
            result = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            if self._executor is executor:
                log.error("an ingest worker process died; restarting the pool")
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
                self.start()
            raise
        _add(pipeline.stats, result.stats_delta)
        _add(bounds.stats, result.repairs_delta)
        return result

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
