"""One bad span costs only itself: the Arrow build and the store write narrow a failure down to
the span that caused it, and the rest of the batch (and of the group commit) is stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from spyglass.store.arrow_batch import build_tables, build_tables_isolating, json_text
from spyglass.store.base import SpanDataError, StoreError
from spyglass.store.duckdb import DuckDBStore
from spyglass.store.writer import BatchWriter
from tests.store.spans import make_span, span_id, trace_id

pytestmark = pytest.mark.integration


def _stored(store: DuckDBStore) -> set[str]:
    return {r["span_id"] for r in store.query("SELECT span_id FROM spans")}


def test_arrow_build_isolates_the_span_whose_column_cannot_be_built() -> None:
    spans = [make_span(1, i, input_tokens=10) for i in range(1, 10)]
    spans[6].input_tokens = 2**70  # no int64 column can hold it (ingest's bounds keep it out)
    tables, failures = build_tables_isolating(spans)
    assert tables is not None and tables.num_rows == 8
    keys = tables.keys()
    assert [k[2] for k in keys] == [span_id(i) for i in range(1, 10) if i != 7]
    assert len(failures) == 1 and failures[0].startswith(f"{trace_id(1)}/{span_id(7)}: internal:")
    with pytest.raises(OverflowError):
        build_tables(spans)  # what the request used to die of


def test_arrow_build_all_bad_gives_no_tables() -> None:
    spans = [make_span(1, 1, output_tokens=-(2**65)), make_span(1, 2, total_tokens=2**64)]
    tables, failures = build_tables_isolating(spans)
    assert tables is None and len(failures) == 2


def test_json_text_never_raises_on_values_orjson_refuses() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(400):
        child: list[object] = []
        node.append(child)
        node = child
    assert json_text({"n": 2**80, 3: "int key"}) == '{"n":"1208925819614629174706176","3":"int key"}'
    assert "nested deeper than" in json_text(deep)


def _overflowing_trace_spans() -> list:
    # two spans of one trace whose token sum overflows the int64 rollup column: DuckDB itself
    # refuses the second one (a real data error of the real store, not a test double)
    return [
        make_span(5, 1, input_tokens=2**62, output_tokens=0, total_tokens=2**62),
        make_span(5, 2, input_tokens=2**62, output_tokens=0, total_tokens=2**62),
    ]


def test_the_store_refusing_data_raises_span_data_error(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path)
    try:
        with pytest.raises(SpanDataError):
            store.write_batch(_overflowing_trace_spans())
        assert _stored(store) == set()  # one transaction: nothing half-written
    finally:
        store.close()


async def test_writer_narrows_a_refused_batch_to_the_refused_span(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path)
    writer = BatchWriter(store, max_delay_s=0.2)
    writer.start()
    try:
        bad_request = [*_overflowing_trace_spans(), make_span(6, 3, input_tokens=1)]
        good_request = [make_span(7, 4, input_tokens=1), make_span(7, 5, input_tokens=2)]
        # both requests land in one group commit (0.2 s batching window)
        bad, good = await asyncio.gather(writer.submit(bad_request), writer.submit(good_request))
        assert good.rejected == []
        assert len(bad.rejected) == 1 and bad.rejected[0].startswith(f"{trace_id(5)}/{span_id(2)}: internal:")
        assert _stored(store) == {span_id(i) for i in (1, 3, 4, 5)}
        assert writer.counters.spans_refused == 1
        # a later batch is unaffected
        await writer.submit([make_span(8, 6)])
        assert span_id(6) in _stored(store)
    finally:
        writer.stop()
        store.close()


async def test_writer_fails_a_request_the_store_cannot_take_at_all(tmp_path: Path) -> None:
    """Every span refused = not the data's fault: the request fails (retryable), not 'rejected'."""
    store = DuckDBStore(tmp_path)
    writer = BatchWriter(store)
    writer.start()
    try:
        store.close()  # the store is gone: every write fails, and not for the data
        with pytest.raises(StoreError) as info:
            await writer.submit([make_span(9, 1), make_span(9, 2)])
        assert not isinstance(info.value, SpanDataError)
    finally:
        writer.stop()
