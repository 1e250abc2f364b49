"""One provider call described by two nested LLM spans (a framework's over a provider
SDK's) is one call everywhere a number is shown: metrics at both levels, the histogram,
compare and the alert measures; the filter ``counted:false`` finds the wrappers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spyglass.alerts.queries import AlertQueries
from spyglass.alerts.rules import parse_rule
from spyglass.model.span import LlmSpan, SpanKind, StatusCode
from spyglass.query.common import make_scope
from spyglass.query.compare import compare
from spyglass.query.filters import parse
from spyglass.query.histogram import histogram
from spyglass.query.metrics import compute_metrics
from spyglass.query.spans import search_spans
from spyglass.store.duckdb import DuckDBStore
from tests.store.spans import T0, make_span

pytestmark = pytest.mark.integration

NOW = T0 + 3600 * 10**9
LO, HI = T0 - 10**9, T0 + 600 * 10**9


def one_nested_call(trace: int, start_ms: float = 0) -> list[LlmSpan]:
    """agent -> ChatOpenAI (wrapper, 1 s) -> chat gpt-4o-mini (the call, 0.8 s)."""
    return [
        make_span(trace, 1, None, start_ms=start_ms, duration_ms=1500, name="agent", kind=SpanKind.AGENT,
                  feature="support", release="r1"),
        make_span(trace, 2, 1, start_ms=start_ms + 10, duration_ms=1000, name="ChatOpenAI",
                  request_model="gpt-4o-mini", provider="openai", input_tokens=100, output_tokens=20,
                  total_tokens=120, cost_total_usd=0.02, ttft_ms=400.0, feature="support", release="r1"),
        make_span(trace, 3, 2, start_ms=start_ms + 20, duration_ms=800, name="chat gpt-4o-mini",
                  request_model="gpt-4o-mini", provider="openai", input_tokens=100, output_tokens=20,
                  total_tokens=120, cost_total_usd=0.02, ttft_ms=300.0, feature="support", release="r1"),
    ]  # fmt: skip


def two_sibling_calls(trace: int, start_ms: float = 0) -> list[LlmSpan]:
    return [
        make_span(trace, 1, None, start_ms=start_ms, duration_ms=1500, kind=SpanKind.AGENT,
                  feature="support", release="r2"),
        *(
            make_span(trace, 1 + k, 1, start_ms=start_ms + 10 + 500 * k, duration_ms=400,
                      request_model="gpt-4o-mini", provider="openai", input_tokens=100, output_tokens=20,
                      total_tokens=120, cost_total_usd=0.02, feature="support", release="r2")
            for k in (1, 2)
        ),
    ]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore(tmp_path)
    yield s
    s.close()


def test_span_level_metrics_count_the_call_once(store: DuckDBStore) -> None:
    store.write_batch(one_nested_call(1))
    (s,) = compute_metrics(store, "p1", level="span", q="kind:llm", now_ns=NOW).series
    assert s.count == 1
    assert (s.tokens["input"], s.tokens["total"], s.cost_usd["sum"]) == (100, 120, pytest.approx(0.02))
    assert s.latency_ms["max"] == pytest.approx(800.0)  # the wrapper's 1000 ms is not a call
    assert s.ttft_ms["max"] == pytest.approx(300.0)
    (by_model,) = compute_metrics(
        store, "p1", level="span", group_by="model", q="kind:llm", now_ns=NOW
    ).series
    assert by_model.group == {"model": "gpt-4o-mini"} and by_model.count == 1
    (t,) = compute_metrics(store, "p1", level="trace", now_ns=NOW).series
    assert t.count == 1 and t.cost_usd["sum"] == pytest.approx(0.02) and t.tokens["total"] == 120


def test_the_filter_can_select_the_wrappers(store: DuckDBStore) -> None:
    store.write_batch(one_nested_call(1))
    (w,) = compute_metrics(store, "p1", level="span", q="kind:llm counted:false", now_ns=NOW).series
    assert w.count == 1 and w.latency_ms["max"] == pytest.approx(1000.0)
    (both,) = compute_metrics(store, "p1", level="span", q="kind:llm (counted:true OR counted:false)",
                              now_ns=NOW).series  # fmt: skip
    assert both.count == 2
    page = search_spans(store, "p1", q="counted:false", now_ns=NOW)  # the span list shows every span
    assert [(r["name"], r["counted"]) for r in page.items] == [("ChatOpenAI", False)]
    assert len(search_spans(store, "p1", now_ns=NOW).items) == 3
    traces = compute_metrics(store, "p1", level="trace", q="counted:false", now_ns=NOW).series
    assert traces[0].count == 1  # traces holding a wrapper


def test_siblings_under_an_agent_still_count_two(store: DuckDBStore) -> None:
    store.write_batch(two_sibling_calls(1))
    (s,) = compute_metrics(store, "p1", level="span", q="kind:llm", now_ns=NOW).series
    assert s.count == 2 and s.cost_usd["sum"] == pytest.approx(0.04)


def test_histogram_at_span_level_counts_the_call_once(store: DuckDBStore) -> None:
    store.write_batch(one_nested_call(1))
    scope = make_scope("p1", None, None, NOW)
    h = histogram(store, scope, field_name="duration_ms", level="span", node=parse("kind:llm"))
    assert h.count == 1 and h.max == pytest.approx(800.0)


def test_compare_reads_one_call_per_request(store: DuckDBStore) -> None:
    for i in range(4):
        store.write_batch(one_nested_call(10 + i, start_ms=i * 2000))
        store.write_batch(two_sibling_calls(20 + i, start_ms=i * 2000))
    scope = make_scope("p1", None, None, NOW)
    c = compare(store, scope, dimension="release", a="r1", b="r2")
    cost = next(m for m in c.metrics if m.key == "cost_mean")
    tokens = next(m for m in c.metrics if m.key == "tokens_mean")
    assert (c.n_a, c.n_b) == (4, 4)
    assert (cost.a, cost.b) == (pytest.approx(0.02), pytest.approx(0.04))
    assert (tokens.a, tokens.b) == (120, 240)


@pytest.mark.parametrize(
    ("metric", "filter_", "expected"),
    [
        ("llm_calls", "", 1),
        ("spend", "", 0.02),
        ("llm_latency", "", 800.0),
        ("ttft", "", 300.0),
        ("cost_per_request", "", 0.02),  # from the traces rollup
        ("cost_per_request", "feature:support", 0.02),  # re-aggregated from spans
        ("tokens_per_request", "feature:support", 120),
        ("llm_calls", "counted:false", 1),  # the wrappers, when asked for
    ],
)
def test_alert_measures_count_the_call_once(
    store: DuckDBStore, metric: str, filter_: str, expected: float
) -> None:
    # the child first, then its wrapper and the agent in a later request
    spans = one_nested_call(1)
    store.write_batch([spans[2]])
    store.write_batch(spans[:2])
    rule = parse_rule(
        {"name": "x", "metric": metric, "window": "10m", "filter": filter_, "quantile": 0.5,
         "condition": {"kind": "threshold", "value": 1}}
    )  # fmt: skip
    (row,) = AlertQueries(store).grouped_values(rule, "p1", LO, HI)
    assert row["value"] == pytest.approx(expected)


def test_alert_error_rate_counts_a_failed_call_once(store: DuckDBStore) -> None:
    spans = one_nested_call(1)
    for s in spans[1:]:
        s.status = StatusCode.ERROR
    store.write_batch(spans)
    store.write_batch(two_sibling_calls(2))
    rule = parse_rule({"name": "x", "metric": "error_rate", "window": "10m",
                       "condition": {"kind": "threshold", "value": 1}})  # fmt: skip
    (row,) = AlertQueries(store).grouped_values(rule, "p1", LO, HI)
    assert (row["n"], row["value"]) == (3, pytest.approx(1 / 3))
