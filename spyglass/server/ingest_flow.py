"""The ingest path shared by OTLP/HTTP and OTLP/gRPC: normalize, enrich, commit, count.

CPU-bound steps (decode, normalize, enrich) run in a worker thread so the event loop keeps
reading other requests' bodies meanwhile; ``accept`` returns only after the writer has
committed, which is what makes a 200 / OK an acknowledgement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from spyglass.ingest import enrich, normalize_request
from spyglass.server.services import Services


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    accepted: int
    rejected: int
    message: str  # empty when every span was accepted


def normalize_and_enrich(decoded: Any, project_id: str) -> Any:
    """Blocking: canonical, enriched spans of one decoded request (a ``NormalizeResult``)."""
    result = normalize_request(decoded, project_id)
    if result.spans:
        enrich(result.spans)
    return result


async def accept(
    services: Services, transport: str, project_id: str, prepare: Any, started: float
) -> IngestOutcome:
    """Run ``prepare()`` (blocking; returns a ``NormalizeResult``) off the loop, then commit.

    Raises whatever ``prepare`` raises (``IngestError``) and ``WriterOverloaded``.
    """
    result = await anyio.to_thread.run_sync(prepare)
    if result.spans:
        await services.writer.submit(result.spans)
    m = services.metrics
    m.spans_accepted.labels(transport).inc(len(result.spans))
    if result.rejected:
        m.spans_rejected.labels(transport).inc(result.rejected)
    m.ingest_seconds.labels(transport).observe(time.perf_counter() - started)
    message = "; ".join(result.errors[:5]) if result.rejected else ""
    if len(result.errors) > 5:
        message += f"; … and {len(result.errors) - 5} more"
    return IngestOutcome(accepted=len(result.spans), rejected=result.rejected, message=message)
