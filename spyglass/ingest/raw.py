"""Decoded-but-not-normalized spans: the plain-Python shape between ``decode`` and ``normalize``.

Both wire encodings (OTLP protobuf and OTLP/JSON) decode to exactly these classes, so the
normalizers never know which one arrived. Ids are lowercase hex, times integer nanoseconds,
attribute values unwrapped from ``AnyValue`` to ``str | bool | int | float | bytes | list |
dict | None``. A span whose identity could not be read keeps ``problem`` set (a message with
the path of the span in the request) and is rejected by ``normalize_request``; decode never
drops it silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Encoding = Literal["protobuf", "json"]

# OTLP Span.SpanKind and Status.StatusCode numbers (kept as ints, as on the wire).
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2

# Size caps on attribute values, applied while decoding (see ``spyglass.ingest.pipeline``).
MAX_ATTRIBUTE_CHARS = 1024 * 1024
MAX_ATTRIBUTE_BYTES = 1024 * 1024
# Arrays and key-value lists inside an attribute value nest at most this deep; a deeper
# subtree is replaced by ``TOO_DEEP`` (no instrumentation sends more than a few levels, and
# the JSON the store writes has a nesting limit of its own).
MAX_VALUE_DEPTH = 32
TOO_DEEP = "…[nested too deep]"


def cap_str(text: str, limit: int = MAX_ATTRIBUTE_CHARS) -> str:
    """``text`` if within ``limit`` characters, else its head plus a marker saying how much went."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def cap_bytes(data: bytes) -> bytes:
    if len(data) <= MAX_ATTRIBUTE_BYTES:
        return data
    return data[:MAX_ATTRIBUTE_BYTES] + f"…[truncated {len(data) - MAX_ATTRIBUTE_BYTES} bytes]".encode()


@dataclass(slots=True)
class RawEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any]


@dataclass(slots=True)
class RawSpan:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int  # OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    start_time_ns: int
    end_time_ns: int
    attributes: dict[str, Any]
    events: list[RawEvent] = field(default_factory=list)
    status_code: int = STATUS_UNSET
    status_message: str | None = None
    problem: str | None = None  # set => the span's identity is unusable; it will be rejected
    # repairs made while decoding, (field, value as sent, what was done): see ``ingest.bounds``
    notes: list[tuple[str, Any, str]] | None = None


@dataclass(slots=True)
class RawScopeSpans:
    scope_name: str | None
    scope_version: str | None
    spans: list[RawSpan]


@dataclass(slots=True)
class RawResourceSpans:
    resource_attributes: dict[str, Any]
    scope_spans: list[RawScopeSpans]


@dataclass(slots=True)
class DecodedRequest:
    """One OTLP export request, decoded. ``encoding`` is what the client sent, so the server
    answers in kind; ``warnings`` are non-fatal repairs made while decoding (e.g. invalid
    UTF-8 replaced), reported back in the partial-success message."""

    encoding: Encoding
    resource_spans: list[RawResourceSpans]
    warnings: list[str] = field(default_factory=list)

    @property
    def span_count(self) -> int:
        return sum(len(ss.spans) for rs in self.resource_spans for ss in rs.scope_spans)
