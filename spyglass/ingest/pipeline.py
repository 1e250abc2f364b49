"""The ingest pipeline: decoded OTLP -> canonical ``LlmSpan`` -> enriched, plus OTLP answers.

Contract (the server calls exactly these):

- ``decode_request`` / ``decode_proto_request`` (re-exported from ``decode``) raise
  ``IngestError`` only for an unreadable request.
- ``normalize_request(decoded, project_id) -> NormalizeResult(spans, rejected, errors)``: one
  span in, at most one span out. Only a span whose identity is unusable (trace id not 16
  non-zero bytes / 32 hex characters, span id not 8 / 16) is rejected,
  counted, and described in ``errors`` (first ``MAX_ERROR_MESSAGES`` messages); the rest of
  the batch is kept. A normalizer that raises on a span is logged and counted
  (``normalizer_failures``), and the span is kept with what was mapped.
- ``enrich(spans)`` derives fields in place and never raises (same failure policy).
- ``encode_response`` / ``encode_error`` build the OTLP answer in the request's encoding.

Repairs instead of rejections (the data is kept, fixed sensibly):

- end time missing (0) -> end = start (zero duration); start missing -> start = end; both
  missing -> both = the time the request was received;
- end before start (clock skew inside one span) -> end = start;
- a time beyond int64 nanoseconds (fixed64 on the wire; after year 2262), or one that is not
  an integer (OTLP/JSON), counts as missing; every repair is named in the span's
  ``spyglass.ingest.repairs`` attribute (see ``ingest.bounds`` for the other values' rules);
  an event without a usable time gets the span's start; skew *between* parent and
  child is left as sent (the UI shows it; we don't guess whose clock is right);
- a parent span id that is malformed or all zeros -> the span becomes a root;
- a missing parent (not in this batch, or never sent) is fine: spans are stored as they come.

Size caps (values are kept, only truncated; limits per value; attribute values are capped
while decoding, so every stage sees the capped value):

- an attribute or event attribute string over ``MAX_ATTRIBUTE_CHARS`` (1 MiB of characters)
  keeps its first 1 MiB plus the marker ``…[truncated N chars]``; bytes values likewise
  (``MAX_ATTRIBUTE_BYTES``, marker bytes ``…[truncated N bytes]``); strings inside list values
  are capped the same way;
- span names over ``MAX_NAME_CHARS`` (1,024) are truncated with the same marker;
- more than ``MAX_EVENTS`` (1,000) events: the first 1,000 are kept (first-chunk and
  exception events come first in practice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spyglass.ingest import bounds
from spyglass.ingest.decode import decode_proto_request, decode_request
from spyglass.ingest.enrich import ENRICHERS
from spyglass.ingest.errors import IngestError
from spyglass.ingest.normalize import NORMALIZERS, Normalizer, SpanSource
from spyglass.ingest.raw import (
    MAX_ATTRIBUTE_BYTES,
    MAX_ATTRIBUTE_CHARS,
    STATUS_ERROR,
    STATUS_OK,
    DecodedRequest,
    RawEvent,
    RawSpan,
)
from spyglass.model import LlmSpan, SpanEvent, SpanKind, StatusCode

__all__ = [
    "MAX_ATTRIBUTE_BYTES",
    "MAX_ATTRIBUTE_CHARS",
    "IngestError",
    "NormalizeResult",
    "decode_proto_request",
    "decode_request",
    "encode_error",
    "encode_response",
    "enrich",
    "normalize_request",
    "stats",
]

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 1024
MAX_TIME_NS = 2**63 - 1
MAX_EVENTS = 1000
MAX_ERROR_MESSAGES = 20

PROTOBUF_CONTENT_TYPE = "application/x-protobuf"
JSON_CONTENT_TYPE = "application/json"

_STATUS = {STATUS_OK: StatusCode.OK, STATUS_ERROR: StatusCode.ERROR}

# Process-wide failure counters (the server exports them as metrics).
stats: dict[str, int] = {"normalizer_failures": 0, "enricher_failures": 0, "rejected_spans": 0}


@dataclass
class NormalizeResult:
    spans: list[LlmSpan]
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    # rejections by reason class (``identity``: unusable ids; ``internal``: a failure of ours
    # pinned on that span), for the ``spyglass_spans_rejected_total{reason}`` metric
    reasons: dict[str, int] = field(default_factory=dict)

    def reject(self, message: str, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if len(self.errors) < MAX_ERROR_MESSAGES:
            self.errors.append(message)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as ``spans, rejected, errors`` (the tuple form docs/architecture.md shows)."""
        return iter((self.spans, self.rejected, self.errors))

    def message(self) -> str | None:
        """One line for the OTLP partial-success ``error_message``."""
        if not self.errors:
            return None
        more = self.rejected - len(self.errors)
        text = "; ".join(self.errors)
        return f"{text}; and {more} more" if more > 0 else text


