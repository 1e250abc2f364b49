"""Filter AST -> sqlglot condition, for any dialect, with every value a bound parameter.

The field -> column table (``SPAN_COLUMNS_BY_FIELD``, ``TRACE_COLUMNS_BY_FIELD``) is the one
place that knows where a filter field lives. At ``level="span"`` conditions apply to the
``spans`` row (alias ``s``). At ``level="trace"`` fields kept on the rollup (duration, cost,
tokens, status, root name, context dims …) apply to the ``traces`` row (alias ``t``); any
other condition means "the trace has a span matching it": a semi-join on ``trace_id``
into ``spans`` bounded by the project and the time range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import sqlglot.expressions as exp

from spyglass.query import dialect as dialect_seam
from spyglass.query.filters import And, Compare, FieldRef, Node, Not, Or, Present, Text

Level = Literal["trace", "span"]

SPAN_ALIAS = "s"
TRACE_ALIAS = "t"
SUBQUERY_ALIAS = "ss"

# A trace's spans start at or after the trace start; they may start after the range end.
# The semi-join looks this far past ``end`` for them.
TRACE_SPAN_SLACK_NS = 24 * 3600 * 10**9

# filter field -> spans columns (several = any of them matches)
SPAN_COLUMNS_BY_FIELD: dict[str, tuple[str, ...]] = {
    "model": ("request_model", "response_model"),
    "response_model": ("response_model",),
    "provider": ("provider",),
    "kind": ("kind",),
    "name": ("name",),
    "status": ("status",),
    "error_class": ("error_class",),
    "refusal": ("refusal",),
    "prompt_name": ("prompt_name",),
    "prompt_version": ("prompt_version",),
    "session_id": ("session_id",),
    "user_id": ("user_id",),
    "tenant_id": ("tenant_id",),
    "feature": ("feature",),
    "environment": ("environment",),
    "release": ("release",),
    "service_name": ("service_name",),
    "trace_id": ("trace_id",),
    "span_id": ("span_id",),
    "finish_reason": ("finish_reason",),
    "tool_name": ("tool_name",),
    "duration_ms": ("duration_ms",),
    "ttft_ms": ("ttft_ms",),
    "cost_usd": ("cost_total_usd",),
    "total_tokens": ("total_tokens",),
    "input_tokens": ("input_tokens",),
    "output_tokens": ("output_tokens",),
    "schema_valid": ("schema_valid",),
    "stream": ("is_stream",),
    "operation": ("operation",),
    "agent_name": ("agent_name",),
    "counted": ("counted",),
}

# filter field -> traces rollup column, for fields that describe the whole trace
TRACE_COLUMNS_BY_FIELD: dict[str, str] = {
    "name": "name",  # the root span's name
    "status": "status",
    "duration_ms": "duration_ms",
    "cost_usd": "cost_usd",
    "total_tokens": "total_tokens",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "refusal": "refusal",
    "ttft_ms": "ttft_ms",
    "trace_id": "trace_id",
    "session_id": "session_id",
    "user_id": "user_id",
    "tenant_id": "tenant_id",
    "feature": "feature",
    "environment": "environment",
    "release": "release",
}

# filter field -> traces rollup list columns holding every value the trace's spans have, so
# "the trace has a span with model x" reads 200k short lists instead of semi-joining 1M spans
TRACE_LIST_COLUMNS_BY_FIELD: dict[str, tuple[str, ...]] = {
    "model": ("models", "response_models"),
    "response_model": ("response_models",),
    "provider": ("providers",),
}
LIST_ELEMENT = "_el"

MAP_COLUMNS = {"attr": "attributes", "metadata": "metadata"}
TEXT_COLUMNS = ("name", "input_preview", "output_preview")


@dataclass
class Params:
    """Collects bound values; ``add`` returns the placeholder to put in the expression."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any, name: str | None = None) -> exp.Placeholder:
        if name is None:
            name = f"p{len(self.values)}"
            while name in self.values:
                name += "_"
        self.values[name] = value
        return exp.Placeholder(this=name)


@dataclass(frozen=True)
class Scope:
    """Project and time range every query is bounded by (ns, end exclusive)."""

    project_id: str
    start_ns: int
    end_ns: int


def col(name: str, alias: str) -> exp.Column:
    return exp.column(name, table=alias)


