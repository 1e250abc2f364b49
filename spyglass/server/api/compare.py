"""``GET /api/v1/compare``: two values of one dimension side by side, with significance.

Params: ``dimension`` (prompt_version | model | response_model | release | provider |
prompt_name | feature | environment | tenant_id), ``a``, ``b``, ``q``, ``start``, ``end``.
Answer: ``spyglass.query.compare.Comparison`` as JSON: ``{"dimension", "a", "b", "n_a",
"n_b", "alpha", "metrics": [{"key", "label", "unit", "a", "b", "diff", "relative_diff",
"test", "p_value", "p_adjusted", "significant", "better", "note"}], "examples": {"a": [...],
"b": [...]}}``. Tests are described in ``spyglass/query/compare.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query

from spyglass.query.common import make_scope
from spyglass.query.compare import DIMENSIONS, compare
from spyglass.query.filters import parse
from spyglass.server.api.params import FilterText, TimeDep
from spyglass.server.deps import ReadKey, StoreDep
from spyglass.server.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/compare")
async def get_compare(
    key: ReadKey,
    store: StoreDep,
    time: TimeDep,
    dimension: Annotated[str, Query(description=f"one of {', '.join(DIMENSIONS)}")],
    a: Annotated[str, Query(min_length=1, max_length=500, description="baseline value")],
    b: Annotated[str, Query(min_length=1, max_length=500, description="candidate value")],
    q: FilterText = None,
) -> dict[str, Any]:
    if dimension not in DIMENSIONS:
        raise ApiError(
            400, f"dimension: must be one of {', '.join(DIMENSIONS)}, not {dimension!r}", "invalid_parameter"
        )
    node = parse(q)
    scope = make_scope(key.project_id, time.start, time.end, time.now_ns)
    result = await anyio.to_thread.run_sync(
        lambda: compare(store, scope, dimension=dimension, a=a, b=b, node=node)
    )
    return result.to_dict()
