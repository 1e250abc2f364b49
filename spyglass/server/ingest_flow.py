"""The ingest path shared by OTLP/HTTP and OTLP/gRPC: normalize, enrich, commit, count.

CPU-bound steps (decode, normalize, enrich) run in a worker thread so the event loop keeps
reading other requests' bodies meanwhile; ``accept`` returns only after the writer has
committed, which is what makes a 200 / OK an acknowledgement.

At most ``services.ingest_limiter`` requests are decoded at once: decoded
spans take several times their wire size, and more threads than cores only fight over
the GIL, so the others wait with just their raw body in memory.

``accept_body`` sends large bodies to ``services.ingest_pool`` (worker processes that
return the store's Arrow tables, see ``spyglass.ingest.process_pool``) so decode and
normalize use the other cores; small bodies, bodies that have GenAI log events waiting
for them, and every body while the pool is still starting take the in-thread path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from spyglass.ingest.pipeline import MAX_ERROR_MESSAGES, NormalizeResult, enrich, normalize_request
from spyglass.server.services import Services

# Below this many body bytes a request is prepared in-thread: shipping it to a worker costs
# about what it saves, and a server that only sees small requests never starts the pool.
POOL_MIN_BODY_BYTES = 32 * 1024


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    accepted: int
    rejected: int
    message: str  # rejections and decode warnings; empty when there is nothing to report


def normalize_and_enrich(decoded: Any, project_id: str) -> NormalizeResult:
    """Blocking: canonical, enriched spans of one decoded request."""
    result = normalize_request(decoded, project_id)
    if result.spans:
        enrich(result.spans)
    return result


async def accept(
    services: Services, transport: str, prepare: Callable[[], NormalizeResult], started: float
) -> IngestOutcome:
    """Run ``prepare()`` (blocking) off the loop, then commit its spans.

    Raises whatever ``prepare`` raises (``IngestError``) and ``WriterOverloaded``.
    """
    result = await anyio.to_thread.run_sync(prepare, limiter=services.ingest_limiter)
    refused: list[str] = []
    if result.spans:
        refused = (await services.writer.submit(result.spans)).rejected
    return _count(
        services,
        transport,
        started,
        len(result.spans),
        result.rejected,
        result.reasons,
        result.message(),
        refused,
    )


async def accept_body(
    services: Services,
    transport: str,
    body: bytes,
    content_type: str | None,
    content_encoding: str | None,
    project_id: str,
    prepare: Callable[[], NormalizeResult],
    started: float,
) -> IngestOutcome:
    """``accept`` for one OTLP trace request body, in a worker process when that pays off
    (see the module docstring), else through ``prepare`` in a thread. Same errors and the
    same guarantee: it returns only after the accepted spans are committed."""
    pool = services.ingest_pool
    if pool is None or len(body) < POOL_MIN_BODY_BYTES or services.log_events.pending_events:
        return await accept(services, transport, prepare, started)
    if not pool.ready():  # starts the workers on first use; meanwhile work in-thread
        return await accept(services, transport, prepare, started)
    try:
        prepared = await pool.prepare(
            body, content_type, content_encoding, services.settings.max_body_bytes, project_id
        )
    except BrokenProcessPool:  # a worker died (and the pool restarts): do this one here
        return await accept(services, transport, prepare, started)
    tables = prepared.tables()
    refused = (await services.writer.submit_tables(tables)).rejected if tables is not None else []
    return _count(
        services,
        transport,
        started,
        prepared.accepted,
        prepared.rejected,
        prepared.reasons,
        prepared.message,
        refused,
    )


def _count(
    services: Services,
    transport: str,
    started: float,
    accepted: int,
    rejected: int,
    reasons: dict[str, int],
    message: str | None,
    refused: list[str],
) -> IngestOutcome:
    """The request's outcome, with ``refused`` (spans the store could not take, pinned by the
    writer, "trace/span: reason") moved from accepted to rejected; counted in /metrics."""
    if refused:
        accepted -= len(refused)
        rejected += len(refused)
        reasons = {**reasons, "internal": reasons.get("internal", 0) + len(refused)}
        message = "; ".join(
            [*([message] if message else []), *(f"rejected span {f}" for f in refused[:MAX_ERROR_MESSAGES])]
        )
    m = services.metrics
    m.spans_accepted.labels(transport).inc(accepted)
    for reason, n in reasons.items():
        m.spans_rejected.labels(transport, reason).inc(n)
    m.ingest_seconds.labels(transport).observe(time.perf_counter() - started)
    return IngestOutcome(accepted=accepted, rejected=rejected, message=message or "")
