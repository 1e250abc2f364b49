"""A bare LlmSpan for enricher tests."""

from __future__ import annotations

from typing import Any

from spyglass.model import LlmSpan, SpanKind

T0 = 1_763_000_000_000_000_000


def llm_span(**fields: Any) -> LlmSpan:
    base: dict[str, Any] = {
        "project_id": "p",
        "trace_id": "1" * 32,
        "span_id": "2" * 16,
        "parent_span_id": None,
        "name": "chat",
        "kind": SpanKind.LLM,
        "start_time_ns": T0,
        "end_time_ns": T0 + 2_000_000_000,
    }
    base.update(fields)
    return LlmSpan(**base)
