"""``GET /api/v1/export``: JSONL, one trace per line (the shape of ``GET /api/v1/traces/{id}``),
streamed so memory stays flat whatever the range. A bad ``q``/range is a 400 before the
first byte; the store is read page by page in worker threads as the client consumes."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.to_thread
import orjson
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from spyglass.query import export
from spyglass.server.api.params import FilterText, TimeDep
from spyglass.server.deps import ReadKey, StoreDep

router = APIRouter(prefix="/api/v1", tags=["export"])


@router.get(
    "/export",
    summary="Export matching traces as JSON Lines",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_traces(
    key: ReadKey, store: StoreDep, time: TimeDep, q: FilterText = None
) -> StreamingResponse:
    items = await anyio.to_thread.run_sync(
        lambda: export.iter_export(
            store, key.project_id, q=q, start=time.start, end=time.end, now_ns=time.now_ns
        )
    )

    def lines() -> Iterator[bytes]:
        for item in items:
            yield orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)

    return StreamingResponse(
        lines(),  # a sync iterator: Starlette pulls it in a worker thread
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="spyglass-export.jsonl"'},
    )
