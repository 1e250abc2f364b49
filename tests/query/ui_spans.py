"""Tiny span builders for the UI-backing queries (histogram, compare, outliers) tests."""

from __future__ import annotations

from spyglass.model.span import LlmSpan, SpanKind, StatusCode

T0 = 1_790_000_000 * 10**9
MS = 10**6


def request(
    n: int,
    *,
    project: str = "p1",
    duration_ms: float = 100.0,
    cost: float | None = 0.01,
    error: bool = False,
    prompt_version: str | None = None,
    model: str = "gpt-4o",
    start_ms: int | None = None,
    ttft_ms: float | None = None,
) -> list[LlmSpan]:
    """Trace ``n``: a root chain span and one LLM child lasting ``duration_ms``."""
    tid = f"{n:032x}"
    start = T0 + (start_ms if start_ms is not None else n * 1000) * MS
    end = start + int(duration_ms * MS)
    status = StatusCode.ERROR if error else StatusCode.OK
    root = LlmSpan(
        project_id=project,
        trace_id=tid,
        span_id=f"{n:012x}0000",
        parent_span_id=None,
        name="handle",
        kind=SpanKind.CHAIN,
        start_time_ns=start,
        end_time_ns=end,
        status=status,
    )
    llm = LlmSpan(
        project_id=project,
        trace_id=tid,
        span_id=f"{n:012x}0001",
        parent_span_id=root.span_id,
        name="chat",
        kind=SpanKind.LLM,
        start_time_ns=start,
        end_time_ns=end,
        status=status,
        request_model=model,
        response_model=model + "-2024",
        cost_total_usd=cost,
        prompt_name="answer",
        prompt_version=prompt_version,
        ttft_ms=ttft_ms,
        input_tokens=100,
        output_tokens=10,
        total_tokens=110,
    )
    return [root, llm]
