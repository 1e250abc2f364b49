"""Decoding OTLP bodies: content types, encodings, limits, odd JSON, invalid UTF-8, bad ids."""

from __future__ import annotations

import base64
import gzip
import zlib

import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from spyglass.ingest.decode import decode_proto_request, decode_request
from spyglass.ingest.errors import IngestError
from spyglass.ingest.pipeline import normalize_request
from tests.ingest.otlp_builders import TRACE, ingest, json_body, proto_body

pytestmark = pytest.mark.unit

SPEC = {"name": "chat", "span_id": "00f067aa0ba902b7", "attrs": {"gen_ai.operation.name": "chat", "n": 3}}


def _spans(decoded):  # type: ignore[no-untyped-def]
    return [sp for rs in decoded.resource_spans for ss in rs.scope_spans for sp in ss.spans]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-protobuf",
        "Application/X-Protobuf",
        "application/x-protobuf; charset=utf-8",
        "application/protobuf",
    ],
)
def test_protobuf_content_types(content_type: str) -> None:
    decoded = decode_request(proto_body([SPEC]), content_type, None)
    assert decoded.encoding == "protobuf"
    (sp,) = _spans(decoded)
    assert sp.trace_id == TRACE and sp.span_id == "00f067aa0ba902b7"
    assert sp.attributes == {"gen_ai.operation.name": "chat", "n": 3}


@pytest.mark.parametrize("content_type", ["application/json", "APPLICATION/JSON; charset=UTF-8"])
def test_json_content_types(content_type: str) -> None:
    decoded = decode_request(json_body([SPEC]), content_type, None)
    assert decoded.encoding == "json"
    (sp,) = _spans(decoded)
    assert sp.attributes == {"gen_ai.operation.name": "chat", "n": 3}


def test_wrong_content_type_is_415() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b"hello", "text/plain", None)
    assert exc.value.status == 415 and "text/plain" in exc.value.message


def test_missing_content_type_is_sniffed() -> None:
    assert decode_request(json_body([SPEC]), None, None).encoding == "json"
    assert decode_request(proto_body([SPEC]), "", None).encoding == "protobuf"


def test_json_labelled_protobuf_is_read_but_answered_in_protobuf() -> None:
    decoded = decode_request(json_body([SPEC]), "application/x-protobuf", None)
    assert decoded.encoding == "protobuf"
    assert len(_spans(decoded)) == 1
    assert any("labelled protobuf" in w for w in decoded.warnings)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some clients send
        ("identity", lambda b: b),
    ],
)
def test_content_encodings(encoding: str, compress) -> None:  # type: ignore[no-untyped-def]
    decoded = decode_request(compress(proto_body([SPEC])), "application/x-protobuf", encoding)
    assert len(_spans(decoded)) == 1


def test_concatenated_gzip_members() -> None:
    body = json_body([SPEC])
    half = len(body) // 2
    decoded = decode_request(
        gzip.compress(body[:half]) + gzip.compress(body[half:]), "application/json", "gzip"
    )
    assert len(_spans(decoded)) == 1


def test_unsupported_encoding_is_415_naming_it() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b"x", "application/json", "br")
    assert exc.value.status == 415 and "'br'" in exc.value.message


def test_zip_bomb_is_413_without_expanding_fully() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MiB of zeros in ~50 KB
    assert len(bomb) < 100_000
    with pytest.raises(IngestError) as exc:
        decode_request(bomb, "application/x-protobuf", "gzip", max_bytes=1024 * 1024)
    assert exc.value.status == 413


def test_plain_body_over_limit_is_413() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b"{" + b" " * 2000 + b"}", "application/json", None, max_bytes=1000)
    assert exc.value.status == 413


def test_corrupt_gzip_is_400() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b"\x1f\x8b\x08\x00garbage", "application/json", "gzip")
    assert exc.value.status == 400 and "gzip" in exc.value.message


def test_truncated_gzip_is_400() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(gzip.compress(json_body([SPEC]))[:-30], "application/json", "gzip")
    assert exc.value.status == 400


def test_garbage_protobuf_is_400_with_message() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b"\xff\xff\xff\xff", "application/x-protobuf", None)
    assert exc.value.status == 400 and exc.value.message.startswith("invalid protobuf")


def test_garbage_json_is_400_naming_the_position() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b'{"resourceSpans": [}', "application/json", None)
    assert exc.value.status == 400
    assert "invalid JSON" in exc.value.message and "line 1 column" in exc.value.message


