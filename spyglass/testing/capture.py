"""In-memory span capture for tests (ours and the app's).

``with capture_spans(capture="full") as cap: ...; cap.spans()`` initialises Spyglass with an
in-memory exporter behind the real pipeline (redaction, batching, counting), so what
``cap.spans()`` returns is exactly what would have been sent to the server. A pytest fixture
is one line::

    @pytest.fixture
    def spans():
        with capture_spans() as cap:
            yield cap
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spyglass.model import attributes as A
from spyglass.sdk import client


class SpanCapture:
    """What a test reads: finished, exported (post-redaction) spans."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def spans(self, flush: bool = True) -> list[ReadableSpan]:
        if flush:
            client.flush(5.0)
        return list(self.exporter.get_finished_spans())

    def llm_spans(self) -> list[ReadableSpan]:
        """Spans made by the client integrations (chat and embeddings calls)."""
        return [
            s
            for s in self.spans()
            if (s.attributes or {}).get(A.GEN_AI_PROVIDER_NAME)
            and (s.attributes or {}).get(A.SPAN_KIND) in ("llm", "embedding")
        ]

    def one(self, name: str | None = None) -> ReadableSpan:
        """The single span (named ``name`` if given); AssertionError otherwise."""
        found = [s for s in self.spans() if name is None or s.name == name]
        assert len(found) == 1, (
            f"expected one span{' named ' + name if name else ''}, got {[s.name for s in found]}"
        )
        return found[0]

    def clear(self) -> None:
        client.flush(5.0)
        self.exporter.clear()

    def exported_text(self) -> str:
        """Every attribute and event of every span as one string (for 'never appears' checks)."""
        chunks: list[str] = []
        for span in self.spans():
            chunks.append(span.name)
            chunks.append(json.dumps(dict(span.attributes or {}), default=str))
            chunks.append(str(span.status.description or ""))
            for event in span.events:
                chunks.append(json.dumps(dict(event.attributes or {}), default=str))
        return "\n".join(chunks)


@contextmanager
def capture_spans(**init_kwargs: Any) -> Iterator[SpanCapture]:
    """Init Spyglass against an in-memory exporter for the duration of the block.

    Any previous Spyglass setup is shut down first; ``init_kwargs`` go to ``spyglass.init``.
    """
    client.shutdown()
    exporter = InMemorySpanExporter()
    init_kwargs.setdefault("schedule_delay_ms", 50)
    client.init(exporter=exporter, **init_kwargs)
    try:
        yield SpanCapture(exporter)
    finally:
        client.shutdown()


def attrs(span: ReadableSpan) -> dict[str, Any]:
    """A span's attributes as a plain dict (tuples left as tuples)."""
    return dict(span.attributes or {})
