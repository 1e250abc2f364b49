"""Token bookkeeping: make usage obey the canonical contract, then fill ``total_tokens``.

The contract: ``input_tokens`` includes cache reads/writes and ``output_tokens`` includes
reasoning (as OTel GenAI says). Some sources report them exclusively instead (Anthropic's
API counts ``input_tokens`` without cache; Gemini counts thoughts apart from candidates), and
an instrumentation may pass that through. When the parts exceed the whole — cache reads +
writes > input, or reasoning > output — the whole cannot have included them, so they are
added (the raw values stay in ``attributes``). When the parts do not exceed the whole, a
reported total still tells: Gemini's ``totalTokenCount`` is prompt + candidates + thoughts,
so input + output + reasoning == total (and input + output != total) means the output was
the candidates alone; likewise input + cache + output == total for an exclusive input. Cost
then never bills cache twice or misses it, nor misses thinking tokens. A total is computed
as input + output when the source did not report one.
"""

from __future__ import annotations

from spyglass.model import LlmSpan


class TokenUsageEnricher:
    name = "tokens"

    def matches(self, span: LlmSpan) -> bool:
        return span.input_tokens is not None or span.output_tokens is not None

    def apply(self, span: LlmSpan) -> None:
        cached = (span.cache_read_tokens or 0) + (span.cache_write_tokens or 0)
        reasoning = span.reasoning_tokens or 0
        add_cache, add_reasoning = _left_out_of_total(span, cached, reasoning)
        if span.input_tokens is not None and (add_cache or cached > span.input_tokens):
            span.input_tokens += cached
        if span.output_tokens is not None and (add_reasoning or reasoning > span.output_tokens):
            span.output_tokens += reasoning
        if span.total_tokens is None:
            span.total_tokens = (span.input_tokens or 0) + (span.output_tokens or 0)


def _left_out_of_total(span: LlmSpan, cached: int, reasoning: int) -> tuple[bool, bool]:
    """Which parts the reported total counts beside input + output (so those left them out).
    Ambiguous sums (cache == reasoning) decide nothing."""
    total = span.total_tokens
    if total is None or (not cached and not reasoning):
        return False, False
    counted = (span.input_tokens or 0) + (span.output_tokens or 0)
    if counted == total:
        return False, False
    matches = [
        (c, r)
        for c, r in ((True, False), (False, True), (True, True))
        if counted + (cached if c else 0) + (reasoning if r else 0) == total
        and (cached or not c)
        and (reasoning or not r)
    ]
    return matches[0] if len(matches) == 1 else (False, False)
