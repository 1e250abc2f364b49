from __future__ import annotations

import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

from spyglass.ingest.errors import IngestError
from spyglass.ingest.raw import DecodedRequest, RawResourceSpans, RawScopeSpans, RawSpan
from spyglass.server.log_events import LogEventJoiner

pytestmark = pytest.mark.unit

TRACE, SPAN = "ab" * 16, "cd" * 8


def _logs(*records: LogRecord) -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=list(records))])]
    )


def _user_message(content: str, trace: str = TRACE, span: str = SPAN, t: int = 5) -> LogRecord:
    body = AnyValue(
        kvlist_value=KeyValueList(values=[KeyValue(key="content", value=AnyValue(string_value=content))])
    )
    return LogRecord(
        time_unix_nano=t,
        event_name="gen_ai.user.message",
        body=body,
        attributes=[KeyValue(key="gen_ai.system", value=AnyValue(string_value="openai"))],
        trace_id=bytes.fromhex(trace),
        span_id=bytes.fromhex(span),
    )


def _decoded(trace: str = TRACE, span: str = SPAN) -> DecodedRequest:
    raw = RawSpan(trace_id=trace, span_id=span, parent_span_id=None, name="chat", kind=3,
                  start_time_ns=1, end_time_ns=10, attributes={})  # fmt: skip
    return DecodedRequest(
        resource_spans=[RawResourceSpans({}, [RawScopeSpans("s", None, [raw])])], encoding="protobuf"
    )


def test_events_wait_for_their_span_and_are_attached_once() -> None:
    joiner = LogEventJoiner()
    kept = joiner.add_proto(
        _logs(_user_message("hello"), LogRecord(body=AnyValue(string_value="plain log"))), "p1"
    )
    assert kept == 1 and joiner.stats.ignored == 1
    decoded = _decoded()
    assert joiner.attach(decoded, "p1") == 1
    event = decoded.resource_spans[0].scope_spans[0].spans[0].events[0]
    assert event.name == "gen_ai.user.message" and event.attributes["content"] == "hello"
    assert event.attributes["gen_ai.system"] == "openai"
    assert joiner.attach(_decoded(), "p1") == 0 and joiner.pending_events == 0


def test_events_never_cross_projects() -> None:
    joiner = LogEventJoiner()
    joiner.add_proto(_logs(_user_message("secret")), "project-a")
    decoded = _decoded()
    assert joiner.attach(decoded, "project-b") == 0
    assert decoded.resource_spans[0].scope_spans[0].spans[0].events == []


def test_events_expire_by_ttl_and_size_cap() -> None:
    now = [0.0]
    joiner = LogEventJoiner(ttl_s=10, max_events=2, clock=lambda: now[0])
    joiner.add_proto(_logs(_user_message("a", span="01" * 8), _user_message("b", span="02" * 8)), "p")
    joiner.add_proto(_logs(_user_message("c", span="03" * 8)), "p")  # over the cap: oldest goes
    assert joiner.pending_events == 2 and joiner.stats.expired == 1
    now[0] = 11.0
    joiner.add_proto(_logs(), "p")
    assert joiner.pending_events == 0 and joiner.stats.expired == 3


def test_json_logs_with_hex_ids() -> None:
    body = {
        "resourceLogs": [{"scopeLogs": [{"logRecords": [{
            "timeUnixNano": "7", "eventName": "gen_ai.client.inference.operation.details",
            "traceId": TRACE, "spanId": SPAN,
            "attributes": [{"key": "gen_ai.input.messages", "value": {"arrayValue": {"values": [
                {"kvlistValue": {"values": [{"key": "role", "value": {"stringValue": "user"}}]}}]}}}],
        }]}]}]
    }  # fmt: skip
    joiner = LogEventJoiner()
    assert joiner.add_http_body(orjson.dumps(body), "application/json", None, 10_000, "p") == 1
    decoded = _decoded()
    joiner.attach(decoded, "p")
    assert decoded.resource_spans[0].scope_spans[0].spans[0].events[0].attributes[
        "gen_ai.input.messages"
    ] == [{"role": "user"}]


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "status"),
    [(b"\xff\xff", "application/x-protobuf", None, 400), (b"{", "application/json", None, 400),
     (b"x", "text/plain", None, 415), (b"x", "application/json", "br", 415)],
)  # fmt: skip
def test_unreadable_log_bodies_are_clear_errors(
    body: bytes, content_type: str, encoding: str | None, status: int
) -> None:
    with pytest.raises(IngestError) as info:
        LogEventJoiner().add_http_body(body, content_type, encoding, 10_000, "p")
    assert info.value.status == status
