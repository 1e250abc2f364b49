"""A compact factory of canonical spans for store and query tests."""

from __future__ import annotations

from typing import Any

from spyglass.model.span import LlmSpan, Message, SpanKind, StatusCode

T0 = 1_700_000_000_000_000_000  # ns


def trace_id(n: int) -> str:
    return f"{n:032x}"


def span_id(n: int) -> str:
    return f"{n:016x}"


def make_span(
    trace: int,
    span: int,
    parent: int | None = None,
    *,
    project_id: str = "p1",
    start_ms: float = 0,
    duration_ms: float = 100,
    name: str | None = None,
    kind: SpanKind = SpanKind.LLM,
    **fields: Any,
) -> LlmSpan:
    start = T0 + int(start_ms * 1e6)
    sp = LlmSpan(
        project_id=project_id,
        trace_id=trace_id(trace),
        span_id=span_id(span),
        parent_span_id=span_id(parent) if parent is not None else None,
        name=name or f"span-{span}",
        kind=kind,
        start_time_ns=start,
        end_time_ns=start + int(duration_ms * 1e6),
        status=fields.pop("status", StatusCode.OK),
    )
    for k, v in fields.items():
        setattr(sp, k, v)
    return sp


def chat(user: str, assistant: str) -> dict[str, Any]:
    return {
        "input_messages": [Message(role="system", content="be nice"), Message(role="user", content=user)],
        "output_messages": [Message(role="assistant", content=assistant, finish_reason="stop")],
    }
