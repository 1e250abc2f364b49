"""Metrics figures checked against values computed by hand on the conftest dataset."""

from __future__ import annotations

import pytest

from spyglass.query.common import QueryParamError
from spyglass.query.metrics import compute_metrics
from spyglass.store.duckdb import DuckDBStore
from tests.query.conftest import NOW

pytestmark = pytest.mark.integration


def test_trace_level_totals(dataset: DuckDBStore) -> None:
    (s,) = compute_metrics(dataset, "p1", now_ns=NOW).series
    assert s.group == {} and s.bucket_start is None
    assert (s.count, s.error_count, s.error_rate) == (4, 2, 0.5)
    assert s.errors_by_class == {"rate_limit": 1, "tool_error": 1}
    assert (s.refusal_count, s.refusal_rate) == (1, 0.25)
    # root durations 1000, 2000, 3000, 4000 ms; continuous quantiles
    assert s.latency_ms == pytest.approx(
        {"p50": 2500, "p90": 3700, "p95": 3850, "p99": 3970, "max": 4000, "mean": 2500}
    )
    # ttft of the first LLM call: 100, 200, 300 (trace 4 has none)
    assert s.ttft_ms == pytest.approx(
        {"p50": 200, "p90": 280, "p95": 290, "p99": 298, "max": 300, "mean": 200}
    )
    assert s.tokens == pytest.approx(
        {"input": 1000, "output": 100, "cache_read": 0, "total": 1100, "mean_per_request": 275}
    )
    assert s.cost_usd == pytest.approx({"sum": 1.0, "mean": 0.25, "p95": 0.385})
    assert s.feedback == {"count": 3, "positive": 2, "negative": 1, "mean_score": pytest.approx(0.9)}
    assert (s.schema_failure_count, s.tool_error_count) == (1, 1)


def test_trace_level_group_by_model(dataset: DuckDBStore) -> None:
    series = {
        s.group["model"]: s for s in compute_metrics(dataset, "p1", group_by="model", now_ns=NOW).series
    }
    assert set(series) == {"gpt-4o", "claude"}
    gpt, claude = series["gpt-4o"], series["claude"]
    assert (gpt.count, gpt.error_count, gpt.errors_by_class) == (2, 1, {"rate_limit": 1})
    assert gpt.latency_ms["p50"] == pytest.approx(1500)
    assert (claude.count, claude.refusal_count, claude.errors_by_class) == (2, 1, {"tool_error": 1})
    assert claude.cost_usd["sum"] == pytest.approx(0.7)


def test_span_level_llm_latency_by_model(dataset: DuckDBStore) -> None:
    result = compute_metrics(dataset, "p1", level="span", q="kind:llm", group_by=["model"], now_ns=NOW)
    series = {s.group["model"]: s for s in result.series}
    assert series["gpt-4o"].latency_ms["p50"] == pytest.approx(1150)  # 800, 1500
    assert series["claude"].latency_ms["max"] == pytest.approx(2500)  # 2500, 100
    assert series["gpt-4o"].error_count == 1 and series["claude"].error_count == 0
    assert series["claude"].schema_failure_count == 1
    # feedback by request id at span level: only resp-3 (claude) carries a request id
    assert series["claude"].feedback["count"] == 1 and series["gpt-4o"].feedback["count"] == 0


def test_group_by_attribute_and_hour_buckets(dataset: DuckDBStore) -> None:
    result = compute_metrics(dataset, "p1", group_by="attr.tier", bucket="1h", now_ns=NOW)
    got = {(s.group["attr.tier"], s.bucket_start): s.count for s in result.series}
    # traces 1,2 (gold) start in one hour, 3,4 (free) in the next; attributes come from the root
    assert len(got) == 2 and sorted(got.values()) == [2, 2]
    buckets = sorted(s.bucket_start_ns for s in result.series if s.bucket_start_ns is not None)
    assert buckets[1] - buckets[0] == 3600 * 10**9


def test_filter_applies(dataset: DuckDBStore) -> None:
    (s,) = compute_metrics(dataset, "p1", q="feature:support", now_ns=NOW).series
    assert s.count == 2  # traces 1 and 3


def test_empty_range_gives_no_series(dataset: DuckDBStore) -> None:
    assert compute_metrics(dataset, "p1", start=1, end=2).series == []


@pytest.mark.parametrize(
    "kwargs",
    [{"level": "row"}, {"bucket": "7m"}, {"group_by": "colour"}, {"group_by": "a,b,c,d,e"}],
)
def test_bad_parameters(dataset: DuckDBStore, kwargs: dict[str, str]) -> None:
    with pytest.raises(QueryParamError):
        compute_metrics(dataset, "p1", now_ns=NOW, **kwargs)  # type: ignore[arg-type]
