"""Trace list filters, sorts and cursor paging; span search; sessions; export."""

from __future__ import annotations

import pytest

from spyglass.model.span import StatusCode
from spyglass.query.common import QueryParamError
from spyglass.query.export import iter_export
from spyglass.query.filters import FilterError
from spyglass.query.sessions import get_session, list_sessions
from spyglass.query.spans import search_spans
from spyglass.query.traces import get_trace, list_traces
from spyglass.store.duckdb import DuckDBStore
from tests.query.conftest import NOW
from tests.store.spans import T0, make_span, trace_id

pytestmark = pytest.mark.integration


def ids(page_items: list) -> list[int]:  # type: ignore[type-arg]
    return [int(t.trace_id, 16) for t in page_items]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", [4, 3, 2, 1]),
        ("model:GPT*", [2, 1]),
        ("model:claude", [4, 3]),
        ("-model:claude", [2, 1]),
        ("status:error", [4, 2]),
        ("error:rate_limit", [2]),
        ("latency_ms>2500", [4, 3]),
        ("duration_ms<=1000 OR refusal:true", [3, 1]),
        ("attr.tier:gold", [2, 1]),
        ("attr.n>25", [4, 3]),
        ("feature:support", [3, 1]),
        ('"question 3"', [3]),
        ("QUESTION", [4, 3, 2, 1]),
        ("tool:lookup", [4]),
        ("has:tool", [4]),
        ("-has:tool", [3, 2, 1]),
        ("schema_valid:false", [4]),
        ("cost>=0.3", [4, 3]),
        ("model:(gpt-4o OR claude) -feature:search", [3, 1]),
        ("session:sess-1", [2, 1]),
        ("name:handle", [4, 3, 2, 1]),
        ("name:chat", []),  # trace-level name is the root's
        ("kind:tool OR kind:chain", [4, 3, 2, 1]),
        (f"trace_id:{trace_id(3).upper()}", [3]),
    ],
)
def test_trace_filters(dataset: DuckDBStore, q: str, expected: list[int]) -> None:
    assert ids(list_traces(dataset, "p1", q=q, now_ns=NOW).items) == expected


def test_time_range_bounds(dataset: DuckDBStore) -> None:
    assert ids(list_traces(dataset, "p1", start=T0 + 1, end=T0 + 3600 * 10**9, now_ns=NOW).items) == [2]


def test_bad_input_raises_clear_errors(dataset: DuckDBStore) -> None:
    with pytest.raises(FilterError, match="did you mean 'model'"):
        list_traces(dataset, "p1", q="modle:x", now_ns=NOW)
    with pytest.raises(QueryParamError, match="unknown sort"):
        list_traces(dataset, "p1", sort="-colour", now_ns=NOW)
    with pytest.raises(QueryParamError, match="limit"):
        list_traces(dataset, "p1", limit=0, now_ns=NOW)
    with pytest.raises(QueryParamError, match="invalid cursor"):
        list_traces(dataset, "p1", cursor="garbage!", now_ns=NOW)
    page = list_traces(dataset, "p1", limit=1, now_ns=NOW)
    with pytest.raises(QueryParamError, match="another sort"):
        list_traces(dataset, "p1", limit=1, sort="-cost_usd", cursor=page.next_cursor, now_ns=NOW)


