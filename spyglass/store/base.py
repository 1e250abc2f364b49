"""The storage seam: what every event-store backend offers the rest of Spyglass.

Threading/blocking rules (all backends):

* Every method blocks on I/O. Call them from a worker thread (the ``BatchWriter`` thread for
  writes, ``anyio.to_thread``/``run_in_executor`` for queries), never on the event loop.
* ``write_batch`` is called from a single thread at a time (the writer); a backend may
  serialise it internally. ``query`` may be called from several threads concurrently; the
  backend hands each thread its own cursor/connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import sqlglot.expressions as exp

from spyglass.model.span import LlmSpan


@dataclass(slots=True)
class WriteStats:
    """Outcome of one ``write_batch``: spans received, spans newly stored (the rest were
    duplicates of stored spans or of each other), traces whose rollup was recomputed and
    the seconds spent in the transaction."""

    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    traces_touched: int = 0
    seconds: float = 0.0
    # spans of *this request* that could not be stored, one "trace/span: reason" each
    # (filled by the writer per request; a backend never sets it)
    rejected: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Feedback:
    """One feedback record; ``trace_id`` or ``request_id`` (a provider response id) names
    what it is about. ``created_at_ns`` defaults to now when 0."""

    project_id: str
    trace_id: str | None = None
    request_id: str | None = None
    score: float | None = None
    thumbs: str | None = None  # up / down
    comment: str | None = None
    source: str | None = None  # user / reviewer / system
    kind: str | None = None  # thumbs / correction / retry / escalation / completion
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at_ns: int = 0
    id: str = ""


class StoreError(Exception):
    """A backend failed to read or write (the message says what)."""


class SpanDataError(StoreError):
    """The backend refused the *data* of a write (a value it cannot convert or hold), not
    its own state: the writer narrows the batch down to the refused spans and stores the
    rest. Any other ``StoreError`` is the server's fault and answered as retryable."""


@runtime_checkable
class SpanStore(Protocol):
    """An event store holding spans, payloads, trace rollups and feedback.

    ``dialect`` is the sqlglot dialect name used to render query expressions.
    """

    dialect: str

    def write_batch(self, spans: Sequence[LlmSpan]) -> WriteStats:
        """Store ``spans`` in ONE transaction and recompute the rollup of every trace they
        touch. Idempotent on (project_id, trace_id, span_id): a span already stored, or
        repeated within the batch, is counted as a duplicate and changes nothing.
        Raises ``StoreError`` and stores nothing if the transaction fails."""
        ...

    def query(self, sql: exp.Expr | str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query (a sqlglot expression rendered in ``dialect``, or SQL text in
        that dialect) with named ``params`` (never pasted into the text); rows as dicts."""
        ...

    def write_feedback(self, feedback: Feedback) -> str:
        """Store one feedback record and return its id (generated if empty)."""
        ...

    def close(self) -> None:
        """Flush and release the backend; further calls fail."""
        ...
