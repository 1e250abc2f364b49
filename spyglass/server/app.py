"""``create_app(settings, services)``: wiring only — routers, error handlers, lifespan.

The lifespan owns the running parts: it starts the batch writer, the OTLP/gRPC receiver
and every ``services.background_tasks`` callable, and on shutdown stops taking traffic,
cancels the tasks, drains gRPC, then drains the writer (so every acknowledged span is
committed) and closes the stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from spyglass import web
from spyglass.ingest import bounds, pipeline, process_pool
from spyglass.server import auth, health, otlp_http
from spyglass.server.api import ROUTERS
from spyglass.server.auth import RateLimiter
from spyglass.server.errors import install_error_handlers
from spyglass.server.otlp_grpc import GrpcReceiver
from spyglass.server.services import BackgroundTask, Services
from spyglass.server.settings import Settings

log = logging.getLogger(__name__)

# Requests decoded at once: decoded spans take several times their wire size and more
# threads than cores only contend for the GIL; the rest wait holding just their raw body.
INGEST_CONCURRENCY = 4


def create_app(settings: Settings, services: Services) -> FastAPI:
    """A FastAPI app serving ``services``; nothing starts until the lifespan runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.ingest_limiter = anyio.CapacityLimiter(INGEST_CONCURRENCY)
        workers = process_pool.default_workers()
        if workers and services.ingest_pool is None:  # workers start on the first large body
            services.ingest_pool = process_pool.IngestProcessPool(workers)
        services.writer.start()
        if settings.grpc_port:
            app.state.grpc_receiver = GrpcReceiver(services)
            await app.state.grpc_receiver.start(settings.host, settings.grpc_port)
        tasks = [asyncio.create_task(_run_forever(task)) for task in services.background_tasks]
        app.state.started = True
        try:
            yield
        finally:
            app.state.started = False
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if app.state.grpc_receiver is not None:
                await app.state.grpc_receiver.stop()
            if services.ingest_pool is not None:
                await anyio.to_thread.run_sync(services.ingest_pool.close)
                services.ingest_pool = None
            await anyio.to_thread.run_sync(services.writer.stop)  # commits what is queued
            services.store.close()
            services.meta.close()

    app = FastAPI(
        title="Spyglass",
        version="0.1.0",
        description="Self-hosted monitoring for LLM applications: OTLP ingest and the query API.",
        lifespan=lifespan,
        default_response_class=ORJSONResponse,
    )
    app.state.services = services
    app.state.started = False
    app.state.grpc_receiver = None
    services.rate_limiter = RateLimiter(settings.rate_limit_rps, settings.rate_limit_burst)
    services.metrics.watch_data_dir(settings.data_dir)
    services.metrics.watch_writer(services.writer)
    services.metrics.watch_pipeline(pipeline.stats, bounds.stats)
    services.metrics.watch_log_events(services.log_events)
    install_error_handlers(app)
    for router in (health.router, auth.router, otlp_http.router, *ROUTERS, *services.routers, web.router):
        app.include_router(router)
    return app


async def _run_forever(task: BackgroundTask) -> None:
    """Run one background task; a crash is logged and never takes the server down."""
    try:
        await task()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %r crashed", task)
