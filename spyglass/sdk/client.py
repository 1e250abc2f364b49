"""``spyglass.init`` and the process-wide SDK state (flush, shutdown, stats, trace id).

Contract:
* ``init`` is idempotent: a second call while initialised returns without changing anything
  (call ``shutdown()`` first to re-configure).
* If the app already set a real OTel ``TracerProvider``, Spyglass adds its processors to it;
  otherwise it creates one and makes it the global provider.
* ``flush``/``shutdown``/``stats``/``current_trace_id`` never raise.
"""

from __future__ import annotations

import atexit
import fnmatch
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from spyglass import __version__
from spyglass.model import attributes as A
from spyglass.sdk._guard import guarded, never_raise
from spyglass.sdk.config import CaptureMode, Redactor, SdkConfig, resolve_config
from spyglass.sdk.context import ContextStampingProcessor
from spyglass.sdk.export import CountingSpanExporter, ExportCounters, SdkStats, SpyglassBatchProcessor
from spyglass.sdk.feedback import FeedbackSender
from spyglass.sdk.redact import RedactingSpanExporter, SpanRedaction, TextRedactor

logger = logging.getLogger("spyglass.sdk")

TRACER_NAME = "spyglass"


class _Dispatch(SpanProcessor):
    """Added once per TracerProvider; forwards to the live Spyglass pipeline, if any.

    OTel cannot remove a processor from a provider, so re-``init`` after ``shutdown`` swaps
    the delegates here instead of stacking processors.
    """

    def __init__(self) -> None:
        self.stamp: ContextStampingProcessor | None = None
        self.batch: SpyglassBatchProcessor | None = None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        stamp = self.stamp
        if stamp is not None:
            stamp.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        batch = self.batch
        if batch is not None:
            scope = span.instrumentation_scope
            if _suppressed_scopes and scope is not None and scope.name in _suppressed_scopes:
                return
            batch.on_end(span)

    def shutdown(self) -> None:
        batch = self.batch
        if batch is not None:
            batch.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        batch = self.batch
        return batch.force_flush(timeout_millis) if batch is not None else True


@dataclass
class _State:
    config: SdkConfig
    provider: TracerProvider
    owns_provider: bool
    dispatch: _Dispatch
    batch: SpyglassBatchProcessor
    redacting: RedactingSpanExporter
    feedback: FeedbackSender
    integrations: list[Any] = field(default_factory=list)
    tracer: trace.Tracer | None = None


_DEFAULT_MAX_CONTENT_CHARS = SdkConfig().max_content_chars
_lock = threading.RLock()
# Instrumentation scopes whose spans duplicate ours while an integration is active.
_suppressed_scopes: set[str] = set()


def suppress_scope(name: str) -> None:
    """Stop exporting spans from instrumentation scope ``name`` (an integration covers them)."""
    _suppressed_scopes.add(name)


def unsuppress_scope(name: str) -> None:
    _suppressed_scopes.discard(name)


_state: _State | None = None
_atexit_registered = False


def _provider_for(config: SdkConfig, explicit: TracerProvider | None) -> tuple[TracerProvider, bool]:
    if explicit is not None:
        return explicit, False
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, False
    resource_attrs: dict[str, Any] = {"telemetry.sdk.name": "spyglass", "spyglass.sdk.version": __version__}
    if config.service_name:
        resource_attrs["service.name"] = config.service_name
    if config.release:
        resource_attrs["service.version"] = config.release
    if config.environment:
        resource_attrs["deployment.environment.name"] = config.environment
    if config.project:
        resource_attrs["spyglass.project"] = config.project
    provider = TracerProvider(resource=Resource.create(resource_attrs))
    trace.set_tracer_provider(provider)
    if trace.get_tracer_provider() is not provider:  # someone else won the race; use theirs
        winner = trace.get_tracer_provider()
        if isinstance(winner, TracerProvider):
            return winner, False
    return provider, True


def _dispatch_for(provider: TracerProvider) -> _Dispatch:
    dispatch = getattr(provider, "_spyglass_dispatch", None)
    if not isinstance(dispatch, _Dispatch):
        dispatch = _Dispatch()
        provider.add_span_processor(dispatch)
        provider._spyglass_dispatch = dispatch  # type: ignore[attr-defined]
    return dispatch


def _default_exporter(config: SdkConfig) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    headers = dict(config.headers)
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    return OTLPSpanExporter(endpoint=config.traces_url, headers=headers, timeout=config.export_timeout_s)


