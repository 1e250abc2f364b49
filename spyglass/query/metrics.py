"""Aggregates for dashboards and alerts (``GET /api/v1/metrics``).

``compute_metrics`` counts requests, errors (by class), refusals, latency and TTFT
quantiles, tokens, cost, feedback, schema failures and tool errors, at ``level="trace"``
(one row per trace, from the rollup) or ``level="span"`` (one row per matching span),
grouped by any canonical dimension or ``attr.<key>`` and optionally by time bucket.

At trace level the list-valued dimensions (``model``, ``response_model``, ``provider``,
``prompt_version``) count a trace once in each group it belongs to; dimensions the rollup
does not keep (``kind``, ``tool_name``, ``finish_reason``, ``prompt_name``, ``attr.*`` …)
are taken from the trace's root span. Feedback joins on ``trace_id`` at trace level and on
``request_id = response_id`` at span level (the store attaches feedback sent with only a
``request_id`` to the trace holding that response); positive = thumbs up (or score >= 0.5 without
thumbs), negative = thumbs down (or score < 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot.expressions as exp

from spyglass.model.span import ErrorClass
from spyglass.query import dialect as ds
from spyglass.query.common import QueryParamError, make_scope
from spyglass.query.compile import (
    SPAN_ALIAS,
    TRACE_ALIAS,
    Params,
    Scope,
    col,
    compile_filter,
    counted_only,
    scope_condition,
)
from spyglass.query.filters import ALIASES, parse
from spyglass.query.timerange import iso
from spyglass.store.base import SpanStore

MetricsLevel = Literal["trace", "span"]

BUCKETS_NS: dict[str, int] = {
    "1m": 60 * 10**9,
    "5m": 5 * 60 * 10**9,
    "15m": 15 * 60 * 10**9,
    "1h": 3600 * 10**9,
    "6h": 6 * 3600 * 10**9,
    "1d": 86400 * 10**9,
}
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
ERROR_CLASSES = tuple(c.value for c in ErrorClass)

# group_by dimension -> spans column (span level; also the root-span fallback at trace level)
SPAN_DIMENSIONS: dict[str, str] = {
    "model": "request_model",
    "response_model": "response_model",
    "provider": "provider",
    "kind": "kind",
    "name": "name",
    "status": "status",
    "error_class": "error_class",
    "prompt_name": "prompt_name",
    "prompt_version": "prompt_version",
    "feature": "feature",
    "tenant_id": "tenant_id",
    "user_id": "user_id",
    "session_id": "session_id",
    "environment": "environment",
    "release": "release",
    "service_name": "service_name",
    "finish_reason": "finish_reason",
    "tool_name": "tool_name",
    "operation": "operation",
    "agent_name": "agent_name",
}
# trace level: scalar rollup columns, and list columns exploded one group per element
TRACE_DIMENSIONS: dict[str, str] = {
    d: d
    for d in (
        "name",
        "status",
        "error_class",
        "feature",
        "tenant_id",
        "user_id",
        "session_id",
        "environment",
        "release",
        "service_name",
    )
}
TRACE_LIST_DIMENSIONS = {
    "model": "models",
    "response_model": "response_models",
    "provider": "providers",
    "prompt_version": "prompt_versions",
}
ROOT_ALIAS = "r"
FEEDBACK_ALIAS = "fb"


@dataclass(slots=True)
class MetricsSeries:
    """One group (and time bucket) of figures; see docs/api.md for the JSON shape."""

    group: dict[str, Any]
    bucket_start: str | None
    bucket_start_ns: int | None
    count: int
    error_count: int
    error_rate: float
    errors_by_class: dict[str, int]
    refusal_count: int
    refusal_rate: float
    latency_ms: dict[str, float | None]
    ttft_ms: dict[str, float | None]
    tokens: dict[str, float | None]
    cost_usd: dict[str, float | None]
    feedback: dict[str, float | int | None]
    schema_failure_count: int
    tool_error_count: int


@dataclass(slots=True)
class MetricsResult:
    level: str
    bucket: str | None
    group_by: list[str]
    series: list[MetricsSeries] = field(default_factory=list)


def _canonical_dimension(name: str) -> str:
    name = name.strip()
    if name.lower().startswith(("attr.", "metadata.")):
        return name
    lowered = name.lower()
    return ALIASES.get(lowered, lowered)


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _distribution(row: dict[str, Any], measure: str) -> dict[str, float | None]:
    qs = row[f"{measure}_q"] or [None] * len(QUANTILES)
    out = {label: _num(v) for label, v in zip(QUANTILES, qs, strict=True)}
    out["max"] = _num(row[f"{measure}_max"])
    out["mean"] = _num(row[f"{measure}_mean"])
    return out


def _case(cond: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))], default=exp.Literal.number(0))


def _null_safe_true(e: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=e, expressions=[exp.false()])


def _feedback_subquery(level: MetricsLevel, scope: Scope, params: Params) -> exp.Select:
    """Per-key feedback counts: ``trace_id`` at trace level, ``request_id`` at span level."""
    f = "f"
    thumbs = col("thumbs", f)
    score = col("score", f)
    positive = exp.or_(
        thumbs.eq(exp.Literal.string("up")),
        exp.and_(exp.Is(this=thumbs, expression=exp.null()), score >= exp.Literal.number(0.5)),
    )
    negative = exp.or_(
        thumbs.eq(exp.Literal.string("down")),
        exp.and_(exp.Is(this=thumbs, expression=exp.null()), score < exp.Literal.number(0.5)),
    )
    query = exp.select().from_(exp.to_table("feedback").as_(f))
    # the store fills trace_id for feedback sent by request id (see DuckDBStore.write_feedback)
    key: exp.Expr = col("trace_id" if level == "trace" else "request_id", f)
    return (
        query.select(
            exp.alias_(key, "fb_key"),
            exp.alias_(exp.Count(this=exp.Star()), "fb_count"),
            exp.alias_(exp.Sum(this=_case(_null_safe_true(positive))), "fb_positive"),
            exp.alias_(exp.Sum(this=_case(_null_safe_true(negative))), "fb_negative"),
            exp.alias_(exp.Sum(this=score), "fb_score_sum"),
            exp.alias_(exp.Count(this=score), "fb_score_n"),
        )
        .where(col("project_id", f).eq(params.add(scope.project_id, "project_id")))
        .where(exp.not_(exp.Is(this=key, expression=exp.null())))
        .group_by(key)
    )


def _base_rows(
    level: MetricsLevel,
    scope: Scope,
    q: str | None,
    dims: list[str],
    bucket_ns: int | None,
    dialect: str,
    params: Params,
    with_feedback: bool = True,
) -> exp.Select:
    """One row per counted unit with columns g0..gN, bucket, and the measures (m_*). At span
    level an LLM span wrapping another LLM span of the same call is not a unit (unless the
    filter names ``counted``): the call is counted once, with the inner span's figures."""
    node = parse(q)
    cond = compile_filter(node, level=level, dialect=dialect, params=params, scope=scope)
    selects: list[exp.Expr] = []
    need_root = False
    if level == "trace":
        a = TRACE_ALIAS
        src: exp.Select = (
            exp.select().from_(exp.to_table("traces").as_(a)).where(scope_condition(a, scope, params))
        )
        for i, d in enumerate(dims):
            if d in TRACE_DIMENSIONS:
                e: exp.Expr = col(TRACE_DIMENSIONS[d], a)
            elif d in TRACE_LIST_DIMENSIONS:
                e = ds.explode_keep_empty(col(TRACE_LIST_DIMENSIONS[d], a))
            else:
                need_root = True
                e = _span_dimension(d, ROOT_ALIAS, dialect, params)
            selects.append(exp.alias_(e, f"g{i}"))
        m = {
            **_shared_measures(a),
            "total_tokens": col("total_tokens", a),
            "cost": col("cost_usd", a),
            "schema_failures": col("schema_failure_count", a),
            "tool_errors": col("tool_error_count", a),
        }
        fb_on = col("trace_id", a)
        if need_root:
            r = ROOT_ALIAS
            on = exp.and_(
                col("project_id", r).eq(col("project_id", a)),
                col("trace_id", r).eq(col("trace_id", a)),
                col("span_id", r).eq(col("root_span_id", a)),
                col("start_time_ns", r) >= params.add(scope.start_ns, "start_ns"),
            )
            src = src.join(exp.to_table("spans").as_(r), on=on, join_type="left")
    else:
        a = SPAN_ALIAS
        src = exp.select().from_(exp.to_table("spans").as_(a)).where(scope_condition(a, scope, params))
        once = counted_only(node, a)
        if once is not None:
            src = src.where(once)
        for i, d in enumerate(dims):
            selects.append(exp.alias_(_span_dimension(d, a, dialect, params), f"g{i}"))
        m = {
            **_shared_measures(a),
            "total_tokens": exp.Coalesce(
                this=col("total_tokens", a),
                expressions=[exp.Add(this=col("input_tokens", a), expression=col("output_tokens", a))],
            ),
            "cost": col("cost_total_usd", a),
            "schema_failures": _case(col("schema_valid", a).eq(exp.false())),
            "tool_errors": _case(
                exp.and_(
                    col("kind", a).eq(exp.Literal.string("tool")),
                    exp.or_(
                        col("tool_status", a).eq(exp.Literal.string("error")),
                        col("status", a).eq(exp.Literal.string("error")),
                    ),
                )
            ),
        }
        fb_on = col("response_id", a)
    if with_feedback:
        fb = _feedback_subquery(level, scope, params).subquery(FEEDBACK_ALIAS)
        src = src.join(fb, on=col("fb_key", FEEDBACK_ALIAS).eq(fb_on), join_type="left")
    for name in ("fb_count", "fb_positive", "fb_negative", "fb_score_sum", "fb_score_n"):
        m[name] = col(name, FEEDBACK_ALIAS) if with_feedback else exp.Literal.number(0)
    if bucket_ns is not None:
        selects.append(
            exp.alias_(ds.time_bucket(col("start_time_ns", a), params.add(bucket_ns, "bucket_ns")), "bucket")
        )
    selects.extend(exp.alias_(e, f"m_{k}") for k, e in m.items())
    src = src.select(*selects)
    return src.where(cond) if cond is not None else src


