"""IngestProcessPool: a spawned worker returns the same Arrow rows the in-thread path builds,
refuses bad bodies with the same IngestError, and survives a worker being killed."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from spyglass.ingest import pipeline
from spyglass.ingest.errors import IngestError
from spyglass.ingest.process_pool import IngestProcessPool, prepare_tables
from spyglass.store.arrow_batch import build_tables
from tests.server.otlp_helpers import new_span_id, new_trace_id, proto_request

pytestmark = pytest.mark.integration

_PROTOBUF = "application/x-protobuf"
_LIMIT = 10_000_000


@pytest.fixture(scope="module")
def pool() -> Iterator[IngestProcessPool]:
    p = IngestProcessPool(1)
    p.start()
    yield p
    p.close()


def _body(n: int) -> bytes:
    t = new_trace_id()
    return proto_request([(t, new_span_id(), None, "chat") for _ in range(n)]).SerializeToString()


def test_ingest_error_pickles_with_its_status() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(IngestError(413, "too large")))
    assert isinstance(err, IngestError) and (err.status, err.message) == (413, "too large")


def test_worker_rows_equal_in_thread_rows(pool: IngestProcessPool) -> None:
    body = _body(30)
    prepared = asyncio.run(pool.prepare(body, _PROTOBUF, None, _LIMIT, "p1"))
    result = pipeline.normalize_request(pipeline.decode_request(body, _PROTOBUF, None, _LIMIT), "p1")
    pipeline.enrich(result.spans)
    expected = build_tables(result.spans)
    tables = prepared.tables()
    assert tables is not None and (prepared.accepted, prepared.rejected) == (30, 0)
    assert tables.keys() == expected.keys()
    assert tables.spans.equals(expected.spans) and tables.payloads.equals(expected.payloads)


def test_bad_body_raises_ingest_error_through_the_pool(pool: IngestProcessPool) -> None:
    with pytest.raises(IngestError) as info:
        asyncio.run(pool.prepare(b"\xff\x00not protobuf", _PROTOBUF, None, _LIMIT, "p1"))
    assert info.value.status == 400


def test_rejected_spans_are_counted_and_reported() -> None:
    body = proto_request(
        [(new_trace_id(), new_span_id(), None, "ok"), ("00" * 16, new_span_id(), None, "bad")]
    )
    prepared = prepare_tables(body.SerializeToString(), _PROTOBUF, None, _LIMIT, "p1")
    assert (prepared.accepted, prepared.rejected) == (1, 1)
    assert prepared.message and "rejected span" in prepared.message
    assert prepared.stats_delta.get("rejected_spans") == 1


def test_pool_recovers_after_a_worker_is_killed() -> None:
    pool = IngestProcessPool(1)
    pool.start()
    try:
        asyncio.run(pool.prepare(_body(2), _PROTOBUF, None, _LIMIT, "p1"))  # worker is up
        executor = pool._executor
        assert executor is not None
        for pid in list(executor._processes):  # noqa: SLF001  (the only way to reach the worker)
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            asyncio.run(pool.prepare(_body(2), _PROTOBUF, None, _LIMIT, "p1"))
        prepared = asyncio.run(pool.prepare(_body(3), _PROTOBUF, None, _LIMIT, "p1"))
        assert prepared.accepted == 3
    finally:
        pool.close()


@pytest.mark.unit
def test_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from spyglass.ingest.process_pool import WORKERS_ENV, default_workers

    monkeypatch.setenv(WORKERS_ENV, "0")
    assert default_workers() == 0
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert default_workers() == 3
    monkeypatch.setenv(WORKERS_ENV, "two")
    with pytest.raises(ValueError, match=WORKERS_ENV):
        default_workers()
    monkeypatch.delenv(WORKERS_ENV)
    assert 1 <= default_workers() <= 2
