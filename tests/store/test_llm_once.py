"""Each LLM call counted once: an LLM span whose direct child is an LLM span (two
instrumentations describing one provider call) is a wrapper, not counted (``spans.counted``
false); the trace rollup takes calls, tokens, cost and TTFT from the counted spans. The
marking must not depend on how the spans are split over requests or in which order they
arrive."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

from spyglass.model.span import LlmSpan, SpanKind
from spyglass.store.arrow_batch import SpanTables, build_tables
from spyglass.store.duckdb import DB_FILE_NAME, DuckDBStore
from tests.store.spans import make_span, span_id, trace_id

pytestmark = pytest.mark.integration


def nested_call(trace: int = 1) -> list[LlmSpan]:
    """agent -> ChatOpenAI (framework LLM span) -> chat gpt-4o-mini (provider LLM span)."""
    return [
        make_span(trace, 1, None, name="agent", kind=SpanKind.AGENT, duration_ms=1000),
        make_span(trace, 2, 1, start_ms=10, duration_ms=900, name="ChatOpenAI", request_model="gpt-4o-mini",
                  input_tokens=100, output_tokens=20, total_tokens=120, cost_total_usd=0.02, ttft_ms=300.0),
        make_span(trace, 3, 2, start_ms=20, duration_ms=800, name="chat gpt-4o-mini", request_model="gpt-4o-mini",
                  response_model="gpt-4o-mini-2024-07-18", input_tokens=100, output_tokens=20, total_tokens=120,
                  cost_total_usd=0.02, ttft_ms=250.0),
    ]  # fmt: skip


def rollup(store: DuckDBStore, trace: int = 1) -> tuple[object, ...]:
    (row,) = store.query(
        """SELECT span_count, llm_call_count, input_tokens, output_tokens, total_tokens, cost_usd, ttft_ms
           FROM traces WHERE trace_id = $t""",
        {"t": trace_id(trace)},
    )
    return tuple(row.values())


def counted(store: DuckDBStore) -> dict[str, bool]:
    rows = store.query("SELECT span_id, counted FROM spans ORDER BY span_id")
    return {r["span_id"]: r["counted"] for r in rows}


ONE_CALL = (3, 1, 100, 20, 120, 0.02, 250.0)
MARKS = {span_id(1): True, span_id(2): False, span_id(3): True}


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    s = DuckDBStore(tmp_path)
    yield s  # type: ignore[misc]
    s.close()


def test_nested_llm_spans_in_one_request_count_one_call(store: DuckDBStore) -> None:
    store.write_batch(nested_call())
    assert counted(store) == MARKS
    assert rollup(store) == ONE_CALL


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_any_arrival_order_over_separate_requests_gives_the_same_result(
    store: DuckDBStore, order: tuple[int, ...]
) -> None:
    spans = nested_call()
    for i in order:
        store.write_batch([spans[i]])
    assert counted(store) == MARKS
    assert rollup(store) == ONE_CALL


def test_parent_and_child_in_separate_requests_of_one_group_commit(store: DuckDBStore) -> None:
    agent, wrapper, child = nested_call()
    store.write_tables(SpanTables.concat([build_tables([child]), build_tables([agent, wrapper])]))
    assert counted(store) == MARKS
    assert rollup(store) == ONE_CALL


def test_resent_spans_keep_the_marks(store: DuckDBStore) -> None:
    spans = nested_call()
    store.write_batch(spans[:2])
    store.write_batch(spans)  # the wrapper again (a duplicate) with its child, now new
    store.write_batch(spans)
    assert counted(store) == MARKS
    assert rollup(store) == ONE_CALL


def test_sibling_llm_calls_under_an_agent_count_two(store: DuckDBStore) -> None:
    store.write_batch(
        [
            make_span(1, 1, None, kind=SpanKind.AGENT),
            make_span(1, 2, 1, input_tokens=10, cost_total_usd=0.1),
            make_span(1, 3, 1, input_tokens=20, cost_total_usd=0.2),
        ]
    )
    assert all(counted(store).values())
    span_count, calls, tokens, _, _, cost, _ = rollup(store)
    assert (span_count, calls, tokens, cost) == (3, 2, 30, pytest.approx(0.3))


def test_a_wrapper_over_two_provider_calls_counts_the_two(store: DuckDBStore) -> None:
    """A framework span over a retried call: the two provider calls are the calls."""
    store.write_batch(
        [
            make_span(1, 1, None, name="ChatOpenAI", input_tokens=30, cost_total_usd=0.3),
            make_span(1, 2, 1, input_tokens=10, cost_total_usd=0.1, status="error"),
            make_span(1, 3, 1, start_ms=50, input_tokens=20, cost_total_usd=0.2),
        ]
    )
    span_count, calls, tokens, _, _, cost, _ = rollup(store)
    assert (span_count, calls, tokens, cost) == (3, 2, 30, pytest.approx(0.3))


def test_embedding_spans_are_not_affected(store: DuckDBStore) -> None:
    store.write_batch(
        [
            make_span(1, 1, None, kind=SpanKind.EMBEDDING, input_tokens=5),
            make_span(1, 2, 1, kind=SpanKind.EMBEDDING, input_tokens=5),
        ]
    )
    assert all(counted(store).values())
    assert rollup(store)[1:3] == (0, 10)


def test_an_llm_span_under_a_non_llm_span_under_an_llm_span_counts(store: DuckDBStore) -> None:
    """Only a *direct* LLM child makes a wrapper."""
    store.write_batch(
        [
            make_span(1, 1, None, input_tokens=1),
            make_span(1, 2, 1, kind=SpanKind.TOOL),
            make_span(1, 3, 2, input_tokens=2),
        ]
    )
    assert all(counted(store).values())
    assert rollup(store)[1:3] == (2, 3)


def test_a_data_dir_from_before_the_column_is_upgraded_at_open(tmp_path: Path) -> None:
    """A spans table without ``counted`` (the previous version) gets it on open, the stored
    wrappers are marked and their traces' rollups recomputed."""
    store = DuckDBStore(tmp_path)
    store.write_batch(nested_call(1))
    store.write_batch([make_span(2, 1, None, input_tokens=7)])
    store.close()
    con = duckdb.connect(str(tmp_path / DB_FILE_NAME))
    con.execute("ALTER TABLE spans DROP COLUMN counted")
    # the rollup as the previous version wrote it: both LLM spans counted
    con.execute(
        "UPDATE traces SET llm_call_count = 2, input_tokens = 200 WHERE trace_id = $t", {"t": trace_id(1)}
    )
    con.close()

    store = DuckDBStore(tmp_path)
    try:
        assert counted(store) == {**MARKS, span_id(1): True}  # trace 2's span 1 is counted too
        assert rollup(store, 1) == ONE_CALL
        assert rollup(store, 2)[1:3] == (1, 7)
        store.write_batch([make_span(2, 2, 1, input_tokens=3)])  # writes go on after the upgrade
        assert rollup(store, 2)[1:3] == (1, 3)
    finally:
        store.close()
