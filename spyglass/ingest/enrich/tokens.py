"""Token bookkeeping: make usage obey the canonical contract, then fill ``total_tokens``.

The contract: ``input_tokens`` includes cache reads/writes and ``output_tokens`` includes
reasoning (as OTel GenAI says). Some sources report them exclusively instead (Anthropic's
API counts ``input_tokens`` without cache; Gemini counts thoughts apart from candidates), and
an instrumentation may pass that through. When the parts exceed the whole — cache reads +
writes > input, or reasoning > output — the whole cannot have included them, so they are
added (the raw values stay in ``attributes``). Cost then never bills cache twice or misses it.
A total is computed as input + output when the source did not report one.
"""

from __future__ import annotations

from spyglass.model import LlmSpan


class TokenUsageEnricher:
    name = "tokens"

    def matches(self, span: LlmSpan) -> bool:
        return span.input_tokens is not None or span.output_tokens is not None

    def apply(self, span: LlmSpan) -> None:
        cached = (span.cache_read_tokens or 0) + (span.cache_write_tokens or 0)
        if span.input_tokens is not None and cached > span.input_tokens:
            span.input_tokens += cached
        reasoning = span.reasoning_tokens or 0
        if span.output_tokens is not None and reasoning > span.output_tokens:
            span.output_tokens += reasoning
        if span.total_tokens is None:
            span.total_tokens = (span.input_tokens or 0) + (span.output_tokens or 0)