def normalize_request(decoded: DecodedRequest, project_id: str) -> NormalizeResult:
    """Every decoded span -> one ``LlmSpan`` (or a counted rejection); see the module doc."""
    result = NormalizeResult(spans=[])
    received_ns = time.time_ns()
    for group in decoded.resource_spans:
        resource = group.resource_attributes
        for scope in group.scope_spans:
            for raw in scope.spans:
                if raw.problem is not None:
                    result.reject(f"rejected span: {raw.problem}", "identity")
                    continue
                try:
                    span = _normalize_span(raw, project_id, resource, scope.scope_name, received_ns)
                except Exception as exc:  # a bug of ours on this span: it alone is lost, counted
                    _log_failure("normalize", "span", exc, raw.trace_id, raw.span_id)
                    result.reject(
                        f"rejected span {raw.trace_id}/{raw.span_id}: internal: cannot normalize it "
                        f"({type(exc).__name__})",
                        "internal",
                    )
                    continue
                result.spans.append(span)
    stats["rejected_spans"] += result.rejected
    for warning in decoded.warnings:
        if len(result.errors) < MAX_ERROR_MESSAGES:
            result.errors.append(warning)
    return result


def _normalize_span(
    raw: RawSpan, project_id: str, resource: dict[str, Any], scope_name: str | None, received_ns: int
) -> LlmSpan:
    span = _base_span(raw, project_id, resource, scope_name, received_ns)
    src, plan = _plan(raw, resource)
    for normalizer in plan:
        try:
            normalizer.apply(src, span)
        except Exception as exc:
            stats["normalizer_failures"] += 1
            _log_failure("normalizer", normalizer.name, exc, raw.trace_id, raw.span_id)
    _finish(span)
    bounds.check_span(span)
    return span


# Which normalizers match depends only on the attribute *names* (and whether GenAI events are
# present), and spans from one instrumentation share their names: the match result is cached
# per name tuple, so the per-span cost of matching is one tuple hash.
_PlanKey = tuple[tuple[str, ...], bool]
_plans: dict[_PlanKey, tuple[set[str], tuple[Normalizer, ...]]] = {}
_plans_for: tuple[Normalizer, ...] | None = None
_MAX_PLANS = 4096


def _plan(raw: RawSpan, resource: dict[str, Any]) -> tuple[SpanSource, tuple[Normalizer, ...]]:
    global _plans_for
    if _plans_for is not NORMALIZERS:  # the registry changed (tests patch it): start afresh
        _plans.clear()
        _plans_for = NORMALIZERS
    events = raw.events
    key = (tuple(raw.attributes), bool(events) and any(ev.name.startswith("gen_ai.") for ev in events))
    cached = _plans.get(key)
    if cached is not None:
        return SpanSource(raw, resource, cached[0]), cached[1]
    src = SpanSource(raw, resource)
    matched = []
    for normalizer in NORMALIZERS:
        try:
            if normalizer.matches(src):
                matched.append(normalizer)
        except Exception as exc:
            stats["normalizer_failures"] += 1
            _log_failure("normalizer", normalizer.name, exc, raw.trace_id, raw.span_id)
    plan = tuple(matched)
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    _plans[key] = (src.namespaces, plan)
    return src, plan


def enrich(spans: list[LlmSpan]) -> None:
    """Derive cost, TTFT, refusal, error class, schema validity … in place, then hold the
    derived fields to the bounds (``bounds.check_derived``). Never raises."""
    for span in spans:
        for enricher in ENRICHERS:
            try:
                if enricher.matches(span):
                    enricher.apply(span)
            except Exception as exc:
                stats["enricher_failures"] += 1
                _log_failure("enricher", enricher.name, exc, span.trace_id, span.span_id)
        try:
            bounds.check_derived(span)
        except Exception as exc:
            stats["enricher_failures"] += 1
            _log_failure("enricher", "bounds", exc, span.trace_id, span.span_id)