def _shared_measures(a: str) -> dict[str, exp.Expr]:
    """The measures spans and trace rollups hold under the same column names (latency, TTFT,
    error, refusal, token counts); each level adds its own totals, cost and failures."""
    return {
        "latency": col("duration_ms", a),
        "ttft": col("ttft_ms", a),
        "is_error": _case(col("status", a).eq(exp.Literal.string("error"))),
        "error_class": col("error_class", a),
        "refusal": _case(_null_safe_true(col("refusal", a))),
        "input_tokens": col("input_tokens", a),
        "output_tokens": col("output_tokens", a),
        "cache_read_tokens": col("cache_read_tokens", a),
    }


def _span_dimension(d: str, alias: str, dialect: str, params: Params) -> exp.Expr:
    lowered = d.lower()
    for prefix, column in (("attr.", "attributes"), ("metadata.", "metadata")):
        if lowered.startswith(prefix):
            return ds.map_get(col(column, alias), params.add(d[len(prefix) :]), dialect)
    if d not in SPAN_DIMENSIONS:
        allowed = ", ".join([*SPAN_DIMENSIONS, "attr.<key>"])
        raise QueryParamError(f"cannot group by '{d}' (one of {allowed})")
    if d == "model":  # request model, else the returned snapshot
        return exp.Coalesce(this=col("request_model", alias), expressions=[col("response_model", alias)])
    return col(SPAN_DIMENSIONS[d], alias)


