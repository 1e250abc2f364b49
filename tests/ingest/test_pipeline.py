"""normalize_request / enrich / encode_*: repairs, caps, failure isolation, OTLP answers."""

from __future__ import annotations

import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spyglass.ingest import pipeline
from spyglass.ingest.decode import decode_request
from spyglass.ingest.normalize import NORMALIZERS
from spyglass.ingest.pipeline import (
    MAX_ATTRIBUTE_CHARS,
    encode_error,
    encode_response,
    enrich,
    normalize_request,
)
from spyglass.model import LlmSpan, SpanKind, StatusCode
from tests.ingest.otlp_builders import T0, TRACE, ingest, ingest_specs, one, proto_body, span_id

pytestmark = pytest.mark.unit


def test_identity_timing_status_and_resource() -> None:
    parent = span_id()
    span = one(
        {
            "name": "chat",
            "parent": parent,
            "start": T0,
            "end": T0 + 2_000_000,
            "status": 2,
            "status_message": "boom",
            "attrs": {"x.unknown": [1, 2], "odd": {"nested": True}},
        },
        resource={
            "service.name": "checkout",
            "deployment.environment.name": "prod",
            "service.version": "1.2.3",
        },
    )
    assert span.project_id == "proj" and span.trace_id == TRACE and span.parent_span_id == parent
    assert span.duration_ms == 2.0
    assert span.status is StatusCode.ERROR and span.status_message == "boom"
    assert (span.service_name, span.environment, span.release) == ("checkout", "prod", "1.2.3")
    assert span.attributes == {"x.unknown": [1, 2], "odd": {"nested": True}}  # kept as sent
    assert span.resource_attributes["service.name"] == "checkout"
    assert span.scope_name == "tests"
    assert span.kind is SpanKind.OTHER


@pytest.mark.parametrize(
    ("start", "end", "expected_duration_ns"),
    [
        (T0, 0, 0),  # missing end -> zero duration at start
        (T0, T0 - 5_000, 0),  # end before start (clock skew) -> end = start
        (0, T0, 0),  # missing start -> start = end
    ],
)
def test_broken_timing_is_repaired(start: int, end: int, expected_duration_ns: int) -> None:
    span = one({"start": start, "end": end})
    assert span.duration_ns == expected_duration_ns
    assert span.start_time_ns == T0


def test_times_beyond_int64_count_as_missing() -> None:
    (span,) = ingest(proto_body([{"start": T0, "end": 2**64 - 1, "events": [("e", 2**63 + 5, {})]}]))
    assert (span.start_time_ns, span.end_time_ns) == (T0, T0)
    assert span.events[0].time_ns == T0


def test_both_times_missing_uses_receive_time() -> None:
    (span,) = ingest(proto_body([{"start": 0, "end": 0}]))
    assert span.start_time_ns == span.end_time_ns > T0


def test_clock_skewed_child_and_missing_parent_are_kept_as_sent() -> None:
    parent = span_id()
    spans = ingest_specs(
        [
            {"name": "parent", "span_id": parent, "start": T0, "end": T0 + 1_000},
            {"name": "child", "parent": parent, "start": T0 - 50_000, "end": T0 + 500},
            {"name": "orphan", "parent": "abcdefabcdefabcd"},
        ]
    )
    assert [s.name for s in spans] == ["parent", "child", "orphan"]
    assert spans[1].start_time_ns == T0 - 50_000
    assert spans[2].parent_span_id == "abcdefabcdefabcd"


def test_huge_attribute_values_are_capped_with_marker() -> None:
    huge = "x" * (MAX_ATTRIBUTE_CHARS + 10)
    span = one({"attrs": {"big": huge, "list": ["ok", huge], "small": "s"}})
    assert span.attributes["big"].startswith("x" * 100)
    assert span.attributes["big"].endswith("…[truncated 10 chars]")
    assert len(span.attributes["big"]) < MAX_ATTRIBUTE_CHARS + 40
    assert span.attributes["list"][0] == "ok" and span.attributes["list"][1].endswith("[truncated 10 chars]")
    assert span.attributes["small"] == "s"


def test_huge_input_messages_still_normalize() -> None:
    msg = "y" * (MAX_ATTRIBUTE_CHARS + 100)
    span = one({"attrs": {"gen_ai.operation.name": "chat", "gen_ai.input.messages": msg}})
    # the capped value is no longer JSON: it is kept as a single text message, not lost
    assert span.kind is SpanKind.LLM
    assert span.input_messages and span.input_messages[0].content is not None
    assert span.input_messages[0].content.endswith("[truncated 100 chars]")


