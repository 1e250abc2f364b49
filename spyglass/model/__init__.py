"""Canonical data model shared by every layer (no I/O, no imports from the rest of Spyglass)."""

from spyglass.model.span import (
    ErrorClass,
    LlmSpan,
    Message,
    RetrievedDocument,
    SpanEvent,
    SpanKind,
    StatusCode,
    ToolCall,
)

__all__ = [
    "ErrorClass",
    "LlmSpan",
    "Message",
    "RetrievedDocument",
    "SpanEvent",
    "SpanKind",
    "StatusCode",
    "ToolCall",
]
