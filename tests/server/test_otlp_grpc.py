"""OTLP/gRPC against a real server: the real gRPC exporter, status codes, partial success."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from spyglass.testing.server import RunningServer, run_server
from tests.server.otlp_helpers import llm_attributes, new_span_id, new_trace_id, proto_request, wait_for_trace

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(tmp_path_factory.mktemp("otlp-grpc")) as srv:
        yield srv


def test_real_grpc_exporter(server: RunningServer) -> None:
    provider = TracerProvider()
    exporter = OTLPSpanExporter(
        endpoint=server.grpc_target, insecure=True, headers={"x-api-key": server.api_key}
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("chat gpt-4o-mini") as span:
        for k, v in llm_attributes().items():
            span.set_attribute(k, v)
    provider.shutdown()
    trace = wait_for_trace(server.url, server.api_key, format(span.get_span_context().trace_id, "032x"))
    assert trace["spans"][0]["request_model"] == "gpt-4o-mini"
    assert trace["spans"][0]["input_tokens"] == 12


def test_grpc_status_codes_and_partial_success(server: RunningServer) -> None:
    with grpc.insecure_channel(server.grpc_target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        t = new_trace_id()
        request = proto_request([(t, new_span_id(), None, "a"), (t, new_span_id(), None, "b")])
        request.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x01"  # unusable id: rejected alone
        with pytest.raises(grpc.RpcError) as no_key:
            stub.Export(request, timeout=10)
        assert no_key.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as bad_key:
            stub.Export(request, metadata=[("authorization", "Bearer sg_" + "z" * 32)], timeout=10)
        assert bad_key.value.code() == grpc.StatusCode.UNAUTHENTICATED
        response = stub.Export(request, metadata=[("authorization", f"Bearer {server.api_key}")], timeout=10)
        assert response.partial_success.rejected_spans == 1
        assert response.partial_success.error_message
    trace = wait_for_trace(server.url, server.api_key, t)
    assert [s["name"] for s in trace["spans"]] == ["a"]


def test_exporter_reports_failure_on_wrong_key(server: RunningServer) -> None:
    exporter = OTLPSpanExporter(
        endpoint=server.grpc_target, insecure=True, headers={"x-api-key": "sg_" + "q" * 32}, timeout=5
    )
    provider = TracerProvider()
    with provider.get_tracer("t").start_as_current_span("x") as span:
        pass
    assert exporter.export([span]) == SpanExportResult.FAILURE  # type: ignore[list-item]
    exporter.shutdown()


def test_real_grpc_exporter_with_gzip(server: RunningServer) -> None:
    from grpc import Compression

    provider = TracerProvider()
    exporter = OTLPSpanExporter(
        endpoint=server.grpc_target,
        insecure=True,
        headers={"x-api-key": server.api_key},
        compression=Compression.Gzip,
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("gzipped") as span:
        span.set_attribute("gen_ai.request.model", "gpt-4o")
    provider.shutdown()
    trace = wait_for_trace(server.url, server.api_key, format(span.get_span_context().trace_id, "032x"))
    assert trace["spans"][0]["name"] == "gzipped"


def test_corrupt_message_is_invalid_argument_and_next_batch_is_stored(server: RunningServer) -> None:
    with grpc.insecure_channel(server.grpc_target) as channel:
        raw = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        with pytest.raises(grpc.RpcError) as bad:
            raw(b"\xff\xff\xff garbage", metadata=[("x-api-key", server.api_key)], timeout=10)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad.value.details()
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        t = new_trace_id()
        request = proto_request([(t, new_span_id(), None, "a"), (t, new_span_id(), None, "b")])
        stub.Export(request, metadata=[("x-api-key", server.api_key)], timeout=10)
    assert len(wait_for_trace(server.url, server.api_key, t, spans=2)["spans"]) == 2
