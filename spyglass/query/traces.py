"""Trace list (filters, time range, sort, keyset cursor) and trace detail (tree order,
payloads, attributes, feedback). Every query is bounded by ``project_id``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from spyglass.query.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    fill_page,
    in_list,
    keyset_after,
    loads_json,
    make_scope,
    project_only,
    resolve_sort,
)
from spyglass.query.compile import TRACE_ALIAS, Params, Scope, col, compile_filter, scope_condition
from spyglass.query.filters import Node, parse
from spyglass.query.timerange import iso
from spyglass.store.base import SpanStore
from spyglass.store.schema import PAYLOAD_COLUMNS, SPAN_COLUMNS

# sort name -> (rollup column, descending, nullable)
TRACE_SORTS: dict[str, tuple[str, bool]] = {
    "-start_time": ("start_time_ns", True),
    "start_time": ("start_time_ns", False),
    "-duration_ms": ("duration_ms", True),
    "duration_ms": ("duration_ms", False),
    "-cost_usd": ("cost_usd", True),
    "-total_tokens": ("total_tokens", True),
    "-span_count": ("span_count", True),
}

SUMMARY_COLUMNS = (
    "trace_id", "name", "start_time_ns", "duration_ms", "status", "error_class", "span_count",
    "llm_call_count", "input_tokens", "output_tokens", "total_tokens", "cost_usd", "models",
    "response_models", "prompt_versions", "session_id", "user_id", "tenant_id", "feature",
    "environment", "release", "service_name", "refusal", "ttft_ms", "input_preview",
    "output_preview", "root_span_id", "end_time_ns", "error_count",
)  # fmt: skip


@dataclass(slots=True)
class TraceSummary:
    """One row of the trace list (shape of ``GET /api/v1/traces`` items)."""

    trace_id: str
    name: str | None
    start_time: str | None
    start_time_ns: int
    duration_ms: float
    status: str
    error_class: str | None
    span_count: int
    llm_call_count: int
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cost_usd: float | None
    models: list[str]
    response_models: list[str]
    prompt_versions: list[str]
    session_id: str | None
    user_id: str | None
    tenant_id: str | None
    feature: str | None
    environment: str | None
    release: str | None
    service_name: str | None
    refusal: bool
    ttft_ms: float | None
    input_preview: str | None
    output_preview: str | None
    root_span_id: str | None = None
    end_time_ns: int = 0
    error_count: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TraceSummary:
        values = {k: row[k] for k in SUMMARY_COLUMNS}
        for k in ("models", "response_models", "prompt_versions"):
            values[k] = list(values[k] or [])
        values["refusal"] = bool(values["refusal"])
        return cls(start_time=iso(row["start_time_ns"]), **values)


@dataclass(slots=True)
class TracePage:
    items: list[TraceSummary]
    next_cursor: str | None


@dataclass(slots=True)
class TraceDetail:
    """Shape of ``GET /api/v1/traces/{id}``: spans in tree order with payloads."""

    trace_id: str
    summary: TraceSummary
    spans: list[dict[str, Any]]
    feedback: list[dict[str, Any]] = field(default_factory=list)


_NULLABLE_SORTS = {"cost_usd", "total_tokens"}


def trace_list_query(scope: Scope, q: str | Node | None, dialect: str, params: Params) -> exp.Select:
    """``SELECT … FROM traces t WHERE <project, time, filter>`` (no order/limit): the base
    that the list, metrics at trace level, sessions and export build on."""
    node = parse(q) if isinstance(q, str) or q is None else q
    cond = compile_filter(node, level="trace", dialect=dialect, params=params, scope=scope)
    query = (
        exp.select(*(col(c, TRACE_ALIAS) for c in SUMMARY_COLUMNS))
        .from_(exp.to_table("traces").as_(TRACE_ALIAS))
        .where(scope_condition(TRACE_ALIAS, scope, params))
    )
    return query.where(cond) if cond is not None else query


def list_traces(
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
) -> TracePage:
    """One page of traces starting in ``[start, end)`` matching ``q``. Raises
    ``FilterError``/``QueryParamError``/``TimeRangeError`` on bad input."""
    check_limit(limit)
    scope = make_scope(project_id, start, end, now_ns)
    column, key, desc = resolve_sort(sort, TRACE_SORTS, TRACE_ALIAS, _NULLABLE_SORTS, null_as=0)
    node = parse(q)  # parse once: bad filters fail before any query
    after = decode_cursor(cursor, 3, sort) if cursor else None
    tie = col("trace_id", TRACE_ALIAS)

    def page(sub: Scope, need: int) -> list[dict[str, Any]]:
        params = Params()
        query = trace_list_query(sub, node, store.dialect, params)
        if after is not None:
            query = query.where(keyset_after([key, tie], after, desc, params))
        query = query.select(exp.alias_(key, "_sort_key"))
        order = [exp.Ordered(this=key, desc=desc), exp.Ordered(this=tie, desc=desc)]
        return store.query(query.order_by(*order).limit(need), params.values)

    # filtered, time-sorted: fill the page from the newest (or oldest) slices first
    by_time = column == "start_time_ns" and node is not None
    rows, last = fill_page(page, scope, limit, after, desc, by_time_slices=by_time)
    next_cursor = None
    if last is not None:
        next_cursor = encode_cursor([sort, last["_sort_key"], last["trace_id"]])
    return TracePage([TraceSummary.from_row(r) for r in rows], next_cursor)


def get_trace(store: SpanStore, project_id: str, trace_id: str) -> TraceDetail | None:
    """The trace with spans in tree order, payloads and feedback; None if not in project."""
    params = Params()
    query = (
        exp.select(*(col(c, TRACE_ALIAS) for c in SUMMARY_COLUMNS))
        .from_(exp.to_table("traces").as_(TRACE_ALIAS))
        .where(project_only(TRACE_ALIAS, project_id, params))
        .where(col("trace_id", TRACE_ALIAS).eq(params.add(trace_id.lower())))
    )
    rows = store.query(query, params.values)
    if not rows:
        return None
    return load_details(store, project_id, rows)[0]


_SPAN_FIELDS = [c.name for c in SPAN_COLUMNS]
_PAYLOAD_FIELDS = [
    c.name for c in PAYLOAD_COLUMNS if c.name not in ("project_id", "trace_id", "span_id", "start_time_ns")
]
_JSON_PAYLOADS = {c.name for c in PAYLOAD_COLUMNS if c.type == "json"}


def load_details(store: SpanStore, project_id: str, summary_rows: list[dict[str, Any]]) -> list[TraceDetail]:
    """Details for several traces with three queries (spans, payloads, feedback), each
    bounded by project, trace ids and the traces' time span (so zonemaps prune)."""
    if not summary_rows:
        return []
    ids = [r["trace_id"] for r in summary_rows]
    lo = min(r["start_time_ns"] for r in summary_rows)
    hi = max(r["end_time_ns"] for r in summary_rows)

    def rows_of(table: str, columns: list[str]) -> list[dict[str, Any]]:
        params = Params()
        query = (
            exp.select(*(col(c, "x") for c in columns))
            .from_(exp.to_table(table).as_("x"))
            .where(project_only("x", project_id, params))
            .where(in_list(col("trace_id", "x"), ids, params))
            .where(col("start_time_ns", "x").between(params.add(lo), params.add(hi)))
        )
        return store.query(query, params.values)

    spans = rows_of("spans", _SPAN_FIELDS)
    payloads = {
        (p["trace_id"], p["span_id"]): p
        for p in rows_of("span_payloads", ["trace_id", "span_id", *_PAYLOAD_FIELDS])
    }
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    response_ids: dict[str, str] = {}
    for s in spans:
        by_trace[s["trace_id"]].append(_span_dict(s, payloads.get((s["trace_id"], s["span_id"]))))
        if s["response_id"]:
            response_ids[s["response_id"]] = s["trace_id"]
    feedback = _feedback_for(store, project_id, ids, list(response_ids))
    fb_by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in feedback:
        tid = f.pop("trace_id") or response_ids.get(f.get("request_id") or "")
        if tid:
            fb_by_trace[tid].append(f)
    return [
        TraceDetail(
            r["trace_id"],
            TraceSummary.from_row(r),
            tree_order(by_trace[r["trace_id"]]),
            fb_by_trace[r["trace_id"]],
        )
        for r in summary_rows
    ]


