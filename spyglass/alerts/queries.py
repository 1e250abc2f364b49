"""SQL the alert engine runs against the span store, built with sqlglot.

The store contract (docs/architecture.md): query modules build sqlglot expressions and run
them through ``store.query(expression, params)``, rendered in ``store.dialect``. This module
owns the alert-specific shapes the general metrics API does not offer: per-group values
with a volume next to them, baselines, medians of a per-request measure, category mixes,
per-version failure rates, example traces and the per-dimension failing/healthy split
behind an incident's suspected cause.

All functions are blocking (they run a query) and raise whatever the store raises.
Rule values are inserted as sqlglot literals, never pasted as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from spyglass.alerts.measures import METRICS, Metric
from spyglass.alerts.rules import Rule, RuleError
from spyglass.query.metrics import SPAN_DIMENSIONS

SPANS_TABLE = "spans"
FEEDBACK_TABLE = "feedback"
TRACES_TABLE = "traces"
_NEGATIVE_FEEDBACK = "(thumbs = 'down' OR score < 0.5)"
SPAN_ALIAS = "s"  # the alias the query layer's filter compiler qualifies span columns with

# Dimension name (as in rules and docs/api.md) -> span column: the query layer's span
# dimensions, less those alert rules do not group by.
_NOT_ALERT_DIMENSIONS = frozenset({"session_id", "operation", "agent_name"})
DIMENSION_COLUMNS: dict[str, str] = {
    dim: column for dim, column in SPAN_DIMENSIONS.items() if dim not in _NOT_ALERT_DIMENSIONS
}

_TOKENS = "COALESCE(total_tokens, COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0))"
_TOOL_FAILED = "(kind = 'tool' AND (status = 'error' OR tool_status = 'error'))"
_EVAL_FAILED = "(kind = 'eval' AND status = 'error')"

_SPAN_ROW = [
    "trace_id",
    "start_time_ns",
    "(end_time_ns - start_time_ns) / 1e6 AS duration_ms",
    "ttft_ms",
    "cost_total_usd AS cost_usd",
    f"{_TOKENS} AS tokens",
    "(status = 'error') AS is_error",
    "error_class",
    "refusal",
    "(schema_valid = FALSE) AS schema_failed",
    f"{_TOOL_FAILED} AS tool_failed",
    f"{_EVAL_FAILED} AS eval_failed",
    "guardrail_decision",
    *(f"{col} AS {dim}" for dim, col in DIMENSION_COLUMNS.items()),
]

# A request's cost, tokens and TTFT come from its counted spans (an LLM span wrapping another
# LLM span of the same call is not counted, as in the ``traces`` rollup); its duration,
# errors and failures from all of them.
_TRACE_ROW = [
    "trace_id",
    "MIN(start_time_ns) AS start_time_ns",
    "(MAX(end_time_ns) - MIN(start_time_ns)) / 1e6 AS duration_ms",
    "MIN(ttft_ms) FILTER (WHERE counted) AS ttft_ms",
    "SUM(cost_total_usd) FILTER (WHERE counted) AS cost_usd",
    f"SUM({_TOKENS}) FILTER (WHERE counted) AS tokens",
    "BOOL_OR(status = 'error') AS is_error",
    "MAX(error_class) AS error_class",
    "BOOL_OR(refusal) AS refusal",
    "BOOL_OR(schema_valid = FALSE) AS schema_failed",
    f"BOOL_OR({_TOOL_FAILED}) AS tool_failed",
    f"BOOL_OR({_EVAL_FAILED}) AS eval_failed",
    "MAX(guardrail_decision) AS guardrail_decision",
    *(f"MAX({col}) AS {dim}" for dim, col in DIMENSION_COLUMNS.items()),
]


class SpanQueryRunner(Protocol):
    """What the alert engine needs from the span store (``SpanStore`` satisfies it)."""

    dialect: str

    def query(self, sql: str, params: dict[str, Any] | None = None) -> Any: ...


def _lit(value: Any) -> str:
    return exp.convert(value).sql("duckdb")


def _in_list(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(_lit(v) for v in values)})"


def _filter_sql(q: str) -> str | None:
    """Compile a filter-language string (``spyglass.query``) into a predicate on ``spans AS s``.

    The query layer binds values as placeholders; alert queries are rendered once per round,
    so the values are turned back into sqlglot literals here (quoted by sqlglot, never pasted).
    """
    if not q.strip():
        return None
    from spyglass.query.compile import Params, Scope, compile_filter
    from spyglass.query.filters import FilterError, parse

    try:
        node = parse(q)
    except FilterError as e:
        raise RuleError(f"filter: {e}") from e
    params = Params()
    predicate = compile_filter(node, level="span", dialect="duckdb", params=params, scope=Scope("", 0, 0))
    if predicate is None:
        return None

    def inline(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Placeholder) and n.name in params.values:
            return exp.convert(params.values[n.name])
        return n

    return predicate.transform(inline).sql("duckdb")


def _counted_only(q: str) -> bool:
    """Span-level rules count counted spans only, unless their filter names ``counted``."""
    from spyglass.query.compile import COUNTED_FIELD, names_field
    from spyglass.query.filters import parse

    return not q.strip() or not names_field(parse(q), COUNTED_FIELD)


def validate_filter(q: str) -> None:
    """Raise :class:`RuleError` when ``q`` is not valid filter language."""
    _filter_sql(q)


def span_predicates(
    rule: Rule, project_id: str, lo_ns: int, hi_ns: int, labels: Mapping[str, str | None] | None = None
) -> list[str]:
    """WHERE conjuncts selecting the spans a rule looks at in ``[lo_ns, hi_ns)``.

    ``labels`` narrows to one alert group (``None`` values match SQL NULL)."""
    metric = METRICS[rule.metric]
    preds = [
        f"project_id = {_lit(project_id)}",
        f"start_time_ns >= {int(lo_ns)}",
        f"start_time_ns < {int(hi_ns)}",
    ]
    if metric.scope:
        preds.append(f"({metric.scope})")
    for dim, values in rule.where.items():
        preds.append(_in_list(DIMENSION_COLUMNS[dim], values))
    for dim, value in (labels or {}).items():
        col = DIMENSION_COLUMNS[dim]
        preds.append(f"{col} IS NULL" if value is None else f"{col} = {_lit(value)}")
    filt = _filter_sql(rule.filter)
    if filt:
        preds.append(f"({filt})")
    return preds


# Dimensions the ``traces`` rollup holds as plain columns (same names as the rule dimensions).
TRACE_TABLE_DIMENSIONS = frozenset(
    {
        "feature",
        "environment",
        "release",
        "tenant_id",
        "user_id",
        "service_name",
        "status",
        "error_class",
        "name",
    }
)

_ROLLUP_ROW = [
    "trace_id",
    "start_time_ns",
    "duration_ms",
    "ttft_ms",
    "cost_usd",
    "COALESCE(total_tokens, COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0)) AS tokens",
    "(status = 'error') AS is_error",
    "error_class",
    "refusal",
    "(schema_failure_count > 0) AS schema_failed",
    "(tool_error_count > 0) AS tool_failed",
    "FALSE AS eval_failed",
    "NULL AS guardrail_decision",
    *sorted(TRACE_TABLE_DIMENSIONS - {"error_class"}),
]


def _uses_rollup(rule: Rule, dims: Iterable[str], labels: Mapping[str, str | None] | None) -> bool:
    """Whether a trace-level rule can read the ``traces`` rollup instead of re-aggregating spans:
    no filter (the filter language is span-level) and every dimension it touches is a rollup
    column. The rollup is 1/N of the span rows and needs no GROUP BY, which is what keeps a
    round of the default pack fast at a million spans."""
    if METRICS[rule.metric].level != "trace" or rule.filter.strip():
        return False
    used = {*dims, *rule.group_by, *rule.where, *(labels or {})}
    return used <= TRACE_TABLE_DIMENSIONS


def _feedback_columns(project_id: str, aggregate: bool) -> list[str]:
    # Feedback is kept apart from spans (it may arrive after the trace); a semi-join per
    # request says whether it got any, and any negative, feedback.
    fb = f"SELECT trace_id FROM {FEEDBACK_TABLE} WHERE project_id = {_lit(project_id)} AND trace_id IS NOT NULL"
    has, neg = f"trace_id IN ({fb})", f"trace_id IN ({fb} AND {_NEGATIVE_FEEDBACK})"
    if aggregate:
        has, neg = f"BOOL_OR({has})", f"BOOL_OR({neg})"
    return [f"{has} AS has_feedback", f"{neg} AS negative_feedback"]


def base_rows_sql(
    rule: Rule,
    project_id: str,
    lo_ns: int,
    hi_ns: int,
    labels: Mapping[str, str | None] | None = None,
    dims: Iterable[str] = (),
) -> str:
    """The rule's base rows (per span or per trace, see :mod:`measures`) as a subquery.

    ``dims`` are the dimensions the outer query reads (group-by, mix, cause); they decide
    whether the ``traces`` rollup can serve a trace-level rule."""
    metric = METRICS[rule.metric]
    dims = list(dims)
    if _uses_rollup(rule, dims, labels):
        preds = [
            f"project_id = {_lit(project_id)}",
            f"start_time_ns >= {int(lo_ns)}",
            f"start_time_ns < {int(hi_ns)}",
        ]
        preds += [_in_list(dim, values) for dim, values in rule.where.items()]
        preds += [f"{d} IS NULL" if v is None else f"{d} = {_lit(v)}" for d, v in (labels or {}).items()]
        cols = _ROLLUP_ROW + (_feedback_columns(project_id, False) if metric.feedback else [])
        return f"SELECT {', '.join(cols)} FROM {TRACES_TABLE} WHERE {' AND '.join(preds)}"
    preds = span_predicates(rule, project_id, lo_ns, hi_ns, labels)
    if metric.level == "trace":
        where = " AND ".join(preds)
        cols = list(_TRACE_ROW) + (_feedback_columns(project_id, True) if metric.feedback else [])
        return f"SELECT {', '.join(cols)} FROM {SPANS_TABLE} AS {SPAN_ALIAS} WHERE {where} GROUP BY trace_id"
    # one row per LLM call: a wrapper span is left out, as in the metrics API
    if _counted_only(rule.filter):
        preds.append("counted")
    where = " AND ".join(preds)
    return f"SELECT {', '.join(_SPAN_ROW)} FROM {SPANS_TABLE} AS {SPAN_ALIAS} WHERE {where}"


def bad_predicate(rule: Rule) -> str | None:
    """The failing-row predicate for a rule (its error classes narrow ``error_rate``)."""
    metric = METRICS[rule.metric]
    if metric.bad is None:
        return None
    if rule.error_classes:
        return f"({metric.bad} AND {_in_list('error_class', rule.error_classes)})"
    return f"({metric.bad})"


def value_sql(rule: Rule, metric: Metric | None = None) -> str:
    metric = metric or METRICS[rule.metric]
    return metric.value.format(q=_lit(rule.quantile or 0.5), bad=bad_predicate(rule) or "FALSE")


class AlertQueries:
    """Runs the alert engine's queries against one store. Thread-compatible, not thread-safe
    beyond what the underlying store guarantees."""

    def __init__(self, store: SpanQueryRunner) -> None:
        self.store = store

    def _run(self, sql: str) -> list[dict[str, Any]]:
        expression = sqlglot.parse_one(sql, read="duckdb")
        result = self.store.query(expression.sql(self.store.dialect), {})
        return _as_dicts(result, expression)

    def grouped_values(
        self,
        rule: Rule,
        project_id: str,
        lo_ns: int,
        hi_ns: int,
        extra_dims: Sequence[str] = (),
        value_expr: str | None = None,
    ) -> list[dict[str, Any]]:
        """One row per group: the group's dimension values, ``n`` (volume) and ``value``
        (the metric, or ``value_expr`` over the base rows)."""
        dims = [*rule.group_by, *extra_dims]
        select = [*dims, "COUNT(*) AS n", f"{value_expr or value_sql(rule)} AS value"]
        sql = f"SELECT {', '.join(select)} FROM ({base_rows_sql(rule, project_id, lo_ns, hi_ns, dims=dims)}) AS b"
        if dims:
            sql += f" GROUP BY {', '.join(dims)}"
        return self._run(sql)

    def grouped_medians(self, rule: Rule, project_id: str, lo_ns: int, hi_ns: int) -> list[dict[str, Any]]:
        """Per group: the median of the metric's per-request measure, and ``n``."""
        metric = METRICS[rule.metric]
        dims = list(rule.group_by)
        select = [*dims, "COUNT(*) AS n", f"QUANTILE_CONT({metric.per_row}, 0.5) AS value"]
        sql = f"SELECT {', '.join(select)} FROM ({base_rows_sql(rule, project_id, lo_ns, hi_ns, dims=dims)}) AS b"
        if dims:
            sql += f" GROUP BY {', '.join(dims)}"
        return self._run(sql)

    def version_failures(self, rule: Rule, project_id: str, lo_ns: int, hi_ns: int) -> list[dict[str, Any]]:
        """Per group and prompt (name, version): volume, failures and first-seen time."""
        bad = bad_predicate(rule) or "FALSE"
        dims = [d for d in rule.group_by if d not in ("prompt_name", "prompt_version")]
        keys = [*dims, "prompt_name", "prompt_version"]
        sql = (
            f"SELECT {', '.join(keys)}, COUNT(*) AS n, SUM(CASE WHEN {bad} THEN 1 ELSE 0 END) AS bad_n, "
            f"MIN(start_time_ns) AS first_seen_ns "
            f"FROM ({base_rows_sql(rule, project_id, lo_ns, hi_ns, dims=keys)}) AS b "
            f"WHERE prompt_version IS NOT NULL GROUP BY {', '.join(keys)}"
        )
        return self._run(sql)

    def example_traces(
        self,
        rule: Rule,
        project_id: str,
        lo_ns: int,
        hi_ns: int,
        labels: Mapping[str, str | None],
        limit: int = 3,
    ) -> list[str]:
        """Up to ``limit`` recent trace ids in the group, failing ones first."""
        bad = bad_predicate(rule)
        order = f"CASE WHEN {bad} THEN 0 ELSE 1 END, " if bad else ""
        if rule.metric in ("latency", "llm_latency", "ttft", "cost_per_request", "tokens_per_request"):
            order = f"{METRICS[rule.metric].per_row} DESC NULLS LAST, "
        sql = (
            f"SELECT trace_id FROM ({base_rows_sql(rule, project_id, lo_ns, hi_ns, labels)}) AS b "
            f"ORDER BY {order}start_time_ns DESC LIMIT {int(limit) * 4}"
        )
        seen: list[str] = []
        for row in self._run(sql):
            if row["trace_id"] not in seen:
                seen.append(row["trace_id"])
            if len(seen) == limit:
                break
        return seen

    def dimension_split(
        self,
        rule: Rule,
        project_id: str,
        lo_ns: int,
        hi_ns: int,
        dimension: str,
        bad_sql: str,
        labels: Mapping[str, str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Per value of ``dimension``: failing (``bad_n``) and healthy (``good_n``) row counts."""
        sql = (
            f"SELECT {dimension} AS value, SUM(CASE WHEN {bad_sql} THEN 1 ELSE 0 END) AS bad_n, "
            f"SUM(CASE WHEN {bad_sql} THEN 0 ELSE 1 END) AS good_n "
            f"FROM ({base_rows_sql(rule, project_id, lo_ns, hi_ns, labels, dims=[dimension])}) AS b GROUP BY {dimension}"
        )
        return self._run(sql)


def _as_dicts(result: Any, expression: Any) -> list[dict[str, Any]]:
    """Accept the store's result as dicts, or as tuples in SELECT order."""
    rows = list(result.rows if hasattr(result, "rows") else result)
    if not rows or isinstance(rows[0], Mapping):
        return [dict(r) for r in rows]
    names = [e.alias_or_name for e in expression.expressions] if isinstance(expression, exp.Select) else []
    return [dict(zip(names, r, strict=False)) for r in rows]
