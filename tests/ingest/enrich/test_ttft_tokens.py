"""TTFT sources and bounds; total tokens."""

from __future__ import annotations

import pytest

from spyglass.ingest.enrich.tokens import TokenUsageEnricher
from spyglass.ingest.enrich.ttft import TtftEnricher
from spyglass.model import SpanEvent
from tests.ingest.enrich._spans import T0, llm_span

pytestmark = pytest.mark.unit


def _ttft(**fields):  # type: ignore[no-untyped-def]
    span = llm_span(**fields)
    e = TtftEnricher()
    if e.matches(span):
        e.apply(span)
    return span.ttft_ms


def test_time_to_first_chunk_seconds() -> None:
    assert _ttft(attributes={"gen_ai.response.time_to_first_chunk": 0.3}) == pytest.approx(300.0)


def test_first_chunk_event_earliest_wins() -> None:
    events = [
        SpanEvent("gen_ai.content.completion.chunk", T0 + 400_000_000),
        SpanEvent("gen_ai.content.completion.chunk", T0 + 150_000_000),
    ]
    assert _ttft(events=events) == pytest.approx(150.0)
    assert _ttft(events=[SpanEvent("First Token Stream Event", T0 + 80_000_000)]) == pytest.approx(80.0)


def test_ttft_must_fit_in_the_span() -> None:
    assert _ttft(attributes={"gen_ai.response.time_to_first_chunk": 5.0}) is None  # span lasts 2 s
    assert _ttft(events=[SpanEvent("First Token Stream Event", T0 - 1)]) is None
    assert _ttft(events=[SpanEvent("other", T0 + 5)]) is None


def test_explicit_ttft_is_kept() -> None:
    assert _ttft(ttft_ms=42.0, attributes={"gen_ai.response.time_to_first_chunk": 0.3}) == 42.0


def _usage(**fields):  # type: ignore[no-untyped-def]
    span = llm_span(**fields)
    e = TokenUsageEnricher()
    if e.matches(span):
        e.apply(span)
    return span


def test_total_tokens() -> None:
    assert _usage(input_tokens=10, output_tokens=5).total_tokens == 15
    assert _usage(input_tokens=1, total_tokens=99).total_tokens == 99
    assert _usage().total_tokens is None


def test_inclusive_usage_is_left_alone() -> None:
    span = _usage(input_tokens=1000, cache_read_tokens=800, output_tokens=100, reasoning_tokens=60)
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (1000, 100, 1100)


def test_exclusive_usage_is_made_inclusive() -> None:
    """Anthropic-style input without cache, Gemini-style output without thoughts."""
    span = _usage(
        input_tokens=50,
        cache_read_tokens=2000,
        cache_write_tokens=300,
        output_tokens=10,
        reasoning_tokens=400,
    )
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (2350, 410, 2760)
