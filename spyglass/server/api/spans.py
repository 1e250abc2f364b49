"""``GET /api/v1/spans``: span search (docs/api.md), ``spyglass.query.spans`` in a worker thread."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import ORJSONResponse

from spyglass.query import spans
from spyglass.server.api.params import PageDep
from spyglass.server.deps import ReadKey, StoreDep

router = APIRouter(prefix="/api/v1", tags=["spans"])

SpanSort = Annotated[str, Query(description="one of " + ", ".join(spans.SPAN_SORTS))]


@router.get("/spans", summary="Search spans (scalar fields and previews, no full payloads)")
async def search_spans(
    key: ReadKey,
    store: StoreDep,
    page: PageDep,
    sort: SpanSort = "-start_time",
) -> ORJSONResponse:
    result = await anyio.to_thread.run_sync(
        lambda: spans.search_spans(store, key.project_id, sort=sort, **page.query_kwargs())
    )
    return ORJSONResponse(result)
