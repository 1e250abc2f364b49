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
from typing import Any

import anyio.to_thread
import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from spyglass.ingest.pipeline import IngestError, NormalizeResult, decode_request
from spyglass.server.auth import AuthFailure, authenticate, key_from_headers
from spyglass.server.ingest_flow import accept_body, normalize_and_enrich
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
TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"


_PROTOBUF = "application/x-protobuf"


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


class TraceServicer:
    """``TraceService/Export`` for one ``Services``. Requests arrive as raw bytes and go
    through the same ``decode_request`` as OTLP/HTTP protobuf bodies, so a corrupt message is
    INVALID_ARGUMENT (not gRPC's generic UNKNOWN) and invalid UTF-8 is repaired, not fatal."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def export(self, body: bytes, context: grpc.aio.ServicerContext) -> bytes:
        started = time.perf_counter()
        services = self._services
        metrics = services.metrics
        try:
            key = authenticate(services.meta, key_from_headers(_metadata(context)), Scope.INGEST)
            services.rate_limiter.check(key.id)
        except AuthFailure as exc:
            metrics.requests.labels("grpc:Export", str(exc.status)).inc()
            await context.abort(_AUTH_CODES[exc.status], exc.message)
            raise  # unreachable: abort raises

        def prepare() -> NormalizeResult:
            decoded = decode_request(body, _PROTOBUF, None, services.settings.max_body_bytes)
            services.log_events.attach(decoded, key.project_id)
            return normalize_and_enrich(decoded, key.project_id)

        try:
            outcome = await accept_body(
                services, "grpc", body, _PROTOBUF, None, key.project_id, prepare, started
            )
        except IngestError as exc:
            metrics.requests.labels("grpc:Export", str(exc.status)).inc()
            await context.abort(_INGEST_CODES.get(exc.status, grpc.StatusCode.INVALID_ARGUMENT), exc.message)
            raise
        except (WriterOverloaded, WriterStopped, StoreError) as exc:
            metrics.requests.labels("grpc:Export", "503").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot store now, retry later: {exc}")
            raise
        except Exception as exc:  # our own fault: retryable, so the exporter sends the batch again
            log.exception("trace export failed")
            metrics.requests.labels("grpc:Export", "503").inc()
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, f"server error, retry later: {type(exc).__name__}"
            )
            raise
        metrics.requests.labels("grpc:Export", "200").inc()
        response = ExportTraceServiceResponse()
        if outcome.rejected or outcome.message:
            response.partial_success.rejected_spans = outcome.rejected
            response.partial_success.error_message = outcome.message
        return response.SerializeToString()


class LogsServicer:
    """``LogsService/Export``: GenAI log events are held for their span (see ``log_events``)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def export(self, body: bytes, context: grpc.aio.ServicerContext) -> bytes:
        services = self._services
        try:
            key = authenticate(services.meta, key_from_headers(_metadata(context)), Scope.INGEST)
            await anyio.to_thread.run_sync(
                lambda: services.log_events.add_http_body(
                    body, _PROTOBUF, None, services.settings.max_body_bytes, key.project_id
                ),
                limiter=services.ingest_limiter,
            )
        except AuthFailure as exc:
            services.metrics.requests.labels("grpc:LogsExport", str(exc.status)).inc()
            await context.abort(_AUTH_CODES[exc.status], exc.message)
            raise
        except IngestError as exc:
            services.metrics.requests.labels("grpc:LogsExport", str(exc.status)).inc()
            await context.abort(_INGEST_CODES.get(exc.status, grpc.StatusCode.INVALID_ARGUMENT), exc.message)
            raise
        except Exception as exc:  # our own fault: retryable
            log.exception("logs export failed")
            services.metrics.requests.labels("grpc:LogsExport", "503").inc()
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, f"server error, retry later: {type(exc).__name__}"
            )
            raise
        services.metrics.other_signals.labels("logs").inc()
        services.metrics.requests.labels("grpc:LogsExport", "200").inc()
        return b""  # an empty ExportLogsServiceResponse


def _raw_service(name: str, export: Any) -> grpc.GenericRpcHandler:
    """A service whose ``Export`` takes and returns serialized bytes (we parse ourselves)."""
    return grpc.method_handlers_generic_handler(
        name,
        {
            "Export": grpc.unary_unary_rpc_method_handler(
                export, request_deserializer=None, response_serializer=None
            )
        },
    )


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
        server.add_generic_rpc_handlers(
            (
                _raw_service(TRACE_SERVICE, TraceServicer(self._services).export),
                _raw_service(LOGS_SERVICE, LogsServicer(self._services).export),
            )
        )
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
