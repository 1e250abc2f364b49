"""``GET /api/v1/metrics``: counts, rates, latency/TTFT quantiles, tokens, cost and feedback
per group and time bucket (docs/api.md), from ``spyglass.query.metrics``."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import ORJSONResponse

from spyglass.query import metrics
from spyglass.server.api.params import FilterText, TimeDep
from spyglass.server.deps import ReadKey, StoreDep

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/metrics", summary="Aggregated figures per group and time bucket")
async def get_metrics(
    key: ReadKey,
    store: StoreDep,
    time: TimeDep,
    q: FilterText = None,
    level: Literal["trace", "span"] = "trace",
    group_by: Annotated[
        str | None, Query(description="comma list: model, feature, attr.<key> …", max_length=500)
    ] = None,
    bucket: Annotated[str | None, Query(description="one of " + ", ".join(metrics.BUCKETS_NS))] = None,
) -> ORJSONResponse:
    result = await anyio.to_thread.run_sync(
        lambda: metrics.compute_metrics(
            store,
            key.project_id,
            q=q,
            start=time.start,
            end=time.end,
            level=level,
            group_by=group_by,
            bucket=bucket,
            now_ns=time.now_ns,
        )
    )
    return ORJSONResponse(result)
