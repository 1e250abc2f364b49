"""The normalizer seam: what every convention module implements.

A normalizer is a small object with ``name``, ``matches(src)`` and ``apply(src, span)``.
``matches`` is a cheap presence test on the attribute namespaces (never the span name). It
must depend only on the attribute *names* and on whether ``gen_ai.*`` events are present:
the pipeline caches its answer per attribute-name tuple (see ``pipeline._plan``);
``apply`` copies what it recognises from ``src`` onto the ``LlmSpan``, writing a field only
when the source has a usable value, so normalizers run in increasing priority and the
later (higher-priority) one wins where two conventions overlap. ``apply`` may raise: the
pipeline catches it, counts it, and keeps the span with whatever was mapped.
"""

from __future__ import annotations

from typing import Any, Protocol

from spyglass.ingest.raw import RawSpan
from spyglass.model import LlmSpan


class SpanSource:
    """One raw span plus its resource attributes, with the attribute namespaces (text before
    the first dot of every key) computed once for all normalizers' ``matches``."""

    __slots__ = ("raw", "attrs", "resource", "namespaces")

    def __init__(self, raw: RawSpan, resource: dict[str, Any], namespaces: set[str] | None = None) -> None:
        self.raw = raw
        self.attrs = raw.attributes  # already size-capped by decode
        self.resource = resource
        # the pipeline passes namespaces it cached for spans with the same attribute names
        self.namespaces = (
            namespaces if namespaces is not None else {k.partition(".")[0] for k in raw.attributes}
        )


class Normalizer(Protocol):
    name: str

    def matches(self, src: SpanSource) -> bool: ...

    def apply(self, src: SpanSource, span: LlmSpan) -> None: ...
