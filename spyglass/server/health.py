"""``/healthz`` (process up), ``/readyz`` (store, writer and gRPC ready) and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse

from spyglass.server.deps import MetricsDep, ServicesDep
from spyglass.server.services import Services
from spyglass.server.telemetry import CONTENT_TYPE

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: store open, writer running, gRPC serving (if enabled)")
def readyz(request: Request, services: ServicesDep) -> ORJSONResponse:
    grpc_receiver = getattr(request.app.state, "grpc_receiver", None)
    checks = {
        "started": bool(getattr(request.app.state, "started", False)),
        "store": _store_answers(services),
        "meta": services.meta.ping(),
        "writer": bool(getattr(services.writer, "running", False)),
        "grpc": services.settings.grpc_port == 0 or bool(grpc_receiver and grpc_receiver.serving),
    }
    ready = all(checks.values())
    return ORJSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


def _store_answers(services: Services) -> bool:
    try:
        services.store.query("SELECT 1")
    except Exception:  # closed or broken: any failure means not ready
        return False
    return True


@router.get("/metrics", summary="The server's own metrics, Prometheus text format")
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)
