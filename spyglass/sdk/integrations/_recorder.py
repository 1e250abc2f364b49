"""One LLM call as one span: start, first chunk, finish or fail, exactly once.

Contract: every method is guarded (never raises into the app) and idempotent after the first
``finish``/``fail``. The recorder holds nothing that references the app's stream object, so a
stream proxy can finish it from a GC finalizer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from spyglass.model import attributes as A
from spyglass.model.span import ErrorClass
from spyglass.model.span import SpanKind as CanonicalKind
from spyglass.sdk import client
from spyglass.sdk._guard import never_raise
from spyglass.sdk.tracing import record_error

_OK = Status(StatusCode.OK)

# Set while a patched call runs, so a patched method that calls another patched method
# (e.g. a helper built on ``create``) yields one span, not two.
_IN_CALL: ContextVar[bool] = ContextVar("spyglass_in_llm_call", default=False)


def in_call() -> bool:
    return _IN_CALL.get()


def classify_error(exc: BaseException) -> str | None:
    """Our ErrorClass for a provider SDK exception, from its type name and HTTP status."""
    name = type(exc).__name__.lower()
    status = getattr(exc, "status_code", None)
    code = str(getattr(exc, "code", "") or "").lower()
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        err = body.get("error")
        inner: Mapping[str, Any] = err if isinstance(err, Mapping) else body
        code = code or str(inner.get("code") or inner.get("type") or "").lower()
    if "timeout" in name or isinstance(exc, TimeoutError):
        return ErrorClass.TIMEOUT.value
    if status == 429 or "ratelimit" in name:
        return ErrorClass.RATE_LIMIT.value
    if "content_filter" in code or "content_policy" in code or "contentfilter" in name:
        return ErrorClass.CONTENT_FILTER.value
    if isinstance(status, int):
        if status >= 500 or status == 529:
            return ErrorClass.PROVIDER_5XX.value
        if status in (401, 403):
            return ErrorClass.AUTH.value
        if status in (400, 404, 409, 413, 422):
            return ErrorClass.VALIDATION.value
    if "internalserver" in name or "overloaded" in name or "serviceunavailable" in name:
        return ErrorClass.PROVIDER_5XX.value
    if "authentication" in name or "permissiondenied" in name:
        return ErrorClass.AUTH.value
    if "validation" in name:
        return ErrorClass.VALIDATION.value
    return None


class CallRecorder:
    """The span of one provider call and its timing."""

    __slots__ = ("span", "start_ns", "_start_perf", "ttft_s", "_done", "_in_call_token", "_ctx_token")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.start_ns = time.time_ns()
        self._start_perf = time.perf_counter()
        self.ttft_s: float | None = None
        self._done = False

    @classmethod
    @never_raise
    def start(
        cls,
        *,
        provider: str,
        operation: str,
        request_model: str | None,
        attributes: Mapping[str, Any],
    ) -> CallRecorder:
        """Start a CLIENT span named ``"{operation} {model}"`` (OTel GenAI naming)."""
        kind = CanonicalKind.EMBEDDING if operation == "embeddings" else CanonicalKind.LLM
        attrs: dict[str, Any] = {
            A.GEN_AI_OPERATION_NAME: operation,
            A.GEN_AI_PROVIDER_NAME: provider,
            A.SPAN_KIND: kind.value,
        }
        if request_model:
            attrs[A.GEN_AI_REQUEST_MODEL] = request_model
            if client.is_self_hosted(request_model):
                attrs[A.SELF_HOSTED] = True
        for key, value in attributes.items():
            if value is not None:
                attrs[key] = value
        name = f"{operation} {request_model}" if request_model else operation
        span = client.get_tracer().start_span(
            name,
            kind=SpanKind.CLIENT,
            attributes=attrs,
            record_exception=False,
            set_status_on_exception=False,
        )
        return cls(span)

    def active(self) -> CallRecorder:
        """``with rec.active():`` makes the span current (so transport-level spans nest under
        it) and marks 'in a call' for the block. Not re-entrant (one provider call, one block).

        The recorder is its own context manager: a generator-based ``@contextmanager`` costs
        a generator and a wrapper object per call on the app's thread."""
        return self

    def __enter__(self) -> None:
        self._in_call_token = _IN_CALL.set(True)
        self._ctx_token = otel_context.attach(trace.set_span_in_context(self.span))

    def __exit__(self, *exc_info: object) -> None:
        otel_context.detach(self._ctx_token)
        _IN_CALL.reset(self._in_call_token)

    def first_chunk(self) -> None:
        """Stamp time to first token: call at the first chunk that carries content."""
        if self.ttft_s is None and not self._done:
            self.ttft_s = time.perf_counter() - self._start_perf

    def _end_attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any]:
        """The non-None ``attributes`` plus the TTFT stamped so far (set when the span ends)."""
        attrs = {k: v for k, v in (attributes or {}).items() if v is not None}
        if self.ttft_s is not None:
            attrs[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self.ttft_s
            attrs[A.TTFT_MS] = self.ttft_s * 1000.0
        return attrs

    @never_raise
    def finish(self, attributes: Mapping[str, Any] | None = None) -> None:
        if self._done:
            return
        self._done = True
        span = self.span
        span.set_attributes(self._end_attributes(attributes))  # one lock round-trip, not one each
        span.set_status(_OK)
        span.end()

    @never_raise
    def fail(self, exc: BaseException, attributes: Mapping[str, Any] | None = None) -> None:
        if self._done:
            return
        self._done = True
        span = self.span
        span.set_attributes(self._end_attributes(attributes))
        record_error(span, exc, classify_error(exc))
        span.end()

    @property
    def done(self) -> bool:
        return self._done
