"""Histograms of per-request (or per-span) latency, cost or TTFT for the dashboard.

``histogram(store, scope, field=..., level=..., node=..., buckets=...)`` runs two small
aggregate queries (range, then counts per bucket) and returns ``Histogram``. Buckets are
log-spaced by default because latency and cost are long-tailed: a linear scale would put
almost every request in the first bar. Values <= 0 (free or cached calls) are counted in
``zero_count`` rather than dropped. Blocking: call from a worker thread like any store query.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

import sqlglot.expressions as exp

from spyglass.query.compile import (
    SPAN_ALIAS,
    TRACE_ALIAS,
    Level,
    Params,
    Scope,
    compile_filter,
    counted_only,
    scope_condition,
)
from spyglass.query.filters import Node
from spyglass.store.base import SpanStore

HistogramField = Literal["duration_ms", "cost_usd", "ttft_ms"]
Scale = Literal["log", "linear"]

FIELDS: tuple[str, ...] = ("duration_ms", "cost_usd", "ttft_ms")
_TRACE_COLUMN = {"duration_ms": "duration_ms", "cost_usd": "cost_usd", "ttft_ms": "ttft_ms"}
_SPAN_COLUMN = {"duration_ms": "duration_ms", "cost_usd": "cost_total_usd", "ttft_ms": "ttft_ms"}
MAX_BUCKETS = 200


@dataclass(slots=True)
class Bucket:
    lower: float
    upper: float
    count: int


@dataclass(slots=True)
class Histogram:
    field: str
    level: str
    scale: str
    count: int  # rows with a value (including zero_count)
    zero_count: int
    min: float | None
    max: float | None
    buckets: list[Bucket] = dataclass_field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def source(
    level: Level, scope: Scope, node: Node | None, dialect: str, params: Params
) -> tuple[exp.Select, str]:
    """``SELECT … FROM traces t|spans s WHERE <project, time range, filter>`` and the alias.
    Spans are the counted ones (one per LLM call, see ``counted_only``)."""
    alias = TRACE_ALIAS if level == "trace" else SPAN_ALIAS
    table = "traces" if level == "trace" else "spans"
    query = exp.select().from_(exp.to_table(table).as_(alias)).where(scope_condition(alias, scope, params))
    once = counted_only(node, alias) if level == "span" else None
    if once is not None:
        query = query.where(once)
    cond = compile_filter(node, level=level, dialect=dialect, params=params, scope=scope)
    if cond is not None:
        query = query.where(cond)
    return query, alias


def edges(lo: float, hi: float, n: int, scale: Scale) -> list[float]:
    """``n + 1`` bucket edges covering [lo, hi] (log-spaced when ``scale`` is log)."""
    if hi <= lo:
        return [lo, hi if hi > lo else lo * 1.0001 + 1e-12]
    if scale == "log":
        a, b = math.log(lo), math.log(hi)
        return [math.exp(a + (b - a) * i / n) for i in range(n + 1)]
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def histogram(
    store: SpanStore,
    scope: Scope,
    *,
    field_name: HistogramField,
    level: Level = "trace",
    node: Node | None = None,
    buckets: int = 24,
    scale: Scale = "log",
) -> Histogram:
    """Counts of ``field_name`` in ``buckets`` buckets for the requests matching ``node``.

    Raises ``ValueError`` for an unknown field or a bucket count outside 1..200."""
    if field_name not in FIELDS:
        raise ValueError(f"field must be one of {', '.join(FIELDS)}, not {field_name!r}")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise ValueError(f"buckets must be between 1 and {MAX_BUCKETS}")
    column_name = (_TRACE_COLUMN if level == "trace" else _SPAN_COLUMN)[field_name]

    params = Params()
    base, alias = source(level, scope, node, store.dialect, params)
    value = exp.column(column_name, table=alias)
    positive = value > exp.Literal.number(0)
    stats_q = base.select(
        exp.func("count", value).as_("n"),
        exp.Sum(
            this=exp.If(
                this=value <= exp.Literal.number(0), true=exp.Literal.number(1), false=exp.Literal.number(0)
            )
        ).as_("zeros"),
        exp.Min(this=exp.If(this=positive, true=value)).as_("lo"),
        exp.Max(this=value).as_("hi"),
    )
    row = store.query(stats_q, params.values)[0]
    n, zeros = int(row["n"] or 0), int(row["zeros"] or 0)
    lo, hi = row["lo"], row["hi"]
    result = Histogram(
        field_name,
        level,
        scale,
        n,
        zeros,
        float(lo) if lo is not None else None,
        float(hi) if hi is not None else None,
    )
    if lo is None or hi is None or hi <= 0:
        return result

    lo_f, hi_f = float(lo), float(hi)
    if hi_f <= lo_f:  # one distinct positive value: one bucket holds it
        buckets = 1
    bounds = edges(lo_f, hi_f, buckets, scale)
    # bucket index computed in SQL so only `buckets` rows come back, whatever the row count
    raw: exp.Expr
    if scale == "log" and hi_f > lo_f:
        width = (math.log(hi_f) - math.log(lo_f)) / buckets
        raw = exp.Div(
            this=exp.paren(exp.Sub(this=exp.Ln(this=value), expression=exp.Literal.number(math.log(lo_f)))),
            expression=exp.Literal.number(width),
        )
    elif hi_f > lo_f:
        width = (hi_f - lo_f) / buckets
        raw = exp.Div(
            this=exp.paren(exp.Sub(this=value, expression=exp.Literal.number(lo_f))),
            expression=exp.Literal.number(width),
        )
    else:
        raw = exp.Literal.number(0)
    index = exp.Greatest(
        this=exp.Literal.number(0),
        expressions=[exp.Least(this=exp.Floor(this=raw), expressions=[exp.Literal.number(buckets - 1)])],
    )
    counts_q = (
        base.select(index.as_("b"), exp.func("count", exp.Star()).as_("c"))
        .where(positive)
        .group_by(exp.column("b"))
    )
    counts = {int(r["b"]): int(r["c"]) for r in store.query(counts_q, params.values) if r["b"] is not None}
    result.buckets = [Bucket(bounds[i], bounds[i + 1], counts.get(i, 0)) for i in range(buckets)]
    return result
