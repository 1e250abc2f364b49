"""Token bookkeeping: ``total_tokens`` when the source did not report it.

Input already includes cache reads/writes and output includes reasoning (the canonical
contract), so the total is simply input + output.
"""

from __future__ import annotations

from spyglass.model import LlmSpan


class TotalTokensEnricher:
    name = "tokens"

    def matches(self, span: LlmSpan) -> bool:
        return span.total_tokens is None and (span.input_tokens is not None or span.output_tokens is not None)

    def apply(self, span: LlmSpan) -> None:
        span.total_tokens = (span.input_tokens or 0) + (span.output_tokens or 0)