def test_long_span_name_is_truncated() -> None:
    span = one({"name": "n" * 5000})
    assert len(span.name) < 1100 and span.name.endswith("[truncated 3976 chars]")


class _Boom:
    name = "boom"

    def matches(self, src: object) -> bool:
        return True

    def apply(self, src: object, span: LlmSpan) -> None:
        raise RuntimeError("normalizer bug")


def test_a_failing_normalizer_keeps_the_span(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "NORMALIZERS", (*NORMALIZERS[:2], _Boom(), *NORMALIZERS[2:]))
    before = pipeline.stats["normalizer_failures"]
    body = proto_body([{"attrs": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}}] * 2)
    result = normalize_request(decode_request(body, "application/x-protobuf", None), "p")
    assert len(result.spans) == 2 and result.rejected == 0
    assert result.spans[0].request_model == "gpt-4o"  # later normalizers still ran
    assert pipeline.stats["normalizer_failures"] == before + 2


def test_a_failing_enricher_keeps_the_span(monkeypatch: pytest.MonkeyPatch) -> None:
    class Bad:
        name = "bad"

        def matches(self, span: LlmSpan) -> bool:
            return True

        def apply(self, span: LlmSpan) -> None:
            raise ValueError("enricher bug")

    monkeypatch.setattr(pipeline, "ENRICHERS", (Bad(), *pipeline.ENRICHERS))
    body = proto_body([{"attrs": {"gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2}}])
    result = normalize_request(decode_request(body, "application/x-protobuf", None), "p")
    enrich(result.spans)  # must not raise
    assert result.spans[0].total_tokens == 7


def test_odd_attribute_values_never_drop_a_span() -> None:
    span = one(
        {
            "attrs": {
                "gen_ai.operation.name": ["not", "a", "string"],
                "gen_ai.usage.input_tokens": "lots",
                "gen_ai.input.messages": "{not json",
                "gen_ai.output.messages": 42,
                "llm.invocation_parameters": "[1,2]",
                "llm.input_messages.x.message.role": "user",
                "openinference.span.kind": 7,
                "gen_ai.response.finish_reasons": {"a": 1},
                "spyglass.ttft_ms": "fast",
                "spyglass.span.kind": "spaceship",
                "metadata": "not json",
                "tag.tags": 5,
                "traceloop.association.properties.user_id": b"\xff",
            }
        }
    )
    assert span.trace_id == TRACE
    assert span.input_tokens is None and span.ttft_ms is None


def test_encode_response_protobuf_and_json() -> None:
    body, ctype = encode_response("protobuf", 0, None)
    assert ctype == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(body).HasField("partial_success")
    body, ctype = encode_response("protobuf", 3, "bad ids")
    resp = ExportTraceServiceResponse.FromString(body)
    assert resp.partial_success.rejected_spans == 3 and resp.partial_success.error_message == "bad ids"
    body, ctype = encode_response("json", 0, None)
    assert (orjson.loads(body), ctype) == ({}, "application/json")
    body, _ = encode_response("json", 2, "x")
    assert orjson.loads(body) == {"partialSuccess": {"rejectedSpans": "2", "errorMessage": "x"}}


def test_encode_error_is_google_rpc_status() -> None:
    body, ctype = encode_error("protobuf", 400, "invalid protobuf: x")
    status = status_pb2.Status.FromString(body)
    assert ctype == "application/x-protobuf" and status.code == 3 and status.message == "invalid protobuf: x"
    body, ctype = encode_error("json", 413, "too big")
    assert ctype == "application/json" and orjson.loads(body) == {"code": 8, "message": "too big"}


def test_result_unpacks_as_a_tuple() -> None:
    spans, rejected, errors = normalize_request(
        decode_request(proto_body([{}]), "application/x-protobuf", None), "p"
    )
    assert (len(spans), rejected, errors) == (1, 0, [])


def test_rejection_message_is_bounded() -> None:
    specs = [{"trace_id": "0" * 32} for _ in range(50)]
    result = normalize_request(decode_request(proto_body(specs), "application/x-protobuf", None), "p")
    assert result.rejected == 50 and len(result.errors) == pipeline.MAX_ERROR_MESSAGES
    assert (result.message() or "").endswith("and 30 more")
