"""OTLP/gRPC receiver: ``TraceService/Export`` on ``grpc.aio``, same semantics as OTLP/HTTP.

Status mapping: no/invalid key → UNAUTHENTICATED, key without ingest scope →
PERMISSION_DENIED, malformed request → INVALID_ARGUMENT, writer full → UNAVAILABLE (which
OTLP exporters retry with backoff), rate limit → RESOURCE_EXHAUSTED. Rejected spans are
reported in ``partial_success``; OK means the accepted spans are committed.

``LogsService/Export`` feeds GenAI log events to ``log_events`` (joined to their span).

It runs on the app's event loop (started and stopped by the app lifespan), so it shares the
writer with the HTTP receiver without any cross-loop hand-off.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from spyglass.ingest.pipeline import IngestError, NormalizeResult, decode_proto_request
from spyglass.server.auth import AuthFailure, authenticate, key_from_headers
from spyglass.server.ingest_flow import accept, normalize_and_enrich
from spyglass.server.services import Services
from spyglass.store.base import StoreError
from spyglass.store.meta import Scope
from spyglass.store.writer import WriterOverloaded, WriterStopped

log = logging.getLogger(__name__)

_AUTH_CODES = {
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
}
_INGEST_CODES = {413: grpc.StatusCode.RESOURCE_EXHAUSTED}


class TraceServicer(trace_service_pb2_grpc.TraceServiceServicer):
    """``Export`` for one ``Services``; never raises except through ``context.abort``."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def Export(  # noqa: N802 - name fixed by the generated service
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        started = time.perf_counter()
        metrics = self._services.metrics
        metadata = {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        try:
            key = authenticate(self._services.meta, key_from_headers(metadata), Scope.INGEST)
            self._services.rate_limiter.check(key.id)
        except AuthFailure as exc:
            metrics.requests.labels("grpc:Export", str(exc.status)).inc()
            await context.abort(_AUTH_CODES[exc.status], exc.message)
            raise  # unreachable: abort raises

        def prepare() -> NormalizeResult:
            decoded = decode_proto_request(request)
            self._services.log_events.attach(decoded, key.project_id)
            return normalize_and_enrich(decoded, key.project_id)

        try:
            outcome = await accept(self._services, "grpc", prepare, started)
        except IngestError as exc:
            metrics.requests.labels("grpc:Export", str(exc.status)).inc()
            await context.abort(_INGEST_CODES.get(exc.status, grpc.StatusCode.INVALID_ARGUMENT), exc.message)
            raise
        except (WriterOverloaded, WriterStopped, StoreError) as exc:
            metrics.requests.labels("grpc:Export", "503").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot store now, retry later: {exc}")
            raise
        metrics.requests.labels("grpc:Export", "200").inc()
        response = trace_service_pb2.ExportTraceServiceResponse()
        if outcome.rejected or outcome.message:
            response.partial_success.rejected_spans = outcome.rejected
            response.partial_success.error_message = outcome.message
        return response


class LogsServicer(logs_service_pb2_grpc.LogsServiceServicer):
    """``LogsService/Export``: GenAI log events are held for their span (see ``log_events``)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def Export(  # noqa: N802 - name fixed by the generated service
        self, request: logs_service_pb2.ExportLogsServiceRequest, context: grpc.aio.ServicerContext
    ) -> logs_service_pb2.ExportLogsServiceResponse:
        metadata = {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        try:
            key = authenticate(self._services.meta, key_from_headers(metadata), Scope.INGEST)
        except AuthFailure as exc:
            self._services.metrics.requests.labels("grpc:LogsExport", str(exc.status)).inc()
            await context.abort(_AUTH_CODES[exc.status], exc.message)
            raise
        await anyio.to_thread.run_sync(
            self._services.log_events.add_proto,
            request,
            key.project_id,
            limiter=self._services.ingest_limiter,
        )
        self._services.metrics.other_signals.labels("logs").inc()
        self._services.metrics.requests.labels("grpc:LogsExport", "200").inc()
        return logs_service_pb2.ExportLogsServiceResponse()


class GrpcReceiver:
    """Owns the ``grpc.aio.Server``; ``start()`` binds (port 0 = any free port), ``stop()`` drains."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._server: grpc.aio.Server | None = None
        self.port: int | None = None

    @property
    def serving(self) -> bool:
        return self._server is not None

    async def start(self, host: str, port: int) -> int:
        limit = self._services.settings.max_body_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", 4 * 1024 * 1024),
            ]
        )
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceServicer(self._services), server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsServicer(self._services), server)
        bound = server.add_insecure_port(f"{host}:{port}")
        if bound == 0:
            raise OSError(f"cannot bind gRPC port {host}:{port}")
        await server.start()
        self._server, self.port = server, bound
        return bound

    async def stop(self, grace_s: float = 5.0) -> None:
        if self._server is not None:
            await self._server.stop(grace_s)
            self._server = None
