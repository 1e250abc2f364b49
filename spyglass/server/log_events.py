"""GenAI events sent as OTLP *log records*, joined to the span they belong to.

OTel GenAI instrumentations put message content in log events rather than on the span in
two cases: semconv ≤ 1.36 (``gen_ai.user.message``, ``gen_ai.choice`` …) and the current
``EVENT_ONLY`` capture mode (``gen_ai.client.inference.operation.details``). Each record
carries the trace and span id of its span. ``LogEventJoiner`` keeps such records for a while
(keyed by project, trace id and span id) and, when the span arrives on ``/v1/traces``, adds
them to it as span events *before* normalization, so the GenAI normalizer reads them exactly
as if the instrumentation had put them on the span.

Limits, on purpose:
- Only records whose event name starts with ``gen_ai.`` and that carry a trace and span id
  are kept; other logs are counted and dropped (Spyglass is not a log store).
- Join works when the logs arrive *before* their span, which is the SDK default (logs are
  batched every 1 s, spans every 5 s). Events arriving after their span was stored are
  counted as ``late`` and dropped: stored spans are immutable (idempotent writes).
- At most ``max_events`` events are held, each for at most ``ttl_s``; beyond that the oldest
  are dropped (counted as ``expired``).

Thread-safe: ``add_*`` run on the event loop or in worker threads, ``attach`` in the ingest
worker threads; one lock guards the buffer.
"""

from __future__ import annotations

import base64
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from spyglass.ingest.errors import IngestError
from spyglass.ingest.raw import DecodedRequest, RawEvent

EVENT_PREFIX = "gen_ai."
_Key = tuple[str, str, str]  # project_id, trace_id, span_id


@dataclass(slots=True)
class JoinStats:
    """Running totals (read by /metrics without the lock: plain ints)."""

    received: int = 0  # log records seen
    buffered: int = 0  # GenAI events kept for a span
    attached: int = 0  # events added to an arriving span
    expired: int = 0  # dropped by TTL or the size cap before their span came
    ignored: int = 0  # not a GenAI event, or no trace/span id


