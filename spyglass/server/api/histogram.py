"""``GET /api/v1/metrics/histogram``: bucketed latency / cost / TTFT for the dashboard.

Params: ``field`` (duration_ms | cost_usd | ttft_ms), ``q``, ``start``, ``end``, ``level``
(trace | span), ``buckets`` (1–200, default 24), ``scale`` (log | linear, default log).
Answer: ``{"field", "level", "scale", "count", "zero_count", "min", "max",
"buckets": [{"lower", "upper", "count"}]}`` (values <= 0 are counted in ``zero_count``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query

from spyglass.query.common import make_scope
from spyglass.query.filters import parse
from spyglass.query.histogram import MAX_BUCKETS, histogram
from spyglass.server.api.params import FilterText, TimeDep
from spyglass.server.deps import ReadKey, StoreDep

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/metrics/histogram")
async def get_histogram(
    key: ReadKey,
    store: StoreDep,
    time: TimeDep,
    field: Annotated[Literal["duration_ms", "cost_usd", "ttft_ms"], Query(description="value to bucket")],
    q: FilterText = None,
    level: Literal["trace", "span"] = "trace",
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 24,
    scale: Literal["log", "linear"] = "log",
) -> dict[str, Any]:
    node = parse(q)  # FilterError -> 400 with the position (server error handlers)
    scope = make_scope(key.project_id, time.start, time.end, time.now_ns)
    result = await anyio.to_thread.run_sync(
        lambda: histogram(
            store, scope, field_name=field, level=level, node=node, buckets=buckets, scale=scale
        )
    )
    return result.to_dict()
