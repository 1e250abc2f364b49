"""OTLP/HTTP receiver: ``POST /v1/traces`` (plus ``/v1/logs`` and ``/v1/metrics``, acknowledged).

Answers in the request's own encoding, as the OTLP spec asks: protobuf requests get an
``application/x-protobuf`` ``ExportTraceServiceResponse`` (or ``google.rpc.Status`` on error),
JSON requests get JSON. A 200 means every accepted span is committed; rejected spans are
reported through ``partial_success``.

``/v1/logs``: GenAI instrumentations may send message content as log *events* (semconv
≤ 1.36, or the ``EVENT_ONLY`` capture mode). Those with a trace/span id are held by
``log_events.LogEventJoiner`` and added to their span when it arrives (see its limits);
other log records and ``/v1/metrics`` are acknowledged and dropped.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
from fastapi import APIRouter, Request, Response

from spyglass.ingest.pipeline import (
    IngestError,
    NormalizeResult,
    decode_request,
    encode_error,
    encode_response,
)
from spyglass.server.auth import AuthFailure, authenticate, key_from_headers
from spyglass.server.deps import ServicesDep
from spyglass.server.ingest_flow import accept_body, normalize_and_enrich
from spyglass.server.services import Services
from spyglass.store.base import StoreError
from spyglass.store.meta import Scope
from spyglass.store.writer import WriterOverloaded, WriterStopped

log = logging.getLogger(__name__)

router = APIRouter(tags=["ingest"])

_JSON = "application/json"
_PROTOBUF = "application/x-protobuf"


def wire_encoding(content_type: str | None) -> str:
    """``json`` for JSON bodies, ``protobuf`` otherwise (also the answer for unknown types)."""
    return "json" if (content_type or "").split(";")[0].strip().lower() == _JSON else "protobuf"


def _error(encoding: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body, content_type = encode_error(encoding, status, message)
    return Response(body, status_code=status, media_type=content_type, headers=headers)


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing to buffer more than ``limit`` bytes (checked while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/v1/traces",
    summary="OTLP/HTTP trace export (protobuf or JSON, gzip/deflate)",
    responses={200: {"content": {_PROTOBUF: {}, _JSON: {}}}},
)
async def export_traces(request: Request, services: ServicesDep) -> Response:
    started = time.perf_counter()
    response = await _export_traces(request, services, started)
    services.metrics.requests.labels("/v1/traces", str(response.status_code)).inc()
    return response


async def _export_traces(request: Request, services: Services, started: float) -> Response:
    settings = services.settings
    content_type = request.headers.get("content-type")
    encoding = wire_encoding(content_type)
    try:
        key = authenticate(services.meta, key_from_headers(request.headers), Scope.INGEST)
        services.rate_limiter.check(key.id)
    except AuthFailure as exc:
        return _error(encoding, exc.status, exc.message, {"Retry-After": "1"} if exc.status == 429 else None)
    try:
        body = await _read_body(request, settings.max_raw_body_bytes)
    except _BodyTooLarge:
        return _error(encoding, 413, f"request body exceeds {settings.max_raw_body_bytes} bytes")
    content_encoding = request.headers.get("content-encoding")

    def prepare() -> NormalizeResult:
        decoded = decode_request(body, content_type, content_encoding, settings.max_body_bytes)
        services.log_events.attach(decoded, key.project_id)
        return normalize_and_enrich(decoded, key.project_id)

    try:
        outcome = await accept_body(
            services, "http", body, content_type, content_encoding, key.project_id, prepare, started
        )
    except IngestError as exc:
        return _error(encoding, exc.status, exc.message)
    except (WriterOverloaded, WriterStopped, StoreError) as exc:
        return _error(encoding, 503, f"cannot store now, retry later: {exc}", {"Retry-After": "1"})
    except Exception as exc:  # our own fault: retryable (exporters drop a batch answered 500)
        log.exception("trace export failed")
        return _error(encoding, 503, f"server error, retry later: {type(exc).__name__}", {"Retry-After": "5"})
    payload, media_type = encode_response(encoding, outcome.rejected, outcome.message)
    return Response(payload, status_code=200, media_type=media_type)


async def _receive_other_signal(request: Request, services: Services, signal: str) -> Response:
    """``/v1/logs``: GenAI events are held for their span (``log_events``); ``/v1/metrics``
    and other logs are acknowledged and dropped. Both answer an empty Export*ServiceResponse."""
    content_type = request.headers.get("content-type")
    encoding = wire_encoding(content_type)
    settings = services.settings
    try:
        key = authenticate(services.meta, key_from_headers(request.headers), Scope.INGEST)
        body = await _read_body(request, settings.max_raw_body_bytes)
        if signal == "logs":
            content_encoding = request.headers.get("content-encoding")
            await anyio.to_thread.run_sync(
                lambda: services.log_events.add_http_body(
                    body, content_type, content_encoding, settings.max_body_bytes, key.project_id
                ),
                limiter=services.ingest_limiter,
            )
    except AuthFailure as exc:
        response = _error(encoding, exc.status, exc.message)
    except _BodyTooLarge:
        response = _error(encoding, 413, f"request body exceeds {settings.max_raw_body_bytes} bytes")
    except IngestError as exc:
        response = _error(encoding, exc.status, exc.message)
    except Exception as exc:  # our own fault: retryable, never a 500
        log.exception("%s export failed", signal)
        response = _error(
            encoding, 503, f"server error, retry later: {type(exc).__name__}", {"Retry-After": "5"}
        )
    else:
        services.metrics.other_signals.labels(signal).inc()
        # An empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON.
        response = Response(
            b"{}" if encoding == "json" else b"", media_type=_JSON if encoding == "json" else _PROTOBUF
        )
    services.metrics.requests.labels(f"/v1/{signal}", str(response.status_code)).inc()
    return response


@router.post("/v1/logs", summary="OTLP/HTTP logs: GenAI events are joined to their span, others dropped")
async def export_logs(request: Request, services: ServicesDep) -> Response:
    return await _receive_other_signal(request, services, "logs")


@router.post("/v1/metrics", summary="OTLP/HTTP metrics: acknowledged and dropped")
async def export_metrics(request: Request, services: ServicesDep) -> Response:
    return await _receive_other_signal(request, services, "metrics")
