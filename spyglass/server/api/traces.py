"""``GET /api/v1/traces`` (list) and ``GET /api/v1/traces/{trace_id}`` (detail), docs/api.md.

Thin: parameters in, ``spyglass.query.traces`` in a worker thread (store calls block),
the result serialised by orjson (dataclasses natively). Bad filters, sorts, cursors and
time ranges raise the query layer's errors, answered 400 by ``server.errors``.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Query
from fastapi.responses import ORJSONResponse

from spyglass.query import traces
from spyglass.server.api.params import PageDep
from spyglass.server.deps import ReadKey, StoreDep
from spyglass.server.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["traces"])

TraceSort = Annotated[str, Query(description="one of " + ", ".join(traces.TRACE_SORTS))]


@router.get("/traces", summary="List traces (one row per request)")
async def list_traces(
    key: ReadKey,
    store: StoreDep,
    page: PageDep,
    sort: TraceSort = "-start_time",
) -> ORJSONResponse:
    result = await anyio.to_thread.run_sync(
        lambda: traces.list_traces(store, key.project_id, sort=sort, **page.query_kwargs())
    )
    return ORJSONResponse(result)


@router.get("/traces/{trace_id}", summary="One trace: summary, spans in tree order, feedback")
async def get_trace(
    key: ReadKey,
    store: StoreDep,
    trace_id: Annotated[str, Path(pattern=r"^[0-9a-fA-F]{32}$", description="32 hex characters")],
) -> ORJSONResponse:
    detail = await anyio.to_thread.run_sync(traces.get_trace, store, key.project_id, trace_id)
    if detail is None:
        raise ApiError(404, f"trace {trace_id} not found in this project")
    return ORJSONResponse(detail)