@pytest.fixture
def many(store: DuckDBStore) -> DuckDBStore:
    spans = []
    for t in range(1, 58):  # start times collide in pairs, durations and costs collide too
        spans.append(make_span(t, t, start_ms=(t // 2) * 1000, duration_ms=100 * (t % 5),
                               cost_total_usd=None if t % 7 == 0 else (t % 3) * 0.1, session_id=f"s{t % 9}",
                               status=StatusCode.OK))  # fmt: skip
        spans.append(
            make_span(t, 1000 + t, t, start_ms=(t // 2) * 1000 + 1, ttft_ms=float(t % 4) if t % 2 else None)
        )
    store.write_batch(spans)
    return store


@pytest.mark.parametrize(
    "sort",
    ["-start_time", "start_time", "-duration_ms", "duration_ms", "-cost_usd", "-total_tokens", "-span_count"],
)
def test_cursor_paging_has_no_gaps_or_duplicates(many: DuckDBStore, sort: str) -> None:
    full = ids(list_traces(many, "p1", sort=sort, limit=500, now_ns=NOW).items)
    assert len(full) == 57
    paged: list[int] = []
    cursor = None
    while True:
        page = list_traces(many, "p1", sort=sort, limit=10, cursor=cursor, now_ns=NOW)
        paged.extend(ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == full


@pytest.mark.parametrize("sort", ["-start_time", "-ttft_ms", "duration_ms"])
def test_span_search_paging(many: DuckDBStore, sort: str) -> None:
    full = search_spans(many, "p1", sort=sort, limit=500, now_ns=NOW).items
    assert len(full) == 114
    keys, cursor = [], None
    while True:
        page = search_spans(many, "p1", sort=sort, limit=7, cursor=cursor, now_ns=NOW)
        keys.extend((s["trace_id"], s["span_id"]) for s in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert keys == [(s["trace_id"], s["span_id"]) for s in full]


def test_span_search_filters_at_span_level(dataset: DuckDBStore) -> None:
    items = search_spans(dataset, "p1", q="name:chat model:claude", now_ns=NOW).items
    assert [(s["name"], s["request_model"]) for s in items] == [("chat", "claude")] * 2
    assert items[0]["input_preview"] == "question 4" and "input_messages" not in items[0]


def test_sessions_list_paging_and_turns(many: DuckDBStore) -> None:
    full = [s.session_id for s in list_sessions(many, "p1", limit=500, now_ns=NOW).items]
    assert sorted(full) == [f"s{i}" for i in range(9)]
    paged, cursor = [], None
    while True:
        page = list_sessions(many, "p1", limit=4, cursor=cursor, now_ns=NOW)
        paged.extend(s.session_id for s in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == full


def test_session_turns_in_order(dataset: DuckDBStore) -> None:
    (one, two) = sorted(list_sessions(dataset, "p1", now_ns=NOW).items, key=lambda s: s.session_id)
    assert (one.session_id, one.trace_count, one.error_count, one.user_id) == ("sess-1", 2, 1, "u1")
    assert one.total_cost_usd == pytest.approx(0.3)
    detail = get_session(dataset, "p1", "sess-2")
    assert detail is not None
    assert [(t.user_input, t.assistant_output) for t in detail.turns] == [
        ("question 3", "answer 3"),
        ("question 4", "answer 4"),
    ]
    assert get_session(dataset, "p1", "nope") is None


def test_export_streams_every_matching_trace_with_spans(dataset: DuckDBStore) -> None:
    rows = list(iter_export(dataset, "p1", now_ns=NOW, page_size=3))
    assert [int(r["trace_id"], 16) for r in rows] == [1, 2, 3, 4]
    assert [s["name"] for s in rows[3]["spans"]] == ["handle", "chat", "tool"]
    assert rows[0]["feedback"][0]["thumbs"] == "up"
    assert [int(r["trace_id"], 16) for r in iter_export(dataset, "p1", q="model:claude", now_ns=NOW)] == [
        3,
        4,
    ]
    with pytest.raises(FilterError):
        iter_export(dataset, "p1", q="bogus:1", now_ns=NOW)


def test_detail_of_unknown_trace_is_none(dataset: DuckDBStore) -> None:
    assert get_trace(dataset, "p1", trace_id(99)) is None
    detail = get_trace(dataset, "p1", trace_id(3).upper())
    assert detail is not None and detail.feedback[0]["score"] == 0.9


@pytest.mark.parametrize("sort", ["-start_time", "start_time"])
@pytest.mark.parametrize("q", ["status:ok", "-span_id:ffff*", "kind:llm"])
def test_filtered_time_sorted_paging_across_time_slices(many: DuckDBStore, sort: str, q: str) -> None:
    # a 40 s range: the page is filled slice by slice (0.8 s, 1.6 s, …)
    rng = {"start": T0, "end": T0 + 40 * 10**9}
    full = ids(list_traces(many, "p1", sort=sort, limit=500, **rng).items)  # type: ignore[arg-type]
    unfiltered = ids(list_traces(many, "p1", q=None, sort=sort, limit=500, **rng).items)  # type: ignore[arg-type]
    assert full == unfiltered and len(full) == 57
    paged, cursor = [], None
    while True:
        page = list_traces(many, "p1", q=q, sort=sort, limit=6, cursor=cursor, **rng)  # type: ignore[arg-type]
        paged.extend(ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == full
    spans_paged, cursor = [], None
    while True:
        spage = search_spans(many, "p1", q="kind:llm", sort=sort, limit=9, cursor=cursor, **rng)  # type: ignore[arg-type]
        spans_paged.extend((s["trace_id"], s["span_id"]) for s in spage.items)
        cursor = spage.next_cursor
        if cursor is None:
            break
    expected = [
        (s["trace_id"], s["span_id"]) for s in search_spans(many, "p1", sort=sort, limit=500, **rng).items
    ]  # type: ignore[arg-type]
    assert spans_paged == expected and len(expected) == 114
