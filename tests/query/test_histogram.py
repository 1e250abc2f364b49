"""Histogram buckets over a real (in-memory) DuckDB store."""

from __future__ import annotations

import pytest

from spyglass.query.compile import Scope
from spyglass.query.filters import parse
from spyglass.query.histogram import edges, histogram
from spyglass.store.duckdb import DuckDBStore
from tests.query.ui_spans import MS, T0, request

pytestmark = pytest.mark.integration

SCOPE = Scope("p1", T0, T0 + 3600 * 1000 * MS)


@pytest.fixture
def store() -> DuckDBStore:
    s = DuckDBStore(None)
    spans = []
    for n, ms in enumerate([1, 10, 10, 100, 100, 100, 1000], start=1):
        spans += request(
            n, duration_ms=ms, cost=0.0 if n == 1 else ms / 1000, model="claude" if n == 7 else "gpt-4o"
        )
    s.write_batch(spans)
    return s


@pytest.mark.unit
def test_log_edges_are_geometric() -> None:
    e = edges(1.0, 1000.0, 3, "log")
    assert e == pytest.approx([1.0, 10.0, 100.0, 1000.0])
    assert edges(0.0, 10.0, 2, "linear") == pytest.approx([0.0, 5.0, 10.0])


def test_every_request_lands_in_one_bucket(store: DuckDBStore) -> None:
    h = histogram(store, SCOPE, field_name="duration_ms", buckets=3)
    assert h.count == 7 and h.zero_count == 0
    assert h.min == pytest.approx(1.0) and h.max == pytest.approx(1000.0)
    assert [b.count for b in h.buckets] == [1, 2, 4]  # [1,10) [10,100) [100,1000]
    assert h.buckets[0].lower == pytest.approx(1.0) and h.buckets[-1].upper == pytest.approx(1000.0)


def test_zero_costs_are_counted_apart_and_filters_apply(store: DuckDBStore) -> None:
    h = histogram(store, SCOPE, field_name="cost_usd", buckets=4)
    assert h.zero_count == 1 and sum(b.count for b in h.buckets) == 6
    only_claude = histogram(store, SCOPE, field_name="duration_ms", buckets=4, node=parse("model:claude"))
    assert only_claude.count == 1 and sum(b.count for b in only_claude.buckets) == 1


def test_span_level_and_empty_ranges(store: DuckDBStore) -> None:
    spans = histogram(store, SCOPE, field_name="duration_ms", level="span", buckets=3, node=parse("kind:llm"))
    assert spans.count == 7
    empty = histogram(store, Scope("other-project", SCOPE.start_ns, SCOPE.end_ns), field_name="duration_ms")
    assert empty.count == 0 and empty.buckets == []


def test_bad_arguments_are_value_errors(store: DuckDBStore) -> None:
    with pytest.raises(ValueError, match="field"):
        histogram(store, SCOPE, field_name="tokens", buckets=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="buckets"):
        histogram(store, SCOPE, field_name="duration_ms", buckets=0)
