"""Request context (session, user, tenant, feature, prompt, metadata) carried in contextvars.

``with spyglass.context(...)`` sets it; nested blocks merge onto the outer one; it follows
``await``, tasks and threads started with ``contextvars.copy_context()``. The
:class:`ContextStampingProcessor` copies it onto every span at start, so spans created by any
instrumentation (ours, OpenInference, the app's own) carry it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from spyglass.model import attributes as A

# The merged context as ready-to-set span attributes. A plain dict that is never mutated once
# published, so reading it on the hot path needs no copy or lock.
_EMPTY: Mapping[str, str] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, str]] = ContextVar("spyglass_context", default=_EMPTY)


def _metadata_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


@contextmanager
def context(
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    tenant_id: str | None = None,
    feature: str | None = None,
    prompt_name: str | None = None,
    prompt_version: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[Mapping[str, str]]:
    """Attach request context to every span started inside the block (merged onto outer blocks).

    ``None`` leaves a field as the outer block set it. Yields the merged attributes.
    """
    merged = dict(_CONTEXT.get())
    for key, value in (
        (A.SESSION_ID, session_id),
        (A.USER_ID, user_id),
        (A.TENANT_ID, tenant_id),
        (A.FEATURE, feature),
        (A.PROMPT_NAME, prompt_name),
        (A.PROMPT_VERSION, prompt_version),
    ):
        if value is not None:
            merged[key] = str(value)
    for mkey, mvalue in (metadata or {}).items():
        if mvalue is not None:
            merged[A.METADATA_PREFIX + str(mkey)] = _metadata_value(mvalue)
    token = _CONTEXT.set(merged)
    try:
        yield merged
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, str]:
    """The request context attributes in effect here (read-only)."""
    return _CONTEXT.get()


class ContextStampingProcessor(SpanProcessor):
    """Copies the current request context and the process's static attributes onto spans.

    Contract: ``on_start`` only sets attributes that the span does not already carry, so an
    explicit ``span.set_attribute`` by the app always wins; it never raises.
    """

    def __init__(self, static_attributes: Mapping[str, str] | None = None) -> None:
        self._static = dict(static_attributes or {})

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            ctx = _CONTEXT.get()
            if not ctx and not self._static:
                return
            existing = span.attributes or {}
            merged = {**self._static, **ctx} if self._static else ctx
            missing = {k: v for k, v in merged.items() if k not in existing}
            if missing:
                span.set_attributes(missing)  # one lock round-trip
        except Exception:  # never let a span start fail because of us
            from spyglass.sdk._guard import report_internal_error

            report_internal_error("ContextStampingProcessor.on_start")

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
