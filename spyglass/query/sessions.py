"""Sessions: the list of conversations (traces sharing a ``session_id``) and one session's
turns in time order. Built on the trace rollup; always bounded by ``project_id``.

A turn's ``user_input``/``assistant_output`` are the trace's input/output previews (the
root span's, else the first input / last output in the trace), up to ``PREVIEW_CHARS``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot.expressions as exp

from spyglass.query.common import (
    check_limit,
    decode_cursor,
    encode_cursor,
    keyset_after,
    make_scope,
    project_only,
    trim_page,
)
from spyglass.query.compile import TRACE_ALIAS, Params, col, compile_filter, scope_condition
from spyglass.query.filters import parse
from spyglass.query.timerange import iso
from spyglass.store.base import SpanStore

_SORT = "-last_seen"


@dataclass(slots=True)
class SessionSummary:
    session_id: str
    user_id: str | None
    tenant_id: str | None
    first_seen: str | None
    last_seen: str | None
    trace_count: int
    total_cost_usd: float | None
    error_count: int


@dataclass(slots=True)
class SessionPage:
    items: list[SessionSummary]
    next_cursor: str | None


@dataclass(slots=True)
class SessionTurn:
    trace_id: str
    start_time: str | None
    start_time_ns: int
    user_input: str | None
    assistant_output: str | None
    status: str
    duration_ms: float
    cost_usd: float | None


@dataclass(slots=True)
class SessionDetail:
    session_id: str
    turns: list[SessionTurn]


def list_sessions(
    store: SpanStore,
    project_id: str,
    *,
    q: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    now_ns: int | None = None,
) -> SessionPage:
    """Sessions with a trace in ``[start, end)`` matching ``q`` (trace-level filter),
    most recently active first; figures cover the matching traces in the range."""
    check_limit(limit)
    scope = make_scope(project_id, start, end, now_ns)
    params = Params()
    t = TRACE_ALIAS
    last_seen = exp.Max(this=col("start_time_ns", t))
    query = (
        exp.select(
            exp.alias_(col("session_id", t), "session_id"),
            exp.alias_(exp.Max(this=col("user_id", t)), "user_id"),
            exp.alias_(exp.Max(this=col("tenant_id", t)), "tenant_id"),
            exp.alias_(exp.Min(this=col("start_time_ns", t)), "first_seen_ns"),
            exp.alias_(last_seen, "last_seen_ns"),
            exp.alias_(exp.Count(this=exp.Star()), "trace_count"),
            exp.alias_(exp.Sum(this=col("cost_usd", t)), "total_cost_usd"),
            exp.alias_(
                exp.Sum(
                    this=exp.Case(
                        ifs=[
                            exp.If(
                                this=col("status", t).eq(exp.Literal.string("error")),
                                true=exp.Literal.number(1),
                            )
                        ],
                        default=exp.Literal.number(0),
                    )
                ),
                "error_count",
            ),
        )
        .from_(exp.to_table("traces").as_(t))
        .where(scope_condition(t, scope, params))
        .where(exp.not_(exp.Is(this=col("session_id", t), expression=exp.null())))
        .group_by(col("session_id", t))
    )
    cond = compile_filter(parse(q), level="trace", dialect=store.dialect, params=params, scope=scope)
    if cond is not None:
        query = query.where(cond)
    keys: list[exp.Expr] = [last_seen, col("session_id", t)]
    if cursor:
        query = query.having(keyset_after(keys, decode_cursor(cursor, 3, _SORT), True, params))
    query = query.order_by(*(exp.Ordered(this=k, desc=True) for k in keys)).limit(limit + 1)
    rows, last = trim_page(store.query(query, params.values), limit)
    next_cursor = None
    if last is not None:
        next_cursor = encode_cursor([_SORT, last["last_seen_ns"], last["session_id"]])
    items = [
        SessionSummary(
            session_id=r["session_id"],
            user_id=r["user_id"],
            tenant_id=r["tenant_id"],
            first_seen=iso(r["first_seen_ns"]),
            last_seen=iso(r["last_seen_ns"]),
            trace_count=int(r["trace_count"]),
            total_cost_usd=r["total_cost_usd"],
            error_count=int(r["error_count"] or 0),
        )
        for r in rows
    ]
    return SessionPage(items, next_cursor)


def get_session(
    store: SpanStore,
    project_id: str,
    session_id: str,
    *,
    start: str | int | None = None,
    end: str | int | None = None,
    now_ns: int | None = None,
    max_turns: int = 1000,
) -> SessionDetail | None:
    """The session's turns (one per trace) in time order; all time unless ``start``/``end``
    are given. None if the project has no trace in that session."""
    params = Params()
    t = TRACE_ALIAS
    query = (
        exp.select(
            *(
                col(c, t)
                for c in (
                    "trace_id",
                    "start_time_ns",
                    "input_preview",
                    "output_preview",
                    "status",
                    "duration_ms",
                    "cost_usd",
                )
            )
        )
        .from_(exp.to_table("traces").as_(t))
        .where(project_only(t, project_id, params))
        .where(col("session_id", t).eq(params.add(session_id)))
    )
    if start is not None or end is not None:
        scope = make_scope(project_id, start, end, now_ns)
        query = query.where(scope_condition(t, scope, params))
    query = query.order_by(col("start_time_ns", t), col("trace_id", t)).limit(max_turns)
    rows: list[dict[str, Any]] = store.query(query, params.values)
    if not rows:
        return None
    turns = [
        SessionTurn(
            trace_id=r["trace_id"],
            start_time=iso(r["start_time_ns"]),
            start_time_ns=r["start_time_ns"],
            user_input=r["input_preview"],
            assistant_output=r["output_preview"],
            status=r["status"],
            duration_ms=r["duration_ms"],
            cost_usd=r["cost_usd"],
        )
        for r in rows
    ]
    return SessionDetail(session_id, turns)
