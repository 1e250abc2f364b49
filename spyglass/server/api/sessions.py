"""``GET /api/v1/sessions`` and ``GET /api/v1/sessions/{session_id}`` (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Query
from fastapi.responses import ORJSONResponse

from spyglass.query import sessions
from spyglass.server.api.params import PageDep, parse_time_ns
from spyglass.server.deps import ReadKey, ServicesDep, StoreDep
from spyglass.server.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["sessions"])


@router.get("/sessions", summary="Sessions active in the range, most recent first")
async def list_sessions(
    key: ReadKey,
    store: StoreDep,
    page: PageDep,
) -> ORJSONResponse:
    result = await anyio.to_thread.run_sync(
        lambda: sessions.list_sessions(store, key.project_id, **page.query_kwargs())
    )
    return ORJSONResponse(result)


@router.get("/sessions/{session_id}", summary="One session's turns in time order (all time by default)")
async def get_session(
    key: ReadKey,
    store: StoreDep,
    services: ServicesDep,
    session_id: Annotated[str, Path(max_length=500)],
    start: Annotated[str | None, Query(description="optional lower bound")] = None,
    end: Annotated[str | None, Query(description="optional upper bound")] = None,
) -> ORJSONResponse:
    now = services.clock()
    for name, value in (("start", start), ("end", end)):
        if value:
            parse_time_ns(value, now, name)  # 400 naming the parameter
    detail = await anyio.to_thread.run_sync(
        lambda: sessions.get_session(store, key.project_id, session_id, start=start, end=end, now_ns=now)
    )
    if detail is None:
        raise ApiError(404, f"session {session_id!r} not found in this project")
    return ORJSONResponse(detail)