def init(
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    environment: str | None = None,
    release: str | None = None,
    service_name: str | None = None,
    sample_rate: float | None = None,
    capture: str | CaptureMode | None = None,
    redact: Iterable[Redactor] | None = None,
    detectors: Iterable[str] | None = None,
    instrument: Iterable[str] | None = None,
    integrations: Iterable[str] | None = None,
    disabled_integrations: Iterable[str] | None = None,
    max_queue_size: int | None = None,
    export_timeout_s: float | None = None,
    schedule_delay_ms: int | None = None,
    max_content_chars: int | None = None,
    headers: Mapping[str, str] | None = None,
    self_hosted_models: Iterable[str] | None = None,
    exporter: SpanExporter | None = None,
    tracer_provider: TracerProvider | None = None,
) -> SdkConfig:
    """Start sending traces to Spyglass and auto-instrument installed LLM clients and frameworks.

    ``integrations`` (alias ``instrument``) names the integrations to turn on (default: every
    installed one); ``disabled_integrations`` (or ``SPYGLASS_DISABLED_INTEGRATIONS=a,b``) turns
    some off.

    Every argument falls back to its ``SPYGLASS_*`` environment variable, then a default.
    ``exporter`` replaces the OTLP/HTTP exporter (tests, custom transports); it still goes
    through redaction, batching and counting. ``self_hosted_models`` (names or globs, e.g.
    ``["llama3.1:*", "meta-llama/*"]``) marks calls to those models as served by your own
    hardware, which ingest prices at 0 instead of "unknown" (docs/sdk.md, "Self-hosted
    models"). Returns the effective configuration.
    Raises ``ValueError`` for invalid arguments; never for environment values.
    """
    global _state, _atexit_registered
    with _lock:
        if _state is not None:
            logger.debug("spyglass.init called again; keeping the first configuration")
            return _state.config
        if integrations is not None and instrument is not None:
            raise ValueError("pass integrations= or its older name instrument=, not both")
        if integrations is not None:
            instrument = integrations
        config = resolve_config(
            endpoint=endpoint,
            api_key=api_key,
            project=project,
            environment=environment,
            release=release,
            service_name=service_name,
            sample_rate=sample_rate,
            capture=capture,
            redact=redact,
            detectors=detectors,
            instrument=instrument,
            disabled_integrations=disabled_integrations,
            max_queue_size=max_queue_size,
            export_timeout_s=export_timeout_s,
            schedule_delay_ms=schedule_delay_ms,
            max_content_chars=max_content_chars,
            headers=headers,
            self_hosted_models=self_hosted_models,
        )
        from spyglass.sdk.integrations.base import all_integrations, install_integrations

        # First: an unknown name raises ValueError before any thread or provider exists.
        known = all_integrations()
        named = [*(config.instrument or ()), *(config.disabled_integrations if disabled_integrations else ())]
        unknown = [n for n in named if n not in known]
        if unknown:
            raise ValueError(f"unknown integrations {unknown}; known: {sorted(known)}")
        if disabled_integrations is None and (
            env_unknown := sorted(config.disabled_integrations - set(known))
        ):
            logger.error("ignoring unknown integrations %s in SPYGLASS_DISABLED_INTEGRATIONS", env_unknown)
        provider, owns = _provider_for(config, tracer_provider)
        redaction = SpanRedaction(config.capture, TextRedactor(config.detectors, config.redact))
        counters = ExportCounters()
        counting = CountingSpanExporter(exporter or _default_exporter(config), counters)
        redacting = RedactingSpanExporter(counting, redaction)
        batch = SpyglassBatchProcessor(
            redacting,
            max_queue_size=config.max_queue_size,
            max_export_batch_size=config.max_export_batch_size,
            schedule_delay_millis=config.schedule_delay_ms,
            sample_rate=config.sample_rate,
            shutdown_timeout_millis=int(max(1.0, config.export_timeout_s + 1.0) * 1000),
            counters=counters,
        )
        static: dict[str, str] = {}
        if config.environment:
            static[A.ENVIRONMENT] = config.environment
        if config.release:
            static[A.RELEASE] = config.release
        dispatch = _dispatch_for(provider)
        dispatch.batch = batch
        dispatch.stamp = ContextStampingProcessor(static)
        feedback = FeedbackSender(config.base_url, config.api_key, timeout_s=config.export_timeout_s)
        _state = _State(config, provider, owns, dispatch, batch, redacting, feedback)
        # Last: framework instrumentors need the provider (and may run their patching now).
        _state.integrations = install_integrations(config.instrument, config.disabled_integrations, provider)
        if not _atexit_registered:
            atexit.register(_flush_at_exit)
            _atexit_registered = True
        return config


