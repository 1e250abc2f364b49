"""Hand-built OTLP requests and API read-back helpers for the server tests."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def llm_attributes(
    model: str = "gpt-4o-mini", prompt: str = "hello", answer: str = "hi there"
) -> dict[str, Any]:
    """OTel GenAI (current semconv) attributes of one chat call."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model + "-2024-07-18",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.response.finish_reasons": '["stop"]',
        "gen_ai.input.messages": f'[{{"role":"user","parts":[{{"type":"text","content":"{prompt}"}}]}}]',
        "gen_ai.output.messages": (
            f'[{{"role":"assistant","parts":[{{"type":"text","content":"{answer}"}}],"finish_reason":"stop"}}]'
        ),
    }


def proto_request(
    spans: list[tuple[str, str, str | None, str]],
    service: str = "svc",
    attributes: dict[str, Any] | None = None,
) -> ExportTraceServiceRequest:
    """One request holding ``(trace_id, span_id, parent_span_id, name)`` spans, all LLM calls."""
    now = time.time_ns()
    attrs = [_kv(k, v) for k, v in (attributes or llm_attributes()).items()]
    pb_spans = [
        Span(
            trace_id=bytes.fromhex(t),
            span_id=bytes.fromhex(s),
            parent_span_id=bytes.fromhex(p) if p else b"",
            name=name,
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=now - 2_000_000_000,
            end_time_unix_nano=now - 1_000_000_000,
            attributes=attrs,
        )
        for t, s, p, name in spans
    ]
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource={"attributes": [_kv("service.name", service)]},
                scope_spans=[ScopeSpans(scope={"name": "tests"}, spans=pb_spans)],
            )
        ]
    )


def json_request(trace_id: str, span_ids: list[str], name: str = "chat gpt-4o-mini") -> dict[str, Any]:
    """OTLP/JSON as the spec writes it: hex ids, string int64s, AnyValue wrappers."""
    now = time.time_ns()
    attrs = []
    for k, v in llm_attributes().items():
        key = "intValue" if isinstance(v, int) else "stringValue"
        attrs.append({"key": k, "value": {key: str(v) if key == "intValue" else v}})
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "hand"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": sid,
                                "name": name,
                                "kind": 3,
                                "startTimeUnixNano": str(now - 2_000_000_000),
                                "endTimeUnixNano": str(now - 1_000_000_000),
                                "attributes": attrs,
                            }
                            for sid in span_ids
                        ],
                    }
                ],
            }
        ]
    }


def headers(key: str, content_type: str = "application/x-protobuf", **extra: str) -> dict[str, str]:
    return {"x-api-key": key, "content-type": content_type, **extra}


def get_trace(url: str, key: str, trace_id: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/traces/{trace_id}", headers={"x-api-key": key}, timeout=10)


def wait_for_trace(
    url: str, key: str, trace_id: str, spans: int = 1, timeout_s: float = 10.0
) -> dict[str, Any]:
    """The trace detail once it holds ``spans`` spans (exporters may send in several batches)."""
    deadline = time.monotonic() + timeout_s
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        last = get_trace(url, key, trace_id)
        if last.status_code == 200 and len(last.json()["spans"]) >= spans:
            return dict(last.json())
        time.sleep(0.1)
    raise AssertionError(
        f"trace {trace_id} not stored: {last.status_code if last else None} {last.text if last else ''}"
    )


def iter_span_ids(url: str, key: str, q: str = "") -> Iterator[tuple[str, str]]:
    """Every stored (trace_id, span_id) of the key's project, paging through /api/v1/spans."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"start": "0", "end": "now", "limit": 500, "q": q}
        if cursor:
            params["cursor"] = cursor
        resp = httpx.get(f"{url}/api/v1/spans", params=params, headers={"x-api-key": key}, timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        for item in body["items"]:
            yield item["trace_id"], item["span_id"]
        cursor = body.get("next_cursor")
        if not cursor:
            return


def trace_span_counts(url: str, key: str) -> dict[str, int]:
    """trace_id -> span_count of every stored trace of the key's project (paging /api/v1/traces)."""
    counts: dict[str, int] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"start": "0", "end": "now", "limit": 500}
        if cursor:
            params["cursor"] = cursor
        resp = httpx.get(f"{url}/api/v1/traces", params=params, headers={"x-api-key": key}, timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        counts.update({item["trace_id"]: item["span_count"] for item in body["items"]})
        cursor = body.get("next_cursor")
        if not cursor:
            return counts
