"""Outlier requests the dashboard lists besides "slowest" and "most expensive" (which are
plain sorts of ``GET /api/v1/traces``):

* ``lowest_score``: traces with feedback, ranked by their lowest score (thumbs down = 0,
  thumbs up = 1, a numeric score as given);
* ``most_retried``: traces ranked by retries = LLM calls repeated under the same parent
  with the same name (an application-level retry loop) + feedback of kind ``retry``
  (the user asked again).

``outliers(store, scope, by=..., node=..., limit=...)`` blocks; call from a worker thread.
"""

from __future__ import annotations

from typing import Any, Literal

import sqlglot.expressions as exp

from spyglass.query.compile import TRACE_ALIAS, Params, Scope, scope_condition
from spyglass.query.filters import Node
from spyglass.query.histogram import source
from spyglass.query.timerange import iso
from spyglass.store.base import SpanStore

OutlierKind = Literal["lowest_score", "most_retried"]
KINDS: tuple[str, ...] = ("lowest_score", "most_retried")
_ROW_COLUMNS = (
    "trace_id",
    "name",
    "start_time_ns",
    "duration_ms",
    "status",
    "error_class",
    "cost_usd",
    "total_tokens",
    "span_count",
    "models",
    "prompt_versions",
)


def _lit(v: float) -> exp.Expr:
    return exp.Literal.number(v)


def _score_subquery() -> exp.Select:
    score = exp.Coalesce(
        this=exp.column("score"),
        expressions=[
            exp.Case(
                ifs=[
                    exp.If(this=exp.column("thumbs").eq(exp.Literal.string("down")), true=_lit(0)),
                    exp.If(this=exp.column("thumbs").eq(exp.Literal.string("up")), true=_lit(1)),
                ]
            )
        ],
    )
    return (
        exp.select(
            exp.column("trace_id"),
            exp.Min(this=score).as_("metric"),
            exp.func("count", exp.Star()).as_("feedback_count"),
        )
        .from_("feedback")
        .where(exp.column("project_id").eq(exp.Placeholder(this="project_id")))
        .where(exp.not_(exp.column("trace_id").is_(exp.null())))
        .group_by(exp.column("trace_id"))
        .having(exp.not_(exp.Min(this=score).is_(exp.null())))
    )


def _retry_subquery(scope: Scope, params: Params) -> exp.Select:
    # repeated (parent, name) LLM calls per trace
    s = "rs"
    repeats = (
        exp.select(exp.column("trace_id", table=s), (exp.func("count", exp.Star()) - _lit(1)).as_("extra"))
        .from_(exp.to_table("spans").as_(s))
        .where(scope_condition(s, scope, params, slack_ns=24 * 3600 * 10**9))
        .where(exp.column("kind", table=s).eq(exp.Literal.string("llm")))
        .group_by(
            exp.column("trace_id", table=s),
            exp.column("parent_span_id", table=s),
            exp.column("name", table=s),
        )
        .having(exp.func("count", exp.Star()) > _lit(1))
    )
    user_retries = (
        exp.select(exp.column("trace_id"), exp.func("count", exp.Star()).as_("extra"))
        .from_("feedback")
        .where(exp.column("project_id").eq(exp.Placeholder(this="project_id")))
        .where(exp.column("kind").eq(exp.Literal.string("retry")))
        .group_by(exp.column("trace_id"))
    )
    union = exp.union(repeats, user_retries, distinct=False)
    return (
        exp.select(exp.column("trace_id"), exp.Sum(this=exp.column("extra")).as_("metric"))
        .from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("u"))))
        .group_by(exp.column("trace_id"))
    )


def outliers(
    store: SpanStore, scope: Scope, *, by: OutlierKind, node: Node | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """Trace rows (list fields + ``metric``: lowest score or retry count), worst first."""
    if by not in KINDS:
        raise ValueError(f"by must be one of {', '.join(KINDS)}, not {by!r}")
    params = Params()
    base, t = source("trace", scope, node, store.dialect, params)
    sub = _score_subquery() if by == "lowest_score" else _retry_subquery(scope, params)
    alias = "o"
    query = (
        base.select(*(exp.column(c, table=t) for c in _ROW_COLUMNS), exp.column("metric", table=alias))
        .join(
            exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias))),
            on=exp.column("trace_id", table=alias).eq(exp.column("trace_id", table=TRACE_ALIAS)),
        )
        .order_by(
            exp.Ordered(this=exp.column("metric", table=alias), desc=by == "most_retried"),
            exp.Ordered(this=exp.column("start_time_ns", table=t), desc=True),
        )
        .limit(max(1, min(limit, 100)))
    )
    rows = store.query(query, params.values)
    for r in rows:
        r["start_time"] = iso(int(r["start_time_ns"]))
        r["models"] = list(r["models"] or [])
        r["prompt_versions"] = list(r["prompt_versions"] or [])
    return rows
