"""Lowest-scoring and most-retried requests."""

from __future__ import annotations

import pytest

from spyglass.query.compile import Scope
from spyglass.query.outliers import outliers
from spyglass.store.base import Feedback
from spyglass.store.duckdb import DuckDBStore
from tests.query.ui_spans import MS, T0, request

pytestmark = pytest.mark.integration
SCOPE = Scope("p1", T0, T0 + 3600 * 1000 * MS)


def _tid(n: int) -> str:
    return f"{n:032x}"


@pytest.fixture
def store() -> DuckDBStore:
    s = DuckDBStore(None)
    spans = []
    for n in range(1, 6):
        spans += request(n)
    # trace 5 retried its LLM call twice (three sibling calls with the same name)
    for k in (2, 3):
        retry = request(5)[1]
        retry.span_id = f"{5:012x}000{k}"
        spans.append(retry)
    s.write_batch(spans)
    s.write_feedback(Feedback(project_id="p1", trace_id=_tid(1), thumbs="up"))
    s.write_feedback(Feedback(project_id="p1", trace_id=_tid(2), thumbs="down"))
    s.write_feedback(Feedback(project_id="p1", trace_id=_tid(3), score=0.4))
    s.write_feedback(Feedback(project_id="p1", trace_id=_tid(4), kind="retry"))
    return s


def test_lowest_score_first(store: DuckDBStore) -> None:
    rows = outliers(store, SCOPE, by="lowest_score")
    assert [r["trace_id"] for r in rows] == [_tid(2), _tid(3), _tid(1)]
    assert [r["metric"] for r in rows] == [0.0, 0.4, 1.0]
    assert rows[0]["start_time"].endswith("Z")


def test_most_retried_counts_repeated_calls_and_user_retries(store: DuckDBStore) -> None:
    rows = outliers(store, SCOPE, by="most_retried")
    assert [(r["trace_id"], int(r["metric"])) for r in rows] == [(_tid(5), 2), (_tid(4), 1)]


def test_project_isolation_and_bad_kind(store: DuckDBStore) -> None:
    assert outliers(store, Scope("p2", SCOPE.start_ns, SCOPE.end_ns), by="lowest_score") == []
    with pytest.raises(ValueError):
        outliers(store, SCOPE, by="weirdest")  # type: ignore[arg-type]
