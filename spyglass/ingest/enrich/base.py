"""The enricher seam: small objects with ``name``, ``matches(span)`` and ``apply(span)``.

``apply`` derives fields in place (cost, refusal, error class …). It may raise; the
pipeline catches, logs and counts it, and the span is kept as it was.
"""

from __future__ import annotations

from typing import Protocol

from spyglass.model import LlmSpan


class Enricher(Protocol):
    name: str

    def matches(self, span: LlmSpan) -> bool: ...

    def apply(self, span: LlmSpan) -> None: ...
