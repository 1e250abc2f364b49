"""Build OTLP trace requests (protobuf bytes or OTLP/JSON bytes) from compact span specs,
and run them through the ingest pipeline. Test helper only.

A span spec is a dict: ``name``, ``attrs`` (plain Python values), optional ``trace_id``,
``span_id``, ``parent``, ``start``/``end`` (ns), ``status`` (0/1/2), ``status_message``,
``events`` ([(name, time_ns, attrs)]), ``kind`` (int).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from spyglass.ingest.pipeline import decode_request, enrich, normalize_request
from spyglass.model import LlmSpan

T0 = 1_763_000_000_000_000_000
TRACE = "0af7651916cd43dd8448eb211c80319c"
_ids = itertools.count(1)


def span_id() -> str:
    return f"{next(_ids):016x}"


def any_value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    if isinstance(v, bytes):
        return AnyValue(bytes_value=v)
    if isinstance(v, (list, tuple)):
        av = AnyValue()
        av.array_value.values.extend(any_value(x) for x in v)
        return av
    if isinstance(v, dict):
        av = AnyValue()
        av.kvlist_value.values.extend(KeyValue(key=k, value=any_value(x)) for k, x in v.items())
        return av
    return AnyValue(string_value=str(v))


def json_any(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        if not math.isfinite(v):  # proto3 JSON spells these as strings
            return {"doubleValue": "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")}
        return {"doubleValue": v}
    if isinstance(v, bytes):
        import base64

        return {"bytesValue": base64.b64encode(v).decode()}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [json_any(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": json_any(x)} for k, x in v.items()]}}
    return {"stringValue": str(v)}


def _norm(spec: dict[str, Any]) -> dict[str, Any]:
    s = dict(spec)
    s.setdefault("trace_id", TRACE)
    s.setdefault("span_id", span_id())
    s.setdefault("start", T0)
    s.setdefault("end", s["start"] + 1_500_000_000)
    s.setdefault("attrs", {})
    s.setdefault("events", [])
    s.setdefault("status", 0)
    s.setdefault("kind", 3)
    s.setdefault("name", "span")
    return s


def proto_body(specs: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> bytes:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.extend(
        KeyValue(key=k, value=any_value(v)) for k, v in (resource or {"service.name": "svc"}).items()
    )
    ss = rs.scope_spans.add()
    ss.scope.name = "tests"
    for spec in map(_norm, specs):
        sp = ss.spans.add()
        sp.trace_id = bytes.fromhex(spec["trace_id"])
        sp.span_id = bytes.fromhex(spec["span_id"])
        if spec.get("parent"):
            sp.parent_span_id = bytes.fromhex(spec["parent"])
        sp.name = spec["name"]
        sp.kind = spec["kind"]
        sp.start_time_unix_nano = spec["start"]
        sp.end_time_unix_nano = spec["end"]
        sp.status.code = spec["status"]
        if spec.get("status_message"):
            sp.status.message = spec["status_message"]
        sp.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in spec["attrs"].items())
        for name, t, attrs in spec["events"]:
            ev = sp.events.add()
            ev.name = name
            ev.time_unix_nano = t
            ev.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in attrs.items())
    return req.SerializeToString()


def json_body(specs: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> bytes:
    spans = []
    for spec in map(_norm, specs):
        sp: dict[str, Any] = {
            "traceId": spec["trace_id"],
            "spanId": spec["span_id"],
            "name": spec["name"],
            "kind": spec["kind"],
            "startTimeUnixNano": str(spec["start"]),
            "endTimeUnixNano": str(spec["end"]),
            "attributes": [{"key": k, "value": json_any(v)} for k, v in spec["attrs"].items()],
            "events": [
                {
                    "name": n,
                    "timeUnixNano": str(t),
                    "attributes": [{"key": k, "value": json_any(v)} for k, v in a.items()],
                }
                for n, t, a in spec["events"]
            ],
            "status": {
                "code": spec["status"],
                **({"message": spec["status_message"]} if spec.get("status_message") else {}),
            },
        }
        if spec.get("parent"):
            sp["parentSpanId"] = spec["parent"]
        spans.append(sp)
    res = resource or {"service.name": "svc"}
    doc = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": k, "value": json_any(v)} for k, v in res.items()]},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": spans}],
            }
        ]
    }
    return orjson.dumps(doc)


def ingest(
    body: bytes, content_type: str = "application/x-protobuf", encoding: str | None = None
) -> list[LlmSpan]:
    decoded = decode_request(body, content_type, encoding)
    result = normalize_request(decoded, "proj")
    enrich(result.spans)
    return result.spans


def ingest_specs(specs: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> list[LlmSpan]:
    """Through protobuf AND JSON; asserts both encodings give the same spans."""
    specs = [_norm(s) for s in specs]
    via_proto = ingest(proto_body(specs, resource))
    via_json = ingest(json_body(specs, resource), "application/json")
    assert via_proto == via_json
    return via_proto


def one(spec: dict[str, Any], resource: dict[str, Any] | None = None) -> LlmSpan:
    (span,) = ingest_specs([spec], resource)
    return span
