"""BatchWriter: group commit, ack after commit, failures isolated per batch, bounded queue."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from spyglass.model.span import LlmSpan
from spyglass.store.base import WriteStats
from spyglass.store.duckdb import DuckDBStore
from spyglass.store.writer import BatchWriter, WriterOverloaded, WriterStopped
from tests.store.spans import make_span

pytestmark = pytest.mark.integration


class RecordingStore:
    """Wraps a real DuckDBStore; can block or fail chosen batches."""

    dialect = "duckdb"

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.fail_when: Any = None
        self.gate = threading.Event()
        self.gate.set()

    def write_batch(self, spans: Sequence[LlmSpan]) -> WriteStats:
        self.gate.wait(10)
        self.batches.append(len(spans))
        if self.fail_when is not None and self.fail_when(spans):
            raise RuntimeError("disk on fire")
        return self.inner.write_batch(spans)

    def query(self, sql: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.inner.query(sql, params)

    def write_feedback(self, feedback: Any) -> str:
        return self.inner.write_feedback(feedback)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    s = RecordingStore(DuckDBStore(tmp_path))
    yield s
    s.close()


def count(store: RecordingStore) -> int:
    return int(store.query("SELECT count(*) AS n FROM spans")[0]["n"])


async def test_concurrent_requests_share_one_commit_and_are_acked_after_it(store: RecordingStore) -> None:
    writer = BatchWriter(store, max_batch_spans=1000, max_delay_s=0.05)  # type: ignore[arg-type]
    writer.start()
    try:
        store.gate.clear()  # hold the first commit so the other requests queue up behind it
        first = asyncio.create_task(writer.submit([make_span(100, 1)]))
        await asyncio.sleep(0.1)
        tasks = [asyncio.create_task(writer.submit([make_span(i, 1), make_span(i, 2, 1)])) for i in range(10)]
        await asyncio.sleep(0.1)
        assert not any(t.done() for t in tasks)  # nothing acknowledged before its commit
        store.gate.set()
        results = await asyncio.gather(first, *tasks)
        assert all(isinstance(r, WriteStats) for r in results)
        assert store.batches == [1, 20]  # the ten requests went in one transaction
        assert count(store) == 21
        assert writer.counters.batches == 2 and writer.counters.spans_written == 21
        assert writer.counters.queue_spans == 0
    finally:
        writer.stop()


async def test_failing_batch_fails_only_its_requests(store: RecordingStore) -> None:
    store.fail_when = lambda spans: any(sp.name == "poison" for sp in spans)
    writer = BatchWriter(store, max_batch_spans=2, max_delay_s=0.0)  # type: ignore[arg-type]
    writer.start()
    try:
        bad = writer.submit([make_span(1, 1, name="poison"), make_span(1, 2, 1)])
        with pytest.raises(RuntimeError, match="disk on fire"):
            await bad
        ok = await writer.submit([make_span(2, 1)])
        assert ok.inserted == 1
        assert count(store) == 1
        assert writer.counters.batches_failed == 1
    finally:
        writer.stop()


async def test_queue_bound_raises_overloaded(store: RecordingStore) -> None:
    writer = BatchWriter(store, max_batch_spans=10, max_delay_s=0.0, max_pending_spans=3)  # type: ignore[arg-type]
    writer.start()
    store.gate.clear()
    try:
        first = asyncio.create_task(writer.submit([make_span(1, 1)]))  # taken by the (blocked) writer
        await asyncio.sleep(0.05)
        second = asyncio.create_task(writer.submit([make_span(2, 1), make_span(2, 2)]))  # queued: 2 pending
        await asyncio.sleep(0.05)
        with pytest.raises(WriterOverloaded):
            await writer.submit([make_span(3, 1), make_span(3, 2)])  # 2 + 2 > 3
        assert writer.counters.rejected_overloaded == 1
        store.gate.set()
        await asyncio.gather(first, second)
        assert count(store) == 3
    finally:
        store.gate.set()
        writer.stop()


async def test_stop_drains_queue_then_refuses(store: RecordingStore) -> None:
    writer = BatchWriter(store, max_batch_spans=5000, max_delay_s=0.5)  # type: ignore[arg-type]
    writer.start()
    task = asyncio.create_task(writer.submit([make_span(1, 1)]))
    await asyncio.sleep(0.05)
    await asyncio.to_thread(writer.stop)  # must not wait the full delay nor drop the request
    assert (await task).inserted == 1
    with pytest.raises(WriterStopped):
        await writer.submit([make_span(2, 1)])
