"""DuckDBStore: round trip of every canonical field, idempotent re-sends, trace assembly
across batches/services with late and early children, and rollup figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from spyglass.model.span import (
    ErrorClass,
    LlmSpan,
    Message,
    RetrievedDocument,
    SpanEvent,
    SpanKind,
    StatusCode,
    ToolCall,
)
from spyglass.query.traces import get_trace, list_traces
from spyglass.store.base import Feedback, SpanStore
from spyglass.store.duckdb import DuckDBStore
from tests.store.spans import T0, chat, make_span, trace_id

pytestmark = pytest.mark.integration

NOW = T0 + 3600 * 10**9


@pytest.fixture
def store(tmp_path: Path) -> SpanStore:
    s = DuckDBStore(tmp_path)
    yield s
    s.close()


def full_span() -> LlmSpan:
    return LlmSpan(
        project_id="p1", trace_id=trace_id(7), span_id="00000000000000aa", parent_span_id=None,
        name="chat gpt-4o", kind=SpanKind.LLM, start_time_ns=T0, end_time_ns=T0 + 1_500_000_000,
        status=StatusCode.ERROR, status_message="boom", error_type="RateLimitError",
        error_class=ErrorClass.RATE_LIMIT, provider="openai", operation="chat", request_model="gpt-4o",
        response_model="gpt-4o-2024-08-06", response_id="chatcmpl-1",
        settings={"temperature": 0.2, "max_tokens": 10, "stop": ["\n"]}, system_instructions="be brief",
        input_messages=[Message("user", "hello", parts=[{"type": "text", "content": "hello"}])],
        output_messages=[Message("assistant", None, tool_calls=[ToolCall("c1", "lookup", '{"q": 1}')], finish_reason="tool_call")],
        tool_calls=[ToolCall("c1", "lookup", '{"q": 1}')], finish_reason="tool_call", is_stream=True, ttft_ms=12.5,
        output_json_schema={"type": "object"}, input_tokens=100, output_tokens=20, cache_read_tokens=30,
        cache_write_tokens=5, reasoning_tokens=7, total_tokens=120, cost_input_usd=0.001, cost_output_usd=0.002,
        cost_total_usd=0.003, refusal=True, schema_valid=False, prompt_name="support", prompt_version="v3",
        prompt_template="Hi {name}", prompt_variables={"name": "Ann"}, session_id="s1", user_id="u1",
        tenant_id="acme", feature="support", environment="prod", release="1.2.3", service_name="bot",
        tags=["a", "b"], metadata={"customer": "c9", "n": 3}, input_value="in", output_value="out",
        retrieval_query="q?", retrieval_documents=[RetrievedDocument("d1", "text", 0.9, {"src": "kb"})],
        index_version="idx-1", tool_name="lookup", tool_call_id="c1", tool_arguments='{"q": 1}',
        tool_result="42", tool_status="error", guardrail_decision="block", guardrail_rule="pii",
        agent_name="helper", attributes={"gen_ai.request.model": "gpt-4o", "n": 1, "f": 0.5, "b": True, "l": [1, 2]},
        resource_attributes={"service.name": "bot"}, scope_name="openai.instr",
        events=[SpanEvent("exception", T0 + 5, {"exception.type": "RateLimitError"})],
    )  # fmt: skip


def test_round_trip_of_every_canonical_field(store: SpanStore) -> None:
    span = full_span()
    stats = store.write_batch([span])
    assert (stats.received, stats.inserted, stats.duplicates) == (1, 1, 0)
    detail = get_trace(store, "p1", span.trace_id)
    assert detail is not None
    (got,) = detail.spans
    expected = dataclasses.asdict(span)
    for name, value in expected.items():
        if isinstance(value, ErrorClass | SpanKind | StatusCode):
            value = value.value
        assert got[name] == value, name
    assert got["depth"] == 0
    assert got["duration_ms"] == 1500.0
    assert got["start_time"].startswith("2023-11-14T22:13:20")


def test_resent_spans_are_deduplicated_not_double_counted(store: SpanStore) -> None:
    batch = [
        # the root is not an LLM span: an LLM span over LLM spans would be their wrapper
        make_span(1, 1, name="root", kind=SpanKind.CHAIN, input_tokens=10, cost_total_usd=1.0),
        make_span(1, 2, 1, input_tokens=5),
    ]
    assert store.write_batch(batch).inserted == 2
    again = store.write_batch(
        [*batch, make_span(1, 2, 1, input_tokens=5), make_span(1, 3, 1, input_tokens=1)]
    )
    assert (again.received, again.inserted, again.duplicates) == (4, 1, 3)
    assert store.query("SELECT count(*) AS n FROM spans")[0]["n"] == 3
    assert store.query("SELECT count(*) AS n FROM span_payloads")[0]["n"] == 3
    (t,) = list_traces(store, "p1", now_ns=NOW).items
    assert (t.span_count, t.input_tokens, t.cost_usd) == (3, 16, 1.0)


def test_duplicates_within_one_batch_count_once(store: SpanStore) -> None:
    stats = store.write_batch([make_span(1, 1), make_span(1, 1), make_span(1, 2, 1)])
    assert (stats.inserted, stats.duplicates) == (2, 1)


def test_same_ids_in_another_project_are_distinct(store: SpanStore) -> None:
    store.write_batch([make_span(1, 1, project_id="a"), make_span(1, 1, project_id="b")])
    assert store.query("SELECT count(*) AS n FROM traces")[0]["n"] == 2


def test_child_before_parent_then_root_takes_over(store: SpanStore) -> None:
    store.write_batch(
        [make_span(1, 2, 1, start_ms=10, name="child llm", **chat("child question", "child answer"))]
    )
    (t,) = list_traces(store, "p1", now_ns=NOW).items
    assert (
        t.name == "child llm" and t.input_preview == "child question"
    )  # earliest span until the root arrives
    store.write_batch(
        [make_span(1, 1, None, start_ms=0, duration_ms=1000, name="workflow", input_value="root input")]
    )
    (t,) = list_traces(store, "p1", now_ns=NOW).items
    assert (t.name, t.input_preview, t.span_count, t.duration_ms) == ("workflow", "root input", 2, 1000.0)
    assert t.root_span_id == "0000000000000001"


def test_late_child_never_overwrites_root_name_or_input(store: SpanStore) -> None:
    store.write_batch([make_span(1, 1, None, name="workflow", input_value="root input", duration_ms=500)])
    # a late child that starts earlier (clock skew) and carries its own input
    store.write_batch(
        [make_span(1, 9, 1, start_ms=-50, name="late child", **chat("other", "x"), session_id="s-late")]
    )
    (t,) = list_traces(store, "p1", now_ns=NOW, start=T0 - 10**9).items
    assert (t.name, t.input_preview, t.span_count) == ("workflow", "root input", 2)
    assert t.session_id == "s-late"  # context dims fall back to the first span carrying them
    assert t.start_time_ns == T0 - 50_000_000


def test_trace_spread_over_batches_and_services(store: SpanStore) -> None:
    store.write_batch(
        [
            make_span(
                1,
                1,
                None,
                name="gateway",
                kind=SpanKind.CHAIN,
                service_name="gw",
                duration_ms=900,
                tenant_id="acme",
            )
        ]
    )
    store.write_batch([make_span(2, 5, None, name="other trace")])
    store.write_batch(
        [
            make_span(1, 2, 1, start_ms=100, service_name="bot", request_model="gpt-4o", input_tokens=10, output_tokens=2, cost_total_usd=0.5),
            make_span(1, 3, 2, start_ms=150, service_name="tools", kind=SpanKind.TOOL, tool_name="t", tool_status="error", status=StatusCode.ERROR, error_class=ErrorClass.TOOL_ERROR),
        ]
    )  # fmt: skip
    store.write_batch([make_span(1, 4, 1, start_ms=300, service_name="bot", request_model="claude", response_model="claude-x", input_tokens=1, output_tokens=1, cost_total_usd=0.25, ttft_ms=9.0)])  # fmt: skip
    detail = get_trace(store, "p1", trace_id(1))
    assert detail is not None
    s = detail.summary
    assert (s.name, s.span_count, s.llm_call_count, s.status, s.error_class) == (
        "gateway",
        4,
        2,
        "error",
        "tool_error",
    )
    assert (s.input_tokens, s.output_tokens, s.total_tokens, s.cost_usd) == (11, 3, 14, 0.75)
    assert s.models == ["claude", "gpt-4o"] and s.response_models == ["claude-x"]
    assert (s.service_name, s.tenant_id, s.ttft_ms) == ("gw", "acme", 9.0)
    rows = store.query(
        "SELECT services, tool_error_count FROM traces WHERE trace_id = $t", {"t": trace_id(1)}
    )
    assert rows[0]["services"] == ["bot", "gw", "tools"] and rows[0]["tool_error_count"] == 1


def test_tree_order_depth_first_siblings_by_start_orphans_as_roots(store: SpanStore) -> None:
    store.write_batch(
        [
            make_span(1, 1, None, start_ms=0, name="root"),
            make_span(1, 3, 1, start_ms=50, name="b"),
            make_span(1, 2, 1, start_ms=10, name="a"),
            make_span(1, 4, 2, start_ms=20, name="a.1"),
            make_span(1, 6, 99, start_ms=5, name="orphan"),
            make_span(1, 5, 3, start_ms=60, name="b.1"),
        ]
    )
    detail = get_trace(store, "p1", trace_id(1))
    assert detail is not None
    assert [(s["name"], s["depth"]) for s in detail.spans] == [
        ("root", 0), ("a", 1), ("a.1", 2), ("b", 1), ("b.1", 2), ("orphan", 0),
    ]  # fmt: skip
    assert detail.summary.name == "root"


def test_feedback_attached_by_trace_or_request_id(store: SpanStore) -> None:
    store.write_batch([make_span(1, 1, response_id="resp-1")])
    store.write_feedback(
        Feedback("p1", trace_id=trace_id(1), thumbs="up", comment="nice", created_at_ns=T0 + 1)
    )
    store.write_feedback(
        Feedback("p1", request_id="resp-1", score=0.2, kind="correction", created_at_ns=T0 + 2)
    )
    store.write_feedback(Feedback("p2", trace_id=trace_id(1), thumbs="down"))  # other project
    detail = get_trace(store, "p1", trace_id(1))
    assert detail is not None
    assert [(f["thumbs"], f["score"], f["comment"]) for f in detail.feedback] == [
        ("up", None, "nice"),
        (None, 0.2, None),
    ]
    assert detail.feedback[0]["created_at"].startswith("2023-11-14T22:13:20")


def test_failed_batch_stores_nothing(store: SpanStore) -> None:
    good = make_span(1, 1)
    bad = make_span(1, 2, 1)
    bad.input_tokens = "not a number"  # type: ignore[assignment]
    with pytest.raises(Exception):  # noqa: B017 - arrow or the store refuses it; nothing is written
        store.write_batch([good, bad])
    assert store.query("SELECT count(*) AS n FROM spans")[0]["n"] == 0
    assert store.write_batch([good]).inserted == 1


def test_data_survives_reopen(tmp_path: Path) -> None:
    s = DuckDBStore(tmp_path)
    s.write_batch([make_span(1, 1, name="kept")])
    s.close()
    s2 = DuckDBStore(tmp_path)
    assert [t.name for t in list_traces(s2, "p1", now_ns=NOW).items] == ["kept"]
    s2.close()
