"""Span search: spans matching a filter in a time range, sorted, with keyset paging.
Always bounded by ``project_id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot.expressions as exp

from spyglass.query.common import (
    QueryParamError,
    check_limit,
    decode_cursor,
    encode_cursor,
    keyset_after,
    make_scope,
)
from spyglass.query.compile import SPAN_ALIAS, Params, col, compile_filter, scope_condition
from spyglass.query.filters import parse
from spyglass.query.timerange import iso
from spyglass.store.base import SpanStore
from spyglass.store.schema import SPAN_COLUMNS

# sort name -> (spans column, descending)
SPAN_SORTS: dict[str, tuple[str, bool]] = {
    "-start_time": ("start_time_ns", True),
    "start_time": ("start_time_ns", False),
    "-duration_ms": ("duration_ms", True),
    "duration_ms": ("duration_ms", False),
    "-cost_usd": ("cost_total_usd", True),
    "-total_tokens": ("total_tokens", True),
    "-ttft_ms": ("ttft_ms", True),
}
_NULLABLE_SORTS = {"cost_total_usd", "total_tokens", "ttft_ms"}

# scalar fields of a span item (maps stay in the detail view)
SPAN_ITEM_COLUMNS = tuple(c.name for c in SPAN_COLUMNS if c.type != "str_map")


@dataclass(slots=True)
class SpanPage:
    """``items``: dicts of the span's scalar canonical fields plus ``start_time`` (ISO),
    ``input_preview``/``output_preview``."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def search_spans(
    store: SpanStore,
    project_id: str,
    *,
    q: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    sort: str = "-start_time",
    limit: int = 50,
    cursor: str | None = None,
    now_ns: int | None = None,
) -> SpanPage:
    """One page of spans starting in ``[start, end)`` matching ``q`` (span-level filter)."""
    check_limit(limit)
    if sort not in SPAN_SORTS:
        raise QueryParamError(f"unknown sort '{sort}' (one of {', '.join(SPAN_SORTS)})")
    scope = make_scope(project_id, start, end, now_ns)
    column, desc = SPAN_SORTS[sort]
    key: exp.Expr = col(column, SPAN_ALIAS)
    if column in _NULLABLE_SORTS:
        key = exp.Coalesce(this=key, expressions=[exp.Literal.number(-1)])
    params = Params()
    query = (
        exp.select(*(col(c, SPAN_ALIAS) for c in SPAN_ITEM_COLUMNS), exp.alias_(key, "_sort_key"))
        .from_(exp.to_table("spans").as_(SPAN_ALIAS))
        .where(scope_condition(SPAN_ALIAS, scope, params))
    )
    cond = compile_filter(parse(q), level="span", dialect=store.dialect, params=params, scope=scope)
    if cond is not None:
        query = query.where(cond)
    ties = [col("trace_id", SPAN_ALIAS), col("span_id", SPAN_ALIAS)]
    if cursor:
        query = query.where(keyset_after([key, *ties], decode_cursor(cursor, 4, sort), desc, params))
    query = query.order_by(*(exp.Ordered(this=k, desc=desc) for k in (key, *ties))).limit(limit + 1)
    rows = store.query(query, params.values)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([sort, last["_sort_key"], last["trace_id"], last["span_id"]])
    for r in rows:
        del r["_sort_key"]
        r["start_time"] = iso(r["start_time_ns"])
        r["tags"] = list(r["tags"] or [])
    return SpanPage(rows, next_cursor)