def _span_dict(row: dict[str, Any], payload: dict[str, Any] | None) -> dict[str, Any]:
    span = dict(row)
    span["start_time"] = iso(row["start_time_ns"])
    span["end_time"] = iso(row["end_time_ns"])
    span["attributes"] = dict(row["attributes"] or {})
    span["metadata"] = dict(row["metadata"] or {})
    span["tags"] = list(row["tags"] or [])
    for name in _PAYLOAD_FIELDS:
        value = payload.get(name) if payload else None
        if name in _JSON_PAYLOADS:
            value = loads_json(value)
            if value is None and name in ("attributes", "metadata"):
                continue  # keep the map's string values
            if value is None and name in (
                "input_messages",
                "output_messages",
                "tool_calls",
                "retrieval_documents",
                "events",
                "resource_attributes",
                "settings",
            ):
                value = {} if name in ("resource_attributes", "settings") else []
        span[name] = value
    return span


def tree_order(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Depth-first, siblings by start time; spans whose parent is missing become extra
    roots. Sets ``depth`` (0 = root). Cycles (corrupt parents) cannot loop: each span is
    emitted once, leftovers are appended as roots."""
    by_id = {s["span_id"]: s for s in spans}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for s in spans:
        parent = s["parent_span_id"]
        children[parent if parent in by_id and parent != s["span_id"] else None].append(s)
    for kids in children.values():
        kids.sort(key=lambda s: (s["start_time_ns"], s["span_id"]))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(roots: list[dict[str, Any]]) -> None:
        stack = [(r, 0) for r in reversed(roots)]
        while stack:
            s, depth = stack.pop()
            if s["span_id"] in seen:
                continue
            seen.add(s["span_id"])
            s["depth"] = depth
            out.append(s)
            stack.extend((c, depth + 1) for c in reversed(children.get(s["span_id"], [])))

    walk(children.get(None, []))
    leftovers = sorted(
        (s for s in spans if s["span_id"] not in seen), key=lambda s: (s["start_time_ns"], s["span_id"])
    )
    walk(leftovers)
    return out


def _feedback_for(
    store: SpanStore, project_id: str, trace_ids: list[str], request_ids: list[str]
) -> list[dict[str, Any]]:
    params = Params()
    match = in_list(col("trace_id", "f"), trace_ids, params)
    if request_ids:
        match = exp.or_(match, in_list(col("request_id", "f"), request_ids, params))
    query = (
        exp.select(
            *(
                col(c, "f")
                for c in (
                    "id",
                    "trace_id",
                    "request_id",
                    "score",
                    "thumbs",
                    "comment",
                    "source",
                    "kind",
                    "metadata",
                    "created_at_ns",
                )
            )
        )
        .from_(exp.to_table("feedback").as_("f"))
        .where(project_only("f", project_id, params))
        .where(match)
        .order_by(col("created_at_ns", "f"))
    )
    rows = store.query(query, params.values)
    for r in rows:
        r["metadata"] = loads_json(r["metadata"]) or {}
        r["created_at"] = iso(r.pop("created_at_ns"))
    return rows
