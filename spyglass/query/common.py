"""Pieces shared by the query families: request scope, opaque keyset cursors, errors."""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import orjson
import sqlglot.expressions as exp

from spyglass.query.compile import Params, Scope, col
from spyglass.query.timerange import TimeRange


class QueryParamError(ValueError):
    """A bad query parameter (sort, cursor, limit, group_by, bucket …); the server answers 400."""


MAX_LIMIT = 500


def make_scope(project_id: str, start: str | int | None, end: str | int | None, now_ns: int | None) -> Scope:
    if not project_id:
        raise QueryParamError("project_id is required")
    tr = TimeRange.resolve(start, end, now_ns)
    return Scope(project_id, tr.start_ns, tr.end_ns)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryParamError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, expected_len: int, sort: str) -> list[Any]:
    """Cursor values; the first element is the sort it was made for (a cursor is only
    valid with the same sort)."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise QueryParamError("invalid cursor") from None
    if not isinstance(values, list) or len(values) != expected_len or values[0] != sort:
        raise QueryParamError("invalid cursor (made for another sort or endpoint)")
    return values[1:]


def keyset_after(keys: list[exp.Expr], values: list[Any], descending: bool, params: Params) -> exp.Expr:
    """Rows strictly after ``values`` in ``(keys…)`` order: a row-value comparison."""
    left = exp.Tuple(expressions=keys)
    right = exp.Tuple(expressions=[params.add(v) for v in values])
    return exp.LT(this=left, expression=right) if descending else exp.GT(this=left, expression=right)


def project_only(alias: str, project_id: str, params: Params) -> exp.Expr:
    return col("project_id", alias).eq(params.add(project_id, "project_id"))


def in_list(column: exp.Expr, values: list[Any], params: Params) -> exp.Expr:
    return exp.In(this=column, expressions=[params.add(v) for v in values])


def loads_json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


WINDOW_FRACTION = 48
"""The first time slice a time-sorted page search reads is 1/48 of the range (30 min of
24 h); each further slice doubles, so a sparse filter costs at most ~log2(48)+1 queries."""


def time_slices(start_ns: int, end_ns: int, descending: bool) -> Iterator[tuple[int, int]]:
    """Disjoint ``[lo, hi)`` slices covering ``[start_ns, end_ns)``, newest first when
    ``descending``, growing geometrically. A page sorted by start time is filled from the
    first slices, so a filter matching often reads a few minutes of data instead of a day."""
    width = max((end_ns - start_ns) // WINDOW_FRACTION, 1)
    if descending:
        hi = end_ns
        while hi > start_ns:
            lo = max(start_ns, hi - width)
            yield lo, hi
            hi, width = lo, width * 2
    else:
        lo = start_ns
        while lo < end_ns:
            hi = min(end_ns, lo + width)
            yield lo, hi
            lo, width = hi, width * 2


def resolve_sort(
    sort: str, sorts: Mapping[str, tuple[str, bool]], alias: str, nullable: Collection[str], null_as: int
) -> tuple[str, exp.Expr, bool]:
    """``(column, key expression, descending)`` for a sort name of ``sorts``; a nullable
    column sorts as ``null_as`` so the keyset order stays total. Raises ``QueryParamError``
    on an unknown sort."""
    if sort not in sorts:
        raise QueryParamError(f"unknown sort '{sort}' (one of {', '.join(sorts)})")
    column, desc = sorts[sort]
    key: exp.Expr = col(column, alias)
    if column in nullable:
        key = exp.Coalesce(this=key, expressions=[exp.Literal.number(null_as)])
    return column, key, desc


def fill_page(
    fetch: Callable[[Scope, int], list[dict[str, Any]]],
    scope: Scope,
    limit: int,
    after: list[Any] | None,
    descending: bool,
    by_time_slices: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to ``limit`` rows of a keyset page and the last of them when a next page exists
    (the caller makes its cursor from it). ``fetch(sub_scope, need)`` returns at most
    ``need`` sorted rows; with ``by_time_slices`` (a start-time sort, ``after[0]`` the
    start time) the page is filled from the newest (or oldest) ``time_slices`` first."""
    if by_time_slices:
        lo, hi = scope.start_ns, scope.end_ns
        if after is not None:
            lo, hi = (lo, min(hi, after[0] + 1)) if descending else (max(lo, after[0]), hi)
        rows: list[dict[str, Any]] = []
        for s_lo, s_hi in time_slices(lo, hi, descending):
            rows.extend(fetch(Scope(scope.project_id, s_lo, s_hi), limit + 1 - len(rows)))
            if len(rows) > limit:
                break
    else:
        rows = fetch(scope, limit + 1)
    return trim_page(rows, limit)


def trim_page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """``rows`` read with ``limit + 1`` cut to ``limit``, and the last row kept when the extra
    row showed a next page exists (the caller makes its cursor from it), else None."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1]
    return rows, None