def glob_to_like(text: str) -> str:
    """Glob (``*``) -> LIKE pattern with ``\\`` escaping LIKE's own wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def ilike(column: exp.Expr, pattern: exp.Expr) -> exp.Expr:
    return exp.Escape(this=exp.ILike(this=column, expression=pattern), expression=exp.Literal.string("\\"))


def scope_condition(alias: str, scope: Scope, params: Params, *, slack_ns: int = 0) -> exp.Expr:
    """``project_id = :project_id AND start_time_ns >= :start_ns AND < :end_ns``."""
    cond = exp.and_(
        col("project_id", alias).eq(params.add(scope.project_id, "project_id")),
        col("start_time_ns", alias) >= params.add(scope.start_ns, "start_ns"),
    )
    if slack_ns:
        return exp.and_(
            cond, col("start_time_ns", alias) < params.add(scope.end_ns + slack_ns, "end_slack_ns")
        )
    return exp.and_(cond, col("start_time_ns", alias) < params.add(scope.end_ns, "end_ns"))


class Compiler:
    """Compiles one AST for one level/dialect, accumulating parameters in ``params``."""

    def __init__(self, level: Level, dialect: str, params: Params, scope: Scope) -> None:
        self.level = level
        self.dialect = dialect
        self.params = params
        self.scope = scope

    def compile(self, node: Node | None) -> exp.Expr | None:
        return None if node is None else self.node(node)

    def node(self, node: Node) -> exp.Expr:
        if isinstance(node, And):
            return exp.and_(*(self.node(n) for n in node.items))
        if isinstance(node, Or):
            return exp.or_(*(self.node(n) for n in node.items))
        if isinstance(node, Not):
            # NULL-safe: "-model:x" keeps spans without a model
            return exp.not_(exp.Coalesce(this=exp.paren(self.node(node.item)), expressions=[exp.false()]))
        if self.level == "trace":
            lists = self.trace_lists(node)
            if lists is not None:
                return self.list_leaf(node, lists)
            trace_col = self.trace_column(node)
            if trace_col is not None:
                return self.leaf(node, lambda name: col(name, TRACE_ALIAS), trace_col)
            inner = self.leaf(node, lambda name: col(name, SUBQUERY_ALIAS), None)
            sub = (
                exp.select(col("trace_id", SUBQUERY_ALIAS))
                .from_(exp.to_table("spans").as_(SUBQUERY_ALIAS))
                .where(scope_condition(SUBQUERY_ALIAS, self.scope, self.params, slack_ns=TRACE_SPAN_SLACK_NS))
                .where(inner)
            )
            return exp.In(this=col("trace_id", TRACE_ALIAS), query=exp.Subquery(this=sub))
        return self.leaf(node, lambda name: col(name, SPAN_ALIAS), None)

    @staticmethod
    def trace_lists(node: Node) -> tuple[str, ...] | None:
        if isinstance(node, Compare | Present) and node.field.map_name is None:
            return TRACE_LIST_COLUMNS_BY_FIELD.get(node.field.name)
        return None

    def list_leaf(self, node: Node, lists: tuple[str, ...]) -> exp.Expr:
        """A condition on a rollup list: some element matches (same value rules as spans)."""
        if isinstance(node, Present):
            return exp.or_(
                *(
                    exp.GT(this=exp.ArraySize(this=col(c, TRACE_ALIAS)), expression=exp.Literal.number(0))
                    for c in lists
                )
            )
        assert isinstance(node, Compare)
        element = exp.column(LIST_ELEMENT)
        cond = self.compare(element, node)
        return exp.or_(*(dialect_seam.list_any(col(c, TRACE_ALIAS), LIST_ELEMENT, cond) for c in lists))

    @staticmethod
    def trace_column(node: Node) -> str | None:
        if isinstance(node, Compare | Present) and node.field.map_name is None:
            return TRACE_COLUMNS_BY_FIELD.get(node.field.name)
        return None

    def columns(self, ref: FieldRef, column_for: Any, trace_col: str | None) -> list[exp.Expr]:
        if ref.map_name is not None:
            key = self.params.add(ref.key)
            return [dialect_seam.map_get(column_for(MAP_COLUMNS[ref.map_name]), key, self.dialect)]
        names = (trace_col,) if trace_col else SPAN_COLUMNS_BY_FIELD[ref.name]
        return [column_for(n) for n in names]

    def leaf(self, node: Node, column_for: Any, trace_col: str | None) -> exp.Expr:
        if isinstance(node, Text):
            pattern = self.params.add("%" + glob_to_like(node.text) + "%")
            return exp.or_(*(ilike(column_for(c), pattern) for c in TEXT_COLUMNS))
        if isinstance(node, Present):
            cols = self.columns(node.field, column_for, trace_col)
            return exp.or_(*(exp.not_(exp.Is(this=c, expression=exp.null())) for c in cols))
        assert isinstance(node, Compare)
        cols = self.columns(node.field, column_for, trace_col)
        return exp.or_(*(self.compare(c, node) for c in cols))

    def compare(self, column: exp.Expr, node: Compare) -> exp.Expr:
        ftype = node.field.type
        if node.op != ":":
            (value,) = node.values
            target: exp.Expr = column
            if ftype != "num":  # attr.* numeric comparison
                target = exp.TryCast(this=column, to=exp.DataType.build("double"))
            ph = self.params.add(value)
            ops = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
            return ops[node.op](this=target, expression=ph)
        conds: list[exp.Expr] = []
        for value in node.values:
            if ftype in ("num", "bool"):
                conds.append(column.eq(self.params.add(value)))
            elif ftype in ("id", "enum"):  # stored lowercase: plain equality stays index/zonemap friendly
                text = str(value).lower()
                if "*" in text and node.glob:
                    conds.append(exp.Like(this=column, expression=self.params.add(glob_to_like(text))))
                else:
                    conds.append(column.eq(self.params.add(text)))
            else:
                text = str(value)
                pattern = glob_to_like(text) if node.glob else glob_to_like(text).replace("%", "\\%")
                conds.append(ilike(column, self.params.add(pattern)))
        return exp.or_(*conds)


COUNTED_FIELD = "counted"


def names_field(node: Node | None, name: str) -> bool:
    """Whether the filter has a condition on the canonical field ``name`` anywhere."""
    if node is None or isinstance(node, Text):
        return False
    if isinstance(node, And | Or):
        return any(names_field(n, name) for n in node.items)
    if isinstance(node, Not):
        return names_field(node.item, name)
    return node.field.map_name is None and node.field.name == name


def counted_only(node: Node | None, alias: str) -> exp.Expr | None:
    """The condition that keeps span-level figures to one row per LLM call: the counted
    spans (an LLM span wrapping another LLM span of the same call is left out, see
    ``spans.counted``). None when the filter asks about ``counted`` itself."""
    if names_field(node, COUNTED_FIELD):
        return None
    return col(COUNTED_FIELD, alias)


def compile_filter(
    node: Node | None, *, level: Level, dialect: str, params: Params, scope: Scope
) -> exp.Expr | None:
    """The condition for ``node`` at ``level`` (None for no filter). Values go into
    ``params``; the expression holds placeholders only."""
    return Compiler(level, dialect, params, scope).compile(node)
