"""The one error the ingest layer raises for an unreadable request.

The server maps ``status`` straight to the HTTP status (and to a gRPC code):
400 malformed body, 413 too large after decompression, 415 unsupported content type or
content encoding. ``message`` is meant for the sender and names the problem precisely.
Span-level problems (a bad id, …) never raise: they reject that span only.
"""

from __future__ import annotations


class IngestError(Exception):
    """An OTLP request that cannot be read at all (the whole request is refused)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[IngestError], tuple[int, str]]:
        # picklable with both fields, so an ingest worker process can raise it to the server
        return (IngestError, (self.status, self.message))

    def __repr__(self) -> str:
        return f"IngestError({self.status}, {self.message!r})"
