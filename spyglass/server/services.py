"""``Services``: everything the app needs, built once by ``spyglass.cli.serve``.

Other components extend the server through ``background_tasks`` (async callables started
with the app and cancelled when it stops: alerts append their evaluation loop here) and
``routers`` (mounted after the core API: the web UI, the alerts API).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
from fastapi import APIRouter

from spyglass.server.auth import RateLimiter
from spyglass.server.log_events import LogEventJoiner
from spyglass.server.settings import Settings
from spyglass.server.telemetry import ServerMetrics
from spyglass.store.meta import MetaStore

if TYPE_CHECKING:
    from spyglass.ingest.process_pool import IngestProcessPool
    from spyglass.store.duckdb import DuckDBStore
    from spyglass.store.writer import BatchWriter

BackgroundTask = Callable[[], Awaitable[None]]


def wall_clock_ns() -> int:
    return time.time_ns()


@dataclass(slots=True)
class Services:
    settings: Settings
    store: DuckDBStore
    meta: MetaStore
    writer: BatchWriter
    metrics: ServerMetrics = field(default_factory=ServerMetrics)
    clock: Callable[[], int] = wall_clock_ns  # now, in ns since the epoch (tests may freeze it)
    background_tasks: list[BackgroundTask] = field(default_factory=list)
    # Routers other components contribute (web UI, alerts API), mounted after the core ones.
    routers: list[APIRouter] = field(default_factory=list)
    # Per-key ingest rate limit (C10.3), shared by OTLP/HTTP and gRPC; off unless configured.
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    # GenAI log events waiting for their span (OTLP /v1/logs).
    log_events: LogEventJoiner = field(default_factory=LogEventJoiner)
    # Bounds concurrent decode/normalize work (set by the app lifespan, inside the loop).
    ingest_limiter: anyio.CapacityLimiter | None = None
    # Worker processes for large OTLP bodies (set by the app lifespan; None = in-thread only).
    ingest_pool: IngestProcessPool | None = None