def get_config() -> SdkConfig | None:
    """The active configuration, or None before ``init``."""
    state = _state
    return state.config if state is not None else None


def capture_mode() -> CaptureMode:
    state = _state
    return state.config.capture if state is not None else CaptureMode.REDACTED


def is_self_hosted(model: str) -> bool:
    """Whether ``init(self_hosted_models=...)`` declared ``model`` (a name or glob match)."""
    state = _state
    if state is None or not state.config.self_hosted_models:
        return False
    return _matches_any(state.config.self_hosted_models, model)


@lru_cache(maxsize=256)
def _matches_any(patterns: tuple[str, ...], model: str) -> bool:
    return any(fnmatch.fnmatchcase(model, p) for p in patterns)


def max_content_chars() -> int:
    state = _state
    return state.config.max_content_chars if state is not None else _DEFAULT_MAX_CONTENT_CHARS


def get_tracer() -> trace.Tracer:
    """The tracer Spyglass's own spans use (the global provider's before ``init``)."""
    state = _state
    if state is not None:
        tracer = state.tracer
        if tracer is None:  # cached: creating a tracer per call costs more than the span
            tracer = state.tracer = state.provider.get_tracer(TRACER_NAME, __version__)
        return tracer
    return trace.get_tracer(TRACER_NAME, __version__)


@never_raise
def flush(timeout: float = 5.0) -> bool:
    """Export everything queued so far (call at the end of a serverless handler).

    Blocks the caller for at most about ``timeout`` seconds per pending batch when the server is down.
    """
    state = _state
    if state is None:
        return True
    ok = state.batch.force_flush(int(timeout * 1000))
    fb = state.feedback.flush(timeout)
    return bool(ok and fb)


@never_raise
def shutdown(timeout: float | None = None) -> None:
    """Flush, stop exporting and remove the client patches. ``init`` may be called again after."""
    global _state
    with _lock:
        state = _state
        if state is None:
            return
        _state = None
        for integration in state.integrations:
            with guarded("integration.uninstall"):
                integration.uninstall()
        state.dispatch.stamp = None
        state.dispatch.batch = None
        with guarded("shutdown.batch"):
            state.batch.shutdown()
        with guarded("shutdown.feedback"):
            state.feedback.shutdown(timeout if timeout is not None else state.config.export_timeout_s)


def _flush_at_exit() -> None:
    with guarded("atexit"):
        shutdown()


def stats() -> SdkStats:
    """Export counters since ``init`` (all zero before)."""
    state = _state
    if state is None:
        return SdkStats(0, 0, 0, 0, 0, 0)
    c = state.batch.counters
    return SdkStats(
        queued=c.queued,
        exported=c.exported,
        failed=c.failed,
        dropped=c.dropped,
        sampled_out=c.sampled_out,
        redaction_failures=state.redacting.redaction_failures,
        feedback_sent=state.feedback.sent,
        feedback_dropped=state.feedback.dropped,
    )


def current_trace_id() -> str | None:
    """The current trace id as 32 lowercase hex characters, or None outside a span."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


@never_raise
def feedback(
    trace_id: str | None = None,
    request_id: str | None = None,
    score: float | None = None,
    thumbs: str | None = None,
    comment: str | None = None,
    source: str = "user",
    kind: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """Send user feedback about a trace in the background (``POST /api/v1/feedback``).

    ``trace_id`` defaults to the current trace. Never blocks, never raises; returns False when
    nothing was queued (not initialised, no id, invalid values: all logged).
    """
    state = _state
    if state is None:
        logger.warning("spyglass.feedback called before spyglass.init; ignored")
        return False
    trace_id = trace_id or (None if request_id else current_trace_id())
    if not trace_id and not request_id:
        logger.warning("spyglass.feedback needs trace_id or request_id (or a current span); ignored")
        return False
    if thumbs is not None and thumbs not in ("up", "down"):
        logger.warning("spyglass.feedback: thumbs must be 'up' or 'down', got %r; ignored", thumbs)
        return False
    payload: dict[str, Any] = {"source": source}
    for key, value in (
        ("trace_id", trace_id),
        ("request_id", request_id),
        ("score", score),
        ("thumbs", thumbs),
        ("comment", comment),
        ("kind", kind),
    ):
        if value is not None:
            payload[key] = value
    if score is not None:
        payload["score"] = float(score)
    if metadata:
        payload["metadata"] = dict(metadata)
    return state.feedback.submit(payload)


def current_span_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.span_id, "016x") if ctx.is_valid else None
