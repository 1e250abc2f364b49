"""Export: every trace matching a filter and time range, as JSON-ready dicts (the shape of
``GET /api/v1/traces/{id}``), oldest first, fetched page by page so memory stays flat."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import sqlglot.expressions as exp

from spyglass.query.common import make_scope
from spyglass.query.compile import TRACE_ALIAS, Params, col
from spyglass.query.traces import TraceDetail, load_details, trace_list_query
from spyglass.store.base import SpanStore


def detail_to_dict(detail: TraceDetail) -> dict[str, Any]:
    return dataclasses.asdict(detail)


def iter_export(
    store: SpanStore,
    project_id: str,
    *,
    q: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    page_size: int = 100,
    now_ns: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one dict per trace. Bad ``q``/range raise before the first item (the range
    and filter are validated eagerly so the server can still answer 400)."""
    scope = make_scope(project_id, start, end, now_ns)
    trace_list_query(scope, q, store.dialect, Params())  # raises FilterError now, not mid-stream
    return _iterate(store, project_id, q, scope.start_ns, scope.end_ns, page_size)


def _iterate(
    store: SpanStore, project_id: str, q: str | None, start_ns: int, end_ns: int, page_size: int
) -> Iterator[dict[str, Any]]:
    scope = make_scope(project_id, start_ns, end_ns, None)
    after: tuple[int, str] | None = None
    while True:
        params = Params()
        query = trace_list_query(scope, q, store.dialect, params)
        key = exp.Tuple(expressions=[col("start_time_ns", TRACE_ALIAS), col("trace_id", TRACE_ALIAS)])
        if after is not None:
            query = query.where(
                exp.GT(
                    this=key, expression=exp.Tuple(expressions=[params.add(after[0]), params.add(after[1])])
                )
            )
        query = query.order_by(col("start_time_ns", TRACE_ALIAS), col("trace_id", TRACE_ALIAS)).limit(
            page_size
        )
        rows = store.query(query, params.values)
        if not rows:
            return
        for detail in load_details(store, project_id, rows):
            yield detail_to_dict(detail)
        if len(rows) < page_size:
            return
        after = (rows[-1]["start_time_ns"], rows[-1]["trace_id"])
