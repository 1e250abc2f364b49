"""The tiny dialect seam: the few constructs sqlglot does not translate the way we need.

Everything else in the query layer is plain sqlglot expressions rendered with
``store.dialect``; only these helpers look at the dialect name.
"""

from __future__ import annotations

import sqlglot.expressions as exp


def quantile(value: exp.Expr, q: float, dialect: str) -> exp.Expr:
    """Continuous (interpolated) quantile ``q`` of ``value`` as an aggregate.

    DuckDB ``quantile_cont``, PostgreSQL ``percentile_cont … within group``, ClickHouse
    ``quantile(q)(x)`` (sqlglot renders exp.Quantile that way)."""
    lit = exp.Literal.number(q)
    if dialect == "clickhouse":
        return exp.Quantile(this=value, quantile=lit)
    if dialect in ("postgres", "postgresql"):
        return exp.WithinGroup(
            this=exp.PercentileCont(this=lit), expression=exp.Order(expressions=[exp.Ordered(this=value)])
        )
    return exp.PercentileCont(this=value, expression=lit)


def map_get(column: exp.Expr, key: exp.Expr, dialect: str) -> exp.Expr:
    """Value (string) of ``key`` in a string map column; NULL when absent.

    DuckDB/ClickHouse ``col[key]`` on MAP; PostgreSQL stores maps as JSONB: ``col ->> key``."""
    if dialect in ("postgres", "postgresql"):
        return exp.JSONExtractScalar(this=column, expression=key)
    return exp.Bracket(this=column, expressions=[key])


def explode(value: exp.Expr) -> exp.Expr:
    """One row per element of a list column (UNNEST / arrayJoin via sqlglot)."""
    return exp.Explode(this=value)


def explode_keep_empty(value: exp.Expr) -> exp.Expr:
    """Like ``explode`` but an empty list yields one NULL row, so the row is not dropped."""
    empty = exp.EQ(this=exp.ArraySize(this=value), expression=exp.Literal.number(0))
    return exp.Explode(this=exp.If(this=empty, true=exp.Array(expressions=[exp.null()]), false=value))


def time_bucket(ts_ns: exp.Expr, bucket_ns: exp.Expr) -> exp.Expr:
    """Start of the ``bucket_ns``-wide bucket holding ``ts_ns`` (integer arithmetic)."""
    return exp.Mul(this=exp.IntDiv(this=ts_ns, expression=bucket_ns), expression=bucket_ns)


def list_any(value: exp.Expr, var: str, condition: exp.Expr) -> exp.Expr:
    """True when some element ``var`` of the list ``value`` satisfies ``condition``
    (DuckDB ``list_filter`` lambda, ClickHouse ``arrayFilter``, PostgreSQL via UNNEST)."""
    lam = exp.Lambda(this=condition, expressions=[exp.to_identifier(var)])
    return exp.GT(
        this=exp.ArraySize(this=exp.ArrayFilter(this=value, expression=lam)), expression=exp.Literal.number(0)
    )


def quantiles(value: exp.Expr, qs: list[float], dialect: str) -> exp.Expr:
    """Several continuous quantiles of ``value`` in ONE aggregate (sorted once), as a list
    in the order of ``qs``."""
    arr = exp.Array(expressions=[exp.Literal.number(q) for q in qs])
    if dialect == "clickhouse":
        return exp.Anonymous(this=f"quantiles({', '.join(str(q) for q in qs)})", expressions=[value])
    if dialect in ("postgres", "postgresql"):
        return exp.WithinGroup(
            this=exp.PercentileCont(this=arr), expression=exp.Order(expressions=[exp.Ordered(this=value)])
        )
    return exp.PercentileCont(this=value, expression=arr)
