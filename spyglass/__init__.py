"""Spyglass: monitoring for LLM applications in production.

This top-level module is the SDK surface only; it must import nothing from the server side
(only ``spyglass.sdk`` and ``spyglass.model``, which need opentelemetry, wrapt and stdlib).

Quick start::

    import spyglass
    spyglass.init(api_key="...")          # or SPYGLASS_* environment variables
    # every openai / anthropic client call is now a span
"""

__version__ = "0.1.0"

from spyglass.sdk.client import (  # noqa: E402  (after __version__, which the SDK reads)
    current_span_id,
    current_trace_id,
    feedback,
    flush,
    init,
    shutdown,
    stats,
)
from spyglass.sdk.config import CaptureMode  # noqa: E402
from spyglass.sdk.context import context  # noqa: E402
from spyglass.sdk.tracing import SpanHandle, observe, span  # noqa: E402

__all__ = [
    "CaptureMode",
    "SpanHandle",
    "__version__",
    "context",
    "current_span_id",
    "current_trace_id",
    "feedback",
    "flush",
    "init",
    "observe",
    "shutdown",
    "span",
    "stats",
]
