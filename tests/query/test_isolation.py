"""Project isolation: project A never sees project B's rows, in every query family, even
when both projects use the same trace ids."""

from __future__ import annotations

import pytest

from spyglass.query.export import iter_export
from spyglass.query.metrics import compute_metrics
from spyglass.query.sessions import get_session, list_sessions
from spyglass.query.spans import search_spans
from spyglass.query.traces import get_trace, list_traces
from spyglass.store.duckdb import DuckDBStore
from tests.query.conftest import NOW, write_dataset
from tests.store.spans import trace_id

pytestmark = pytest.mark.integration


@pytest.fixture
def two_projects(store: DuckDBStore) -> DuckDBStore:
    write_dataset(store, "a")
    write_dataset(store, "b", name_prefix="SECRET-")  # same trace and span ids
    return store


def no_secret(obj: object) -> bool:
    return "SECRET" not in repr(obj) and "b-resp" not in repr(obj)


def test_traces(two_projects: DuckDBStore) -> None:
    page = list_traces(two_projects, "a", now_ns=NOW)
    assert len(page.items) == 4 and no_secret(page)
    assert list_traces(two_projects, "a", q="SECRET", now_ns=NOW).items == []
    detail = get_trace(two_projects, "a", trace_id(4))
    assert detail is not None and len(detail.spans) == 3 and no_secret(detail)
    assert len(detail.feedback) == 0 and no_secret(get_trace(two_projects, "a", trace_id(1)))
    assert get_trace(two_projects, "c", trace_id(1)) is None


def test_spans(two_projects: DuckDBStore) -> None:
    page = search_spans(two_projects, "a", limit=500, now_ns=NOW)
    assert len(page.items) == 9 and no_secret(page)


def test_metrics(two_projects: DuckDBStore) -> None:
    (s,) = compute_metrics(two_projects, "a", now_ns=NOW).series
    assert (s.count, s.feedback["count"]) == (4, 3)
    span_series = compute_metrics(two_projects, "a", level="span", group_by="name", now_ns=NOW).series
    assert sum(x.count for x in span_series) == 9 and no_secret(span_series)
    assert compute_metrics(two_projects, "c", now_ns=NOW).series == []


def test_sessions(two_projects: DuckDBStore) -> None:
    page = list_sessions(two_projects, "a", now_ns=NOW)
    assert len(page.items) == 2 and no_secret(page)
    assert get_session(two_projects, "a", "SECRET-sess-1") is None
    detail = get_session(two_projects, "a", "sess-1")
    assert detail is not None and len(detail.turns) == 2 and no_secret(detail)


def test_export(two_projects: DuckDBStore) -> None:
    rows = list(iter_export(two_projects, "a", now_ns=NOW))
    assert len(rows) == 4 and sum(len(r["spans"]) for r in rows) == 9 and no_secret(rows)