def encode_response(encoding: str, rejected: int, message: str | None) -> tuple[bytes, str]:
    """The 200 answer: ``ExportTraceServiceResponse``, with ``partial_success`` when spans were
    rejected or there is a warning to report (OTLP allows rejected=0 with a message)."""
    if encoding == "protobuf":
        resp = ExportTraceServiceResponse()
        if rejected > 0 or message:
            resp.partial_success.rejected_spans = rejected
            resp.partial_success.error_message = message or ""
        return resp.SerializeToString(), PROTOBUF_CONTENT_TYPE
    body: dict[str, Any] = {}
    if rejected > 0 or message:
        # int64 as a decimal string, per the proto3 JSON mapping OTLP/JSON follows
        body["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message or ""}
    return orjson.dumps(body), JSON_CONTENT_TYPE


# HTTP status -> google.rpc.Code, for the Status body OTLP asks for on errors.
_GRPC_CODES = {400: 3, 413: 8, 415: 3, 401: 16, 403: 7, 404: 5, 429: 8, 500: 13, 502: 14, 503: 14, 504: 14}


def encode_error(encoding: str, status: int, message: str) -> tuple[bytes, str]:
    """An error body: ``google.rpc.Status`` for protobuf clients, its JSON form otherwise."""
    code = _GRPC_CODES.get(status, 2)
    if encoding == "protobuf":
        return status_pb2.Status(code=code, message=message).SerializeToString(), PROTOBUF_CONTENT_TYPE
    return orjson.dumps({"code": code, "message": message}), JSON_CONTENT_TYPE


# --------------------------------------------------------------------------- helpers

_logged_failures: set[tuple[str, str, str]] = set()


def _log_failure(stage: str, name: str, exc: Exception, trace_id: str, span_id: str) -> None:
    """Full traceback the first time a stage fails with a given error, one line afterwards:
    a bug that hits every span must not turn into a traceback per span."""
    key = (stage, name, type(exc).__name__)
    if key in _logged_failures:
        log.warning("%s %s failed on span %s/%s (%s); span kept", stage, name, trace_id, span_id, exc)
        return
    _logged_failures.add(key)
    log.exception("%s %s failed on span %s/%s; span kept", stage, name, trace_id, span_id)


def _base_span(
    raw: RawSpan, project_id: str, resource: dict[str, Any], scope_name: str | None, received_ns: int
) -> LlmSpan:
    start, end = raw.start_time_ns, raw.end_time_ns
    repairs: list[tuple[str, int, str]] | None = None
    if not (0 < start <= end <= MAX_TIME_NS):  # anything else is repaired (see the module doc)
        repairs = []
        # fixed64 on the wire: beyond int64 (year 2262) cannot be stored and is no real time
        sent_start, sent_end = start, end
        if start > MAX_TIME_NS:
            start = 0
        if end > MAX_TIME_NS:
            end = 0
        if start <= 0 and end <= 0:
            start = end = received_ns
            repairs.append(("start_time_ns", sent_start, "missing or after 2262; set to the receive time"))
            repairs.append(("end_time_ns", sent_end, "missing or after 2262; set to the receive time"))
        elif start <= 0:
            start = end
            repairs.append(("start_time_ns", sent_start, "missing or after 2262; set to the end time"))
        elif end <= 0:
            end = start
            repairs.append(("end_time_ns", sent_end, "missing or after 2262; set to the start time"))
        elif end < start:
            end = start
            repairs.append(("end_time_ns", sent_end, "before the start; set to the start time"))
    name = raw.name
    if len(name) > MAX_NAME_CHARS:
        name = _truncate(name, MAX_NAME_CHARS)
    events = raw.events
    if len(events) > MAX_EVENTS:
        events = events[:MAX_EVENTS]
    span = LlmSpan(
        project_id=project_id,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        parent_span_id=raw.parent_span_id,
        name=name,
        kind=SpanKind.OTHER,
        start_time_ns=start,
        end_time_ns=end,
        status=_STATUS.get(raw.status_code, StatusCode.UNSET),
        status_message=raw.status_message,
        attributes=raw.attributes,
        resource_attributes=resource,
        scope_name=scope_name,
        events=[_event(ev, start) for ev in events],
    )
    for field_name, value, action in (*(raw.notes or ()), *(repairs or ())):
        bounds.note_repair(span, field_name, value, action)
    return span


def _event(ev: RawEvent, start_ns: int) -> SpanEvent:
    t = ev.time_ns
    return SpanEvent(ev.name, t if 0 < t <= MAX_TIME_NS else start_ns, ev.attributes)


def _truncate(text: str, limit: int) -> str:
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def _finish(span: LlmSpan) -> None:
    """Cross-convention defaults once every normalizer has run."""
    if span.kind is SpanKind.OTHER and (
        span.request_model is not None or span.response_model is not None or span.input_messages
    ):
        span.kind = SpanKind.LLM
    meta = span.metadata
    if meta:
        if span.tenant_id is None:
            for key in ("tenant_id", "tenant"):
                if (v := meta.get(key)) is not None:
                    span.tenant_id = str(v)
                    break
        if span.feature is None and (v := meta.get("feature")) is not None:
            span.feature = str(v)
        if span.session_id is None and (v := meta.get("session_id")) is not None:
            span.session_id = str(v)
        if span.user_id is None and (v := meta.get("user_id")) is not None:
            span.user_id = str(v)
    if span.kind is SpanKind.TOOL and span.tool_status is None and span.status is not StatusCode.UNSET:
        span.tool_status = "error" if span.status is StatusCode.ERROR else "ok"
    elif span.kind is SpanKind.TOOL and span.tool_status is None:
        span.tool_status = "ok"
