"""``GET /api/v1/outliers``: the lowest-scoring or most-retried requests (dashboard table).

Params: ``by`` (lowest_score | most_retried), ``q``, ``start``, ``end``, ``limit`` (1–100).
Answer: ``{"by", "items": [trace list fields + "metric" (lowest score or retry count)]}``.
Slowest and most expensive are sorts of ``GET /api/v1/traces``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query

from spyglass.query.common import make_scope
from spyglass.query.filters import parse
from spyglass.query.outliers import outliers
from spyglass.server.api.params import FilterText, TimeDep
from spyglass.server.deps import ReadKey, StoreDep

router = APIRouter(prefix="/api/v1", tags=["traces"])


@router.get("/outliers")
async def get_outliers(
    key: ReadKey,
    store: StoreDep,
    time: TimeDep,
    by: Literal["lowest_score", "most_retried"],
    q: FilterText = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    node = parse(q)
    scope = make_scope(key.project_id, time.start, time.end, time.now_ns)
    items = await anyio.to_thread.run_sync(lambda: outliers(store, scope, by=by, node=node, limit=limit))
    return {"by": by, "items": items}
