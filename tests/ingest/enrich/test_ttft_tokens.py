"""TTFT sources and bounds; total tokens."""

from __future__ import annotations

import pytest

from spyglass.ingest.enrich.tokens import TotalTokensEnricher
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


def test_total_tokens() -> None:
    span = llm_span(input_tokens=10, output_tokens=5)
    e = TotalTokensEnricher()
    assert e.matches(span)
    e.apply(span)
    assert span.total_tokens == 15
    assert not e.matches(llm_span(input_tokens=1, total_tokens=99))
    assert not e.matches(llm_span())
