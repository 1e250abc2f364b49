"""The ingest path shared by OTLP/HTTP and OTLP/gRPC: normalize, enrich, commit, count.

CPU-bound steps (decode, normalize, enrich) run in a worker thread so the event loop keeps
reading other requests' bodies meanwhile; ``accept`` returns only after the writer has
committed, which is what makes a 200 / OK an acknowledgement.

At most ``services.ingest_limiter`` requests are decoded at once: decoded
spans take several times their wire size, and more threads than cores only fight over
the GIL, so the others wait with just their raw body in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from spyglass.ingest.pipeline import NormalizeResult, enrich, normalize_request
from spyglass.server.services import Services


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
    if result.spans:
        await services.writer.submit(result.spans)
    m = services.metrics
    m.spans_accepted.labels(transport).inc(len(result.spans))
    if result.rejected:
        m.spans_rejected.labels(transport).inc(result.rejected)
    m.ingest_seconds.labels(transport).observe(time.perf_counter() - started)
    return IngestOutcome(accepted=len(result.spans), rejected=result.rejected, message=result.message() or "")
