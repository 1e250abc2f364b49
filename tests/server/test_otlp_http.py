"""OTLP/HTTP against a real server: real exporters, hand-built protobuf and JSON, bad input."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from spyglass.testing.server import RunningServer, run_server
from tests.server.otlp_helpers import (
    headers,
    json_request,
    llm_attributes,
    new_span_id,
    new_trace_id,
    proto_request,
    wait_for_trace,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A small body limit so the size checks are cheap to reach.
    with run_server(tmp_path_factory.mktemp("otlp-http"), env={"SPYGLASS_MAX_BODY_BYTES": "200000"}) as srv:
        yield srv


def _create_key(server: RunningServer, scope: str) -> str:
    resp = httpx.post(
        f"{server.url}/api/v1/keys",
        json={"scope": scope, "name": scope},
        headers={"x-api-key": server.api_key},
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["api_key"])


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_real_http_exporter_spans_arrive_canonical(server: RunningServer, compression: Compression) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "exporter-test"}))
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces",
        headers={"authorization": f"Bearer {server.api_key}"},
        compression=compression,
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with (
        tracer.start_as_current_span("workflow") as root,
        tracer.start_as_current_span("chat gpt-4o-mini") as llm,
    ):
        for k, v in llm_attributes(prompt="What is the refund policy?").items():
            llm.set_attribute(k, v)
    provider.shutdown()
    trace_id = format(root.get_span_context().trace_id, "032x")
    trace = wait_for_trace(server.url, server.api_key, trace_id, spans=2)
    spans = {s["name"]: s for s in trace["spans"]}
    chat = spans["chat gpt-4o-mini"]
    assert chat["request_model"] == "gpt-4o-mini"
    assert chat["response_model"] == "gpt-4o-mini-2024-07-18"
    assert chat["input_tokens"] == 12 and chat["output_tokens"] == 7
    assert chat["cost_total_usd"] and chat["cost_total_usd"] > 0
    assert chat["input_messages"][0]["content"] == "What is the refund policy?"
    assert chat["output_messages"][0]["content"] == "hi there"
    assert chat["finish_reason"] == "stop"
    assert spans["workflow"]["depth"] == 0 and chat["depth"] == 1
    assert chat["service_name"] == "exporter-test"


def test_protobuf_by_hand_gets_protobuf_response(server: RunningServer) -> None:
    t = new_trace_id()
    body = proto_request([(t, new_span_id(), None, "chat")]).SerializeToString()
    resp = httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(server.api_key))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/x-protobuf")
    parsed = ExportTraceServiceResponse.FromString(resp.content)
    assert parsed.partial_success.rejected_spans == 0
    wait_for_trace(server.url, server.api_key, t)


def test_json_by_hand_with_hex_ids_and_partial_success(server: RunningServer) -> None:
    t = new_trace_id()
    good = [new_span_id(), new_span_id()]
    body = json_request(t, [*good, "not-a-span-id"])
    resp = httpx.post(
        f"{server.url}/v1/traces",
        content=orjson.dumps(body),
        headers=headers(server.api_key, "application/json"),
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    partial = resp.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 1 and partial["errorMessage"]
    trace = wait_for_trace(server.url, server.api_key, t, spans=2)
    assert sorted(s["span_id"] for s in trace["spans"]) == sorted(good)


def _good_batch(server: RunningServer) -> tuple[str, bytes]:
    t = new_trace_id()
    return t, proto_request(
        [(t, new_span_id(), None, "root"), (t, new_span_id(), None, "llm")]
    ).SerializeToString()


def _assert_error(resp: httpx.Response, status: int, needle: str) -> None:
    assert resp.status_code == status, (resp.status_code, resp.text)
    text = resp.content.decode("utf-8", "replace")
    assert needle.lower() in text.lower(), text


BAD_CASES = {
    "garbage protobuf": (lambda k: {"content": b"\xff\x00garbage" * 10, "headers": headers(k)}, 400, ""),
    "bad json": (
        lambda k: {"content": b'{"resourceSpans": [', "headers": headers(k, "application/json")},
        400,
        "json",
    ),
    "wrong content type": (
        lambda k: {"content": b"x", "headers": headers(k, "text/plain")},
        415,
        "text/plain",
    ),
    "bad gzip": (
        lambda k: {"content": b"not gzip", "headers": headers(k, **{"content-encoding": "gzip"})},
        400,
        "gzip",
    ),
    "oversized after gzip": (
        lambda k: {
            "content": gzip.compress(b"\x00" * 400_000),
            "headers": headers(k, **{"content-encoding": "gzip"}),
        },
        413,
        "",
    ),
    "oversized raw": (lambda k: {"content": b"\x00" * 900_000, "headers": headers(k)}, 413, "exceeds"),
    "no key": (
        lambda k: {"content": b"", "headers": {"content-type": "application/json"}},
        401,
        "missing API key",
    ),
    "wrong key": (
        lambda k: {"content": b"", "headers": headers("sg_" + "x" * 32, "application/json")},
        401,
        "invalid",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_refused_clearly_and_the_next_batch_is_stored_whole(
    server: RunningServer, case: str
) -> None:
    make, status, needle = BAD_CASES[case]
    resp = httpx.post(f"{server.url}/v1/traces", **make(server.api_key))
    _assert_error(resp, status, needle)
    t, body = _good_batch(server)
    ok = httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(server.api_key))
    assert ok.status_code == 200, ok.text
    assert len(wait_for_trace(server.url, server.api_key, t, spans=2)["spans"]) == 2


def test_read_only_key_cannot_ingest(server: RunningServer) -> None:
    read_key = _create_key(server, "read")
    t, body = _good_batch(server)
    resp = httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(read_key, "application/json"))
    _assert_error(resp, 403, "scope")
    assert resp.headers["content-type"].startswith("application/json")
    ingest_key = _create_key(server, "ingest")
    assert httpx.post(f"{server.url}/v1/traces", content=body, headers=headers(ingest_key)).status_code == 200
    # …and an ingest key cannot read.
    assert httpx.get(f"{server.url}/api/v1/traces", headers={"x-api-key": ingest_key}).status_code == 403
    wait_for_trace(server.url, read_key, t, spans=2)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": 'model:"unterminated'}, "q"),
        ({"start": "yesterday"}, "start"),
        ({"start": "-1h", "end": "-2h"}, "before"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_problem(
    server: RunningServer, params: dict[str, str], needle: str
) -> None:
    resp = httpx.get(f"{server.url}/api/v1/traces", params=params, headers={"x-api-key": server.api_key})
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error"] and needle in body["message"]


def test_validation_errors_are_400_json(server: RunningServer) -> None:
    resp = httpx.get(
        f"{server.url}/api/v1/traces", params={"limit": "9999"}, headers={"x-api-key": server.api_key}
    )
    assert resp.status_code == 400 and "limit" in resp.json()["message"]


def test_logs_are_acknowledged(server: RunningServer) -> None:
    resp = httpx.post(f"{server.url}/v1/logs", content=b"", headers=headers(server.api_key))
    assert resp.status_code == 200


def test_errors_answer_in_the_request_encoding(server: RunningServer) -> None:
    from google.rpc import status_pb2

    resp = httpx.post(
        f"{server.url}/v1/traces", content=b"\x0a\x02", headers={"content-type": "application/x-protobuf"}
    )
    assert resp.status_code == 401 and resp.headers["content-type"].startswith("application/x-protobuf")
    status = status_pb2.Status.FromString(resp.content)
    assert status.code == 16 and "missing API key" in status.message
    resp = httpx.post(f"{server.url}/v1/traces", content=b"{}", headers={"content-type": "application/json"})
    assert resp.status_code == 401 and "missing API key" in resp.json()["message"]