def compute_metrics(
    store: SpanStore,
    project_id: str,
    *,
    q: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    level: str = "trace",
    group_by: Sequence[str] | str | None = None,
    bucket: str | None = None,
    now_ns: int | None = None,
) -> MetricsResult:
    """Figures per group (and bucket), ordered by bucket then group. Raises
    ``QueryParamError``/``FilterError``/``TimeRangeError`` on bad input."""
    if level not in ("trace", "span"):
        raise QueryParamError(f"level must be 'trace' or 'span', got '{level}'")
    if bucket is not None and bucket not in BUCKETS_NS:
        raise QueryParamError(f"unknown bucket '{bucket}' (one of {', '.join(BUCKETS_NS)})")
    if isinstance(group_by, str):
        group_by = [g for g in group_by.split(",") if g.strip()]
    dims = [_canonical_dimension(g) for g in (group_by or [])]
    if len(dims) > 4:
        raise QueryParamError("at most 4 group_by dimensions")
    scope = make_scope(project_id, start, end, now_ns)
    bucket_ns = BUCKETS_NS[bucket] if bucket else None
    params = Params()
    lvl: MetricsLevel = "trace" if level == "trace" else "span"
    # skip the feedback join (a probe of every row's key) when the project has none
    fb_params = Params()
    has_feedback = bool(
        store.query(
            exp.select(exp.Literal.number(1))
            .from_(exp.to_table("feedback").as_("f"))
            .where(col("project_id", "f").eq(fb_params.add(project_id, "project_id")))
            .limit(1),
            fb_params.values,
        )
    )
    base = _base_rows(lvl, scope, q, dims, bucket_ns, store.dialect, params, has_feedback).subquery("u")

    keys = [exp.column(f"g{i}") for i in range(len(dims))]
    if bucket_ns is not None:
        keys.append(exp.column("bucket"))

    def m(name: str) -> exp.Column:
        return exp.column(f"m_{name}")

    aggs: list[exp.Expr] = [
        exp.alias_(exp.Count(this=exp.Star()), "count"),
        exp.alias_(exp.Sum(this=m("is_error")), "error_count"),
        exp.alias_(exp.Sum(this=m("refusal")), "refusal_count"),
        exp.alias_(exp.Sum(this=m("input_tokens")), "tok_input"),
        exp.alias_(exp.Sum(this=m("output_tokens")), "tok_output"),
        exp.alias_(exp.Sum(this=m("cache_read_tokens")), "tok_cache_read"),
        exp.alias_(exp.Sum(this=m("total_tokens")), "tok_total"),
        exp.alias_(exp.Sum(this=m("cost")), "cost_sum"),
        exp.alias_(exp.Avg(this=m("cost")), "cost_mean"),
        exp.alias_(ds.quantile(m("cost"), 0.95, store.dialect), "cost_p95"),
        exp.alias_(exp.Sum(this=m("schema_failures")), "schema_failures"),
        exp.alias_(exp.Sum(this=m("tool_errors")), "tool_errors"),
        exp.alias_(exp.Sum(this=m("fb_count")), "fb_count"),
        exp.alias_(exp.Sum(this=m("fb_positive")), "fb_positive"),
        exp.alias_(exp.Sum(this=m("fb_negative")), "fb_negative"),
        exp.alias_(exp.Sum(this=m("fb_score_sum")), "fb_score_sum"),
        exp.alias_(exp.Sum(this=m("fb_score_n")), "fb_score_n"),
    ]
    for measure in ("latency", "ttft"):  # one sort per measure for all quantiles
        aggs.append(
            exp.alias_(ds.quantiles(m(measure), list(QUANTILES.values()), store.dialect), f"{measure}_q")
        )
        aggs.append(exp.alias_(exp.Max(this=m(measure)), f"{measure}_max"))
        aggs.append(exp.alias_(exp.Avg(this=m(measure)), f"{measure}_mean"))
    # errors by class in the same scan: the classes are a closed enum
    for cls in ERROR_CLASSES:
        is_cls = exp.and_(
            m("is_error").eq(exp.Literal.number(1)), m("error_class").eq(exp.Literal.string(cls))
        )
        aggs.append(exp.alias_(exp.Sum(this=_case(is_cls)), f"err_{cls}"))
    query = exp.select(*keys, *aggs).from_(base)
    if keys:
        query = query.group_by(*keys).order_by(
            *(exp.Ordered(this=k, nulls_first=False) for k in reversed(keys))
        )
    rows = store.query(query, params.values)

    result = MetricsResult(level=level, bucket=bucket, group_by=dims)
    for r in rows:
        count = int(r["count"])
        if count == 0:
            continue  # the no-group query over an empty range returns one all-NULL row
        errors = int(r["error_count"] or 0)
        refusals = int(r["refusal_count"] or 0)
        bucket_ns_value = r.get("bucket")
        score_n = int(r["fb_score_n"] or 0)
        result.series.append(
            MetricsSeries(
                group={d: r[f"g{i}"] for i, d in enumerate(dims)},
                bucket_start=iso(bucket_ns_value) if bucket_ns_value is not None else None,
                bucket_start_ns=bucket_ns_value,
                count=count,
                error_count=errors,
                error_rate=errors / count,
                errors_by_class={c: int(r[f"err_{c}"]) for c in ERROR_CLASSES if r[f"err_{c}"]},
                refusal_count=refusals,
                refusal_rate=refusals / count,
                latency_ms=_distribution(r, "latency"),
                ttft_ms=_distribution(r, "ttft"),
                tokens={
                    "input": _num(r["tok_input"]) or 0,
                    "output": _num(r["tok_output"]) or 0,
                    "cache_read": _num(r["tok_cache_read"]) or 0,
                    "total": _num(r["tok_total"]) or 0,
                    "mean_per_request": (_num(r["tok_total"]) or 0) / count,
                },
                cost_usd={
                    "sum": _num(r["cost_sum"]) or 0.0,
                    "mean": _num(r["cost_mean"]),
                    "p95": _num(r["cost_p95"]),
                },
                feedback={
                    "count": int(r["fb_count"] or 0),
                    "positive": int(r["fb_positive"] or 0),
                    "negative": int(r["fb_negative"] or 0),
                    "mean_score": (float(r["fb_score_sum"]) / score_n) if score_n else None,
                },
                schema_failure_count=int(r["schema_failures"] or 0),
                tool_error_count=int(r["tool_errors"] or 0),
            )
        )
    return result