class LogEventJoiner:
    def __init__(
        self, *, ttl_s: float = 300.0, max_events: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_events = max_events
        self.stats = JoinStats()
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (deadline, events); insertion order = age, so expiry pops from the front.
        self._pending: OrderedDict[_Key, tuple[float, list[RawEvent]]] = OrderedDict()
        self._size = 0

    # ---- intake -------------------------------------------------------------------------

    def add_http_body(
        self,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
        max_bytes: int,
        project_id: str,
    ) -> int:
        """Read one OTLP/HTTP ``/v1/logs`` body; returns the number of events kept.
        Raises ``IngestError`` (400/413/415) for a body that cannot be read."""
        data = _decompress(body, content_encoding, max_bytes)
        media = (content_type or "").split(";")[0].strip().lower()
        if media == "application/json" or (not media and data[:1] == b"{"):
            return self._add(_json_records(data), project_id)
        if media and media not in ("application/x-protobuf", "application/protobuf"):
            raise IngestError(415, f"unsupported content type {content_type!r} for /v1/logs")
        try:
            request = ExportLogsServiceRequest.FromString(data)
        except DecodeError as exc:
            raise IngestError(400, f"body is not an OTLP ExportLogsServiceRequest: {exc}") from None
        return self.add_proto(request, project_id)

    def add_proto(self, request: ExportLogsServiceRequest, project_id: str) -> int:
        return self._add(_proto_records(request), project_id)

    def _add(self, records: list[tuple[str, str, RawEvent | None]], project_id: str) -> int:
        kept = 0
        now = self._clock()
        with self._lock:
            self.stats.received += len(records)
            for trace_id, span_id, event in records:
                if event is None or not trace_id or not span_id:
                    self.stats.ignored += 1
                    continue
                key = (project_id, trace_id, span_id)
                entry = self._pending.get(key)
                if entry is None:
                    self._pending[key] = (now + self.ttl_s, [event])
                else:
                    entry[1].append(event)
                self._size += 1
                kept += 1
            self.stats.buffered += kept
            self._expire(now)
        return kept

    def _expire(self, now: float) -> None:
        while self._pending:
            key, (deadline, events) = next(iter(self._pending.items()))
            if deadline > now and self._size <= self.max_events:
                return
            del self._pending[key]
            self._size -= len(events)
            self.stats.expired += len(events)

    # ---- join ---------------------------------------------------------------------------

    def attach(self, decoded: DecodedRequest, project_id: str) -> int:
        """Add held events to the spans of ``decoded`` (in time order); returns how many."""
        if not self._pending:  # the common case: nothing held, no lock taken
            return 0
        attached = 0
        with self._lock:
            for group in decoded.resource_spans:
                for scope in group.scope_spans:
                    for span in scope.spans:
                        entry = self._pending.pop((project_id, span.trace_id, span.span_id), None)
                        if entry is None:
                            continue
                        events = entry[1]
                        self._size -= len(events)
                        span.events = sorted([*span.events, *events], key=lambda e: e.time_ns)
                        attached += len(events)
            self.stats.attached += attached
        return attached

    @property
    def pending_events(self) -> int:
        return self._size


# ---- wire -> (trace_id, span_id, RawEvent | None) ------------------------------------------


def _event(name: str, time_ns: int, attributes: dict[str, Any], body: Any) -> RawEvent | None:
    if not name.startswith(EVENT_PREFIX):
        return None
    attrs = dict(attributes)
    attrs.pop("event.name", None)
    if isinstance(body, dict):
        attrs = {**body, **attrs}  # ≤1.36 events carry the message in the body
    elif body is not None:
        attrs.setdefault("body", body)
    return RawEvent(name=name, time_ns=time_ns, attributes=attrs)


def _proto_any(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "kvlist_value":
        return {kv.key: _proto_any(kv.value) for kv in v.kvlist_value.values}
    if kind == "array_value":
        return [_proto_any(x) for x in v.array_value.values]
    return getattr(v, kind)


def _proto_records(request: ExportLogsServiceRequest) -> list[tuple[str, str, RawEvent | None]]:
    out: list[tuple[str, str, RawEvent | None]] = []
    for rl in request.resource_logs:
        for sl in rl.scope_logs:
            for rec in sl.log_records:
                attrs = {kv.key: _proto_any(kv.value) for kv in rec.attributes}
                name = rec.event_name or str(attrs.get("event.name") or "")
                body = _proto_any(rec.body) if rec.HasField("body") else None
                time_ns = rec.time_unix_nano or rec.observed_time_unix_nano
                trace_id = rec.trace_id.hex() if len(rec.trace_id) == 16 and any(rec.trace_id) else ""
                span_id = rec.span_id.hex() if len(rec.span_id) == 8 and any(rec.span_id) else ""
                out.append((trace_id, span_id, _event(name, time_ns, attrs, body)))
    return out


def _json_any(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    for key, value in v.items():
        if key in ("stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value"):
            return value
        if key in ("intValue", "int_value"):
            return int(value)
        if key in ("bytesValue", "bytes_value"):
            return base64.b64decode(value)
        if key in ("arrayValue", "array_value"):
            return [_json_any(x) for x in (value or {}).get("values", [])]
        if key in ("kvlistValue", "kvlist_value"):
            return {kv.get("key"): _json_any(kv.get("value")) for kv in (value or {}).get("values", [])}
    return None


def _json_id(v: Any, n_hex: int) -> str:
    if isinstance(v, str) and len(v) == n_hex:
        try:
            int(v, 16)
        except ValueError:
            return ""
        return v.lower() if v.strip("0") else ""
    return ""


def _json_records(data: bytes) -> list[tuple[str, str, RawEvent | None]]:
    try:
        doc = orjson.loads(data)
        out: list[tuple[str, str, RawEvent | None]] = []
        for rl in doc.get("resourceLogs") or doc.get("resource_logs") or []:
            for sl in rl.get("scopeLogs") or rl.get("scope_logs") or []:
                for rec in sl.get("logRecords") or sl.get("log_records") or []:
                    attrs = {kv.get("key"): _json_any(kv.get("value")) for kv in rec.get("attributes") or []}
                    name = rec.get("eventName") or rec.get("event_name") or str(attrs.get("event.name") or "")
                    time_ns = int(rec.get("timeUnixNano") or rec.get("observedTimeUnixNano") or 0)
                    body = _json_any(rec.get("body")) if rec.get("body") is not None else None
                    out.append(
                        (
                            _json_id(rec.get("traceId") or rec.get("trace_id"), 32),
                            _json_id(rec.get("spanId") or rec.get("span_id"), 16),
                            _event(name, time_ns, attrs, body),
                        )
                    )
        return out
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
        raise IngestError(400, f"body is not OTLP/JSON logs: {exc}") from None


def _decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        data = body
    elif encoding in ("gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
        try:
            data = inflater.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise IngestError(400, f"body is not valid {encoding}: {exc}") from None
    else:
        raise IngestError(415, f"unsupported content encoding {content_encoding!r}")
    if len(data) > max_bytes:
        raise IngestError(413, f"decompressed body exceeds {max_bytes} bytes")
    return data
