"""Span search: spans matching a filter in a time range, sorted, with keyset paging.
Always bounded by ``project_id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot.expressions as exp

from spyglass.query.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    fill_page,
    keyset_after,
    make_scope,
    resolve_sort,
)
from spyglass.query.compile import SPAN_ALIAS, Params, Scope, col, compile_filter, scope_condition
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
    column, key, desc = resolve_sort(sort, SPAN_SORTS, SPAN_ALIAS, _NULLABLE_SORTS, null_as=-1)
    scope = make_scope(project_id, start, end, now_ns)
    node = parse(q)
    after = decode_cursor(cursor, 4, sort) if cursor else None
    ties = [col("trace_id", SPAN_ALIAS), col("span_id", SPAN_ALIAS)]

    def candidates(sub: Scope, params: Params, *selects: exp.Expr) -> exp.Select:
        query = (
            exp.select(*selects)
            .from_(exp.to_table("spans").as_(SPAN_ALIAS))
            .where(scope_condition(SPAN_ALIAS, sub, params))
        )
        cond = compile_filter(node, level="span", dialect=store.dialect, params=params, scope=sub)
        if cond is not None:
            query = query.where(cond)
        if after is not None:
            query = query.where(keyset_after([key, *ties], after, desc, params))
        return query

    def page_keys(sub: Scope, need: int) -> list[dict[str, Any]]:
        """The page's rows. Time sorts read one time slice at a time (see below)."""
        params = Params()
        query = candidates(
            sub, params, *(col(c, SPAN_ALIAS) for c in SPAN_ITEM_COLUMNS), exp.alias_(key, "_sort_key")
        )
        if column != "start_time_ns":
            # Find the need-th sort value on the numeric column alone, then read ids and wide
            # columns only for rows at or beyond it (a top-N over 400k wide rows costs 5x more).
            t_params = Params()
            threshold_query = (
                candidates(sub, t_params, exp.alias_(key, "_sort_key"))
                .order_by(exp.Ordered(this=key, desc=desc))
                .limit(1)
                .offset(need - 1)
            )
            found = store.query(threshold_query, t_params.values)
            if found:
                bound = params.add(found[0]["_sort_key"])
                query = query.where(
                    exp.GTE(this=key, expression=bound) if desc else exp.LTE(this=key, expression=bound)
                )
        query = query.order_by(*(exp.Ordered(this=k, desc=desc) for k in (key, *ties))).limit(need)
        return store.query(query, params.values)

    # time sorts fill the page from the newest (or oldest) slices first
    keys, last = fill_page(page_keys, scope, limit, after, desc, by_time_slices=column == "start_time_ns")
    next_cursor = None
    if last is not None:
        next_cursor = encode_cursor([sort, last["_sort_key"], last["trace_id"], last["span_id"]])
    rows = keys
    for r in rows:
        del r["_sort_key"]
        r["start_time"] = iso(r["start_time_ns"])
        r["tags"] = list(r["tags"] or [])
    return SpanPage(rows, next_cursor)