def test_json_with_wrong_structure_is_400_naming_the_path() -> None:
    with pytest.raises(IngestError) as exc:
        decode_request(b'{"resourceSpans": [{"scopeSpans": {"spans": []}}]}', "application/json", None)
    assert exc.value.status == 400 and "resourceSpans[0].scopeSpans" in exc.value.message


def test_sloppy_json_is_accepted() -> None:
    """Enum names, snake_case keys, base64 ids, numeric int64, upper-case hex."""
    trace_b64 = base64.b64encode(bytes.fromhex(TRACE)).decode()
    doc = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "spans": [
                            {
                                "trace_id": trace_b64,
                                "span_id": "00F067AA0BA902B7",
                                "parent_span_id": base64.b64encode(
                                    bytes.fromhex("1111111111111111")
                                ).decode(),
                                "name": "x",
                                "kind": "SPAN_KIND_CLIENT",
                                "start_time_unix_nano": 1_700_000_000_000_000_000,
                                "end_time_unix_nano": "1700000001000000000",
                                "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
                                "attributes": [
                                    {"key": "i", "value": {"int_value": 7}},
                                    {"key": "d", "value": {"doubleValue": "NaN"}},
                                    {
                                        "key": "b",
                                        "value": {"bytesValue": base64.b64encode(b"\x00\x01").decode()},
                                    },
                                    {
                                        "key": "kv",
                                        "value": {
                                            "kvlistValue": {
                                                "values": [{"key": "a", "value": {"boolValue": True}}]
                                            }
                                        },
                                    },
                                    {"key": "weird", "value": {"intValue": "not-a-number"}},
                                    {"key": "empty", "value": {}},
                                ],
                                "unknownField": {"ignored": True},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    (sp,) = _spans(decode_request(orjson.dumps(doc), "application/json", None))
    assert sp.trace_id == TRACE
    assert sp.span_id == "00f067aa0ba902b7"
    assert sp.parent_span_id == "1111111111111111"
    assert sp.kind == 3 and sp.status_code == 2 and sp.status_message == "boom"
    assert (sp.start_time_ns, sp.end_time_ns) == (1_700_000_000_000_000_000, 1_700_000_001_000_000_000)
    assert sp.attributes["i"] == 7
    assert sp.attributes["d"] != sp.attributes["d"]  # NaN
    assert sp.attributes["b"] == b"\x00\x01"
    assert sp.attributes["kv"] == {"a": True}
    assert sp.attributes["weird"] == "not-a-number"  # kept as sent, never dropped
    assert sp.attributes["empty"] is None


def test_json_int_beyond_int64_is_kept_as_text() -> None:
    doc = orjson.loads(json_body([{"attrs": {"small": 5}}]))
    attrs = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
    attrs.append({"key": "big", "value": {"intValue": str(2**70)}})
    (sp,) = _spans(decode_request(orjson.dumps(doc), "application/json", None))
    assert sp.attributes == {"small": 5, "big": str(2**70)}


def test_invalid_ids_reject_only_that_span() -> None:
    specs = [
        {"name": "good-1"},
        {"name": "zero-trace", "trace_id": "0" * 32},
        {"name": "zero-span", "span_id": "0" * 16},
        {"name": "good-2"},
    ]
    for body, ct in ((proto_body(specs), "application/x-protobuf"), (json_body(specs), "application/json")):
        result = normalize_request(decode_request(body, ct, None), "proj")
        assert [s.name for s in result.spans] == ["good-1", "good-2"]
        assert result.rejected == 2
        assert "spans[1].traceId" in result.errors[0] and "spans[2].spanId" in result.errors[1]


def test_json_bad_id_messages_name_the_path() -> None:
    doc = orjson.loads(json_body([{"name": "a"}, {"name": "b"}, {"name": "c"}]))
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[2]["traceId"] = "abc"
    spans[1]["startTimeUnixNano"] = "yesterday"
    result = normalize_request(decode_request(orjson.dumps(doc), "application/json", None), "proj")
    # an unreadable time is repaired like a missing one (docs/ingest.md); only ids reject
    assert [s.name for s in result.spans] == ["a", "b"] and result.rejected == 1
    assert "resourceSpans[0].scopeSpans[0].spans[2].traceId: expected 32 hex characters" in result.errors[0]
    b = result.spans[1]
    assert b.start_time_ns == b.end_time_ns
    assert (
        "start_time_ns='yesterday': not an integer; treated as missing"
        in b.attributes["spyglass.ingest.repairs"]
    )


def test_wrong_length_protobuf_ids_are_rejected() -> None:
    req = ExportTraceServiceRequest.FromString(proto_body([{"name": "ok"}, {"name": "short"}]))
    req.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x01" * 8
    result = normalize_request(decode_proto_request(req), "proj")
    assert [s.name for s in result.spans] == ["ok"] and result.rejected == 1
    assert "traceId: expected 16 non-zero bytes" in result.errors[0]


def test_malformed_parent_makes_a_root_not_a_rejection() -> None:
    doc = orjson.loads(json_body([{"name": "child", "parent": "1234567812345678"}]))
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["parentSpanId"] = "xyz"
    (span,) = ingest(orjson.dumps(doc), "application/json")
    assert span.parent_span_id is None


def test_invalid_utf8_in_protobuf_is_repaired_not_fatal() -> None:
    body = proto_body(
        [
            {"name": "bad", "attrs": {"gen_ai.input.messages": "MARKER-ok", "k": "v"}},
            {"name": "good", "attrs": {"x": "fine"}},
        ]
    )
    bad = body.replace(b"MARKER-ok", b"MARKER\xff\xfe!")  # same length: the framing stays valid
    decoded = decode_request(bad, "application/x-protobuf", None)
    spans = _spans(decoded)
    assert [s.name for s in spans] == ["bad", "good"]
    assert spans[0].attributes["gen_ai.input.messages"] == "MARKER\ufffd\ufffd!"
    assert spans[0].attributes["k"] == "v"
    assert spans[1].attributes == {"x": "fine"}
    assert decoded.warnings and "invalid UTF-8" in decoded.warnings[0]
    # ...and the warning reaches the client through the partial-success message
    result = normalize_request(decoded, "proj")
    assert result.rejected == 0 and "invalid UTF-8" in (result.message() or "")


def test_invalid_utf8_in_span_name_is_repaired() -> None:
    body = proto_body([{"name": "NAME-ok", "attrs": {"a": "b"}}, {"name": "other"}])
    decoded = decode_request(body.replace(b"NAME-ok", b"NAME\xc3(k"), "application/x-protobuf", None)
    spans = _spans(decoded)
    assert spans[0].name == "NAME\ufffd(k" and spans[0].attributes == {"a": "b"} and spans[1].name == "other"
    assert decoded.warnings


def test_repeated_attributes_decode_identically_and_share_nothing_mutable() -> None:
    specs = [
        {"attrs": {"op": "chat", "n": 3, "f": 0.5, "b": True, "lst": [1, 2], "kv": {"x": 1}}}
        for _ in range(3)
    ]
    spans = _spans(decode_request(proto_body(specs), "application/x-protobuf", None))
    assert all(s.attributes == spans[0].attributes for s in spans)
    assert spans[0].attributes == {"op": "chat", "n": 3, "f": 0.5, "b": True, "lst": [1, 2], "kv": {"x": 1}}
    spans[0].attributes["lst"].append(99)
    spans[0].attributes["kv"]["y"] = 2
    assert spans[1].attributes["lst"] == [1, 2] and spans[1].attributes["kv"] == {"x": 1}


def test_invalid_utf8_in_json_is_repaired() -> None:
    body = json_body([{"name": "n", "attrs": {"a": "MARKER"}}]).replace(b"MARKER", b"MA\xffRK")
    (sp,) = _spans(decode_request(body, "application/json", None))
    assert sp.attributes["a"] == "MA\ufffdRK"


def test_lone_surrogate_escape_is_repaired_not_fatal() -> None:
    """A string cut inside an emoji by the exporter leaves a lone \\ud83d escape."""
    body = json_body([{"name": "n", "attrs": {"a": "MARKER", "b": "ok"}}]).replace(b"MARKER", b"cut \\ud83d")
    decoded = decode_request(body, "application/json", None)
    (sp,) = _spans(decoded)
    assert sp.attributes == {"a": "cut \ufffd", "b": "ok"}
    assert any("surrogate" in w for w in decoded.warnings)


def test_empty_request_is_fine() -> None:
    assert _spans(decode_request(b"", "application/x-protobuf", None)) == []
    assert _spans(decode_request(b"{}", "application/json", None)) == []
