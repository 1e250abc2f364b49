"""Time to first token (milliseconds), first source that has it:

1. ``spyglass.ttft_ms`` (already set by the normalizer);
2. ``gen_ai.response.time_to_first_chunk`` (seconds, OTel GenAI HEAD);
3. the first-chunk span event minus span start: OpenInference ``First Token Stream Event``,
   OpenLLMetry ``gen_ai.content.completion.chunk`` (first one), ``llm.content.completion.chunk``.

A value is only kept when 0 <= ttft <= duration (a clock-skewed event is ignored).
"""

from __future__ import annotations

from spyglass.ingest.normalize.values import as_float
from spyglass.model import LlmSpan

_FIRST_CHUNK_EVENTS = frozenset(
    {"First Token Stream Event", "gen_ai.content.completion.chunk", "llm.content.completion.chunk"}
)


class TtftEnricher:
    name = "ttft"

    def matches(self, span: LlmSpan) -> bool:
        return span.ttft_ms is None and (
            "gen_ai.response.time_to_first_chunk" in span.attributes or bool(span.events)
        )

    def apply(self, span: LlmSpan) -> None:
        duration_ms = span.duration_ms
        seconds = as_float(span.attributes.get("gen_ai.response.time_to_first_chunk"))
        if seconds is not None and 0 <= seconds * 1000 <= duration_ms:
            span.ttft_ms = seconds * 1000
            return
        first = min(
            (ev.time_ns for ev in span.events if ev.name in _FIRST_CHUNK_EVENTS),
            default=None,
        )
        if first is not None:
            ttft = (first - span.start_time_ns) / 1e6
            if 0 <= ttft <= duration_ms:
                span.ttft_ms = ttft
