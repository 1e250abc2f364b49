"""A small hand-made dataset whose figures are computed by hand in the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spyglass.model.span import ErrorClass, SpanKind, StatusCode
from spyglass.store.base import Feedback
from spyglass.store.duckdb import DuckDBStore
from tests.store.spans import T0, chat, make_span, trace_id

NOW = T0 + 2 * 3600 * 10**9  # the range "last 24h" before NOW covers the whole dataset
MIN = 60_000  # ms


def write_dataset(store: DuckDBStore, project_id: str, name_prefix: str = "") -> None:
    """Four traces (root chain + LLM call) in two hours; see test_metrics for the figures."""
    p = project_id
    spans = []
    plan = [
        # trace, start ms, root ms, model, llm ms, in, out, cost, ttft, extra llm fields
        (1, 0, 1000, "gpt-4o", 800, 100, 10, 0.1, 100.0, {}),
        (2, 1 * MIN, 2000, "gpt-4o", 1500, 200, 20, 0.2, 200.0,
         {"status": StatusCode.ERROR, "error_class": ErrorClass.RATE_LIMIT}),
        (3, 60 * MIN, 3000, "claude", 2500, 300, 30, 0.3, 300.0, {"refusal": True}),
        (4, 61 * MIN + 40_000, 4000, "claude", 100, 400, 40, 0.4, None, {"schema_valid": False}),
    ]  # fmt: skip
    for t, start, root_ms, model, llm_ms, it, ot, cost, ttft, extra in plan:
        spans.append(
            make_span(
                t,
                t * 10,
                None,
                project_id=p,
                start_ms=start,
                duration_ms=root_ms,
                name=f"{name_prefix}handle",
                kind=SpanKind.CHAIN,
                session_id=f"{name_prefix}sess-{1 if t <= 2 else 2}",
                user_id="u1",
                feature="support" if t % 2 else "search",
                attributes={"tier": "gold" if t <= 2 else "free"},
                input_value=f"{name_prefix}question {t}",
                output_value=f"answer {t}",
            )  # fmt: skip
        )
        spans.append(
            make_span(
                t,
                t * 10 + 1,
                t * 10,
                project_id=p,
                start_ms=start + 10,
                duration_ms=llm_ms,
                name=f"{name_prefix}chat",
                request_model=model,
                input_tokens=it,
                output_tokens=ot,
                total_tokens=it + ot,
                cost_total_usd=cost,
                ttft_ms=ttft,
                response_id=f"{p}-resp-{t}",
                attributes={"tier": "gold" if t <= 2 else "free", "n": str(t * 10)},
                **chat(f"{name_prefix}question {t}", f"answer {t}"),
                **extra,
            )  # fmt: skip
        )
    spans.append(
        make_span(
            4,
            42,
            40,
            project_id=p,
            start_ms=61 * MIN + 40_200,
            duration_ms=50,
            name=f"{name_prefix}tool",
            kind=SpanKind.TOOL,
            tool_name="lookup",
            tool_status="error",
            status=StatusCode.ERROR,
            error_class=ErrorClass.TOOL_ERROR,
        )  # fmt: skip
    )
    store.write_batch(spans)
    store.write_feedback(Feedback(p, trace_id=trace_id(1), thumbs="up", created_at_ns=T0))
    store.write_feedback(Feedback(p, trace_id=trace_id(2), thumbs="down", created_at_ns=T0))
    store.write_feedback(Feedback(p, request_id=f"{p}-resp-3", score=0.9, created_at_ns=T0))


@pytest.fixture
def store() -> Iterator[DuckDBStore]:
    s = DuckDBStore(None, threads=1)  # in memory: the same engine, no file I/O per test
    yield s
    s.close()


@pytest.fixture
def dataset(store: DuckDBStore) -> DuckDBStore:
    write_dataset(store, "p1")
    return store
