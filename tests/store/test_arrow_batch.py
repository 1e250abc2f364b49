"""Arrow batch building and ``DuckDBStore.write_tables``: IPC round trip, rows identical to
``write_batch``, and rollups right when one batch mixes new traces with stored ones."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from spyglass.model.span import SpanKind
from spyglass.store.arrow_batch import MAP_VALUE_CHARS, SpanTables, build_tables
from spyglass.store.duckdb import DuckDBStore
from tests.store.spans import chat, make_span


@pytest.mark.unit
def test_ipc_round_trip_keeps_every_row_and_column() -> None:
    tables = build_tables([make_span(1, 1, **chat("q", "a")), make_span(1, 2, 1, tags=["x"])])
    back = SpanTables.from_ipc(tables.to_ipc())
    assert back.spans.equals(tables.spans) and back.payloads.equals(tables.payloads)
    assert back.keys() == tables.keys()


@pytest.mark.unit
def test_foreign_ipc_bytes_are_refused() -> None:
    sink = pa.BufferOutputStream()
    other = pa.table({"a": [1]})
    for _ in range(2):
        with pa.ipc.new_stream(sink, other.schema) as w:
            w.write_table(other)
    with pytest.raises(pa.ArrowInvalid):
        SpanTables.from_ipc(sink.getvalue().to_pybytes())
    with pytest.raises(pa.ArrowInvalid):
        SpanTables.from_ipc(b"not arrow")


@pytest.mark.integration
def test_write_tables_stores_what_write_batch_stores(tmp_path: Path) -> None:
    spans = [make_span(1, 1, **chat("q", "a"), input_tokens=3), make_span(1, 2, 1, output_tokens=4)]
    a, b = DuckDBStore(tmp_path / "a"), DuckDBStore(tmp_path / "b")
    try:
        a.write_batch(spans)
        b.write_tables(SpanTables.from_ipc(build_tables(spans).to_ipc()))
        for table in ("spans", "span_payloads", "traces"):
            sql = f"SELECT * FROM {table} ORDER BY ALL"
            assert a.query(sql) == b.query(sql)
    finally:
        a.close()
        b.close()


@pytest.mark.integration
def test_batch_mixing_new_and_stored_traces_rolls_up_both(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path)
    try:
        store.write_batch([make_span(1, 1, name="root-1", kind=SpanKind.CHAIN, input_tokens=10)])
        parts = [
            build_tables(
                [
                    make_span(1, 2, 1, input_tokens=5),
                    make_span(2, 1, name="root-2", kind=SpanKind.CHAIN, input_tokens=7),
                ]
            ),
            build_tables(
                [
                    make_span(1, 1, name="root-1", kind=SpanKind.CHAIN, input_tokens=10),
                    make_span(2, 2, 1, input_tokens=1),
                ]
            ),
        ]
        stats = store.write_tables(SpanTables.concat(parts))
        assert (stats.received, stats.inserted, stats.duplicates, stats.traces_touched) == (4, 3, 1, 2)
        rows = store.query("SELECT trace_id, name, span_count, input_tokens FROM traces ORDER BY trace_id")
        assert [(r["name"], r["span_count"], r["input_tokens"]) for r in rows] == [
            ("root-1", 2, 15),
            ("root-2", 2, 8),
        ]
    finally:
        store.close()


@pytest.mark.unit
def test_long_attribute_values_are_cut_in_the_map_but_kept_whole_in_payloads() -> None:
    long_value = "é" * (MAP_VALUE_CHARS + 100)  # multi-byte: the cut counts characters
    attrs = {"gen_ai.input.messages": long_value, "short": "x", "n": 3}
    tables = build_tables([make_span(1, 1, attributes=attrs)])
    stored_map = dict(tables.spans.column("attributes").to_pylist()[0])
    assert stored_map == {"gen_ai.input.messages": "é" * MAP_VALUE_CHARS, "short": "x", "n": "3"}
    assert orjson.loads(tables.payloads.column("attributes")[0].as_py()) == attrs
