"""Compiler: one AST renders for DuckDB, ClickHouse and PostgreSQL with values bound as
parameters only, and trace-level span conditions become semi-joins."""

from __future__ import annotations

import pytest

from spyglass.query.compile import Params, Scope, compile_filter, glob_to_like
from spyglass.query.filters import parse

pytestmark = pytest.mark.unit

SCOPE = Scope("proj-secret", 111, 222)
# every literal value in this filter is distinctive so we can look for it in the SQL text
FILTER = (
    'model:zz-model* -status:error latency_ms>98765 attr.tier_key:goldvalue "phrase words" '
    "tenant:acme-tenant OR user:(u-one OR u-two) cost>=0.4242 refusal:true has:session"
)
VALUES = ["zz-model", "98765", "tier_key", "goldvalue", "phrase words", "acme-tenant", "u-one", "u-two", "0.4242", "proj-secret"]  # fmt: skip


@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse", "postgres"])
@pytest.mark.parametrize("level", ["trace", "span"])
def test_no_values_in_sql_text(dialect: str, level: str) -> None:
    params = Params()
    cond = compile_filter(parse(FILTER), level=level, dialect=dialect, params=params, scope=SCOPE)  # type: ignore[arg-type]
    assert cond is not None
    sql = cond.sql(dialect=dialect)
    for value in VALUES:
        assert value not in sql, (value, sql)
    bound = " ".join(str(v) for v in params.values.values())
    for value in VALUES[:-1]:
        assert value in bound
    if level == "trace":
        assert "proj-secret" in params.values.values()


def test_trace_level_uses_rollup_for_trace_fields_and_semi_join_for_span_fields() -> None:
    params = Params()
    cond = compile_filter(
        parse("latency_ms>5 tool:x model:y"), level="trace", dialect="duckdb", params=params, scope=SCOPE
    )
    assert cond is not None
    sql = cond.sql(dialect="duckdb")
    assert "t.duration_ms > $" in sql
    assert "t.trace_id IN (SELECT ss.trace_id FROM spans AS ss WHERE" in sql
    assert "ss.project_id = $project_id" in sql and "ss.tool_name ILIKE" in sql
    # models live on the rollup as lists: any element matching
    assert "LIST_FILTER(t.models, LAMBDA _el : _el ILIKE" in sql and "t.response_models" in sql


def test_dialect_specific_rendering() -> None:
    node = parse("attr.k>3")
    pg = compile_filter(node, level="span", dialect="postgres", params=Params(), scope=SCOPE)
    duck = compile_filter(node, level="span", dialect="duckdb", params=Params(), scope=SCOPE)
    assert pg is not None and duck is not None
    assert "->>" in pg.sql(dialect="postgres")
    assert "TRY_CAST(s.attributes[$p0] AS DOUBLE)" in duck.sql(dialect="duckdb")


def test_negation_is_null_safe() -> None:
    cond = compile_filter(parse("-model:x"), level="span", dialect="duckdb", params=Params(), scope=SCOPE)
    assert cond is not None
    assert "NOT COALESCE(" in cond.sql(dialect="duckdb")


def test_glob_to_like_escapes_like_wildcards() -> None:
    assert glob_to_like("gpt-4o*") == "gpt-4o%"
    assert glob_to_like("a_b%c*") == "a\\_b\\%c%"
