"""Compare two values of one dimension (prompt version, model, snapshot, release) with
significance tests, for the UI's compare view and ``GET /api/v1/compare``.

Per request (trace level) we fetch the outcome and the measured values of each side, then:

* rates (error, refusal, positive feedback): two-sided **Fisher exact test** when any
  expected cell count is below 5, else the **two-proportion z-test** (pooled variance);
* latency, TTFT, cost and tokens: two-sided **Mann–Whitney U** on the per-request values
  (no normality assumption; these metrics are long-tailed);
* the p-values of one comparison are adjusted together with **Holm–Bonferroni**, so
  comparing two identical versions on ~8 metrics does not flag a difference 1 time in 3.

``compare(store, scope, dimension=..., a=..., b=..., node=...)`` blocks (store queries +
scipy); run it in a worker thread. Raises ``ValueError`` for an unknown dimension.
At most ``SAMPLE_LIMIT`` most recent requests per side are used for the distribution tests.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import sqlglot.expressions as exp

from spyglass.query.compile import TRACE_ALIAS, Params, Scope
from spyglass.query.filters import And, Compare, FieldRef, Node
from spyglass.query.histogram import source
from spyglass.store.base import SpanStore

DIMENSIONS: tuple[str, ...] = (
    "prompt_version",
    "model",
    "response_model",
    "release",
    "provider",
    "prompt_name",
    "feature",
    "environment",
    "tenant_id",
)
SAMPLE_LIMIT = 20_000
EXAMPLES = 5
ALPHA = 0.05

Better = Literal["lower", "higher"]


@dataclass(slots=True)
class MetricComparison:
    key: str
    label: str
    unit: str  # ratio | ms | usd | count | number
    a: float | None
    b: float | None
    diff: float | None  # b - a
    relative_diff: float | None  # (b - a) / |a|
    test: str | None = None
    p_value: float | None = None  # raw, two-sided
    p_adjusted: float | None = None  # Holm-adjusted over this comparison's tests
    significant: bool | None = None  # None = not tested
    better: Better | None = None
    note: str | None = None


@dataclass(slots=True)
class Comparison:
    dimension: str
    a: str
    b: str
    n_a: int
    n_b: int
    alpha: float
    metrics: list[MetricComparison] = field(default_factory=list)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- statistics (pure, unit-tested) -------------------------------------------------------


def proportion_test(x_a: int, n_a: int, x_b: int, n_b: int) -> tuple[str, float] | None:
    """Two-sided test of p_a == p_b: Fisher exact for small expected counts, else the pooled
    two-proportion z-test. None when a side has no observations."""
    from scipy import stats  # imported on first use: it adds ~0.8 s to every server start

    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (x_a + x_b) / (n_a + n_b)
    expected = [n_a * pooled, n_a * (1 - pooled), n_b * pooled, n_b * (1 - pooled)]
    if min(expected) < 5:
        _, p = stats.fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]], alternative="two-sided")
        return "Fisher exact", float(p)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return "two-proportion z-test", 1.0
    z = (x_b / n_b - x_a / n_a) / se
    return "two-proportion z-test", float(2 * stats.norm.sf(abs(z)))


def distribution_test(a: list[float], b: list[float]) -> tuple[str, float] | None:
    """Two-sided Mann–Whitney U; None with fewer than 3 values on a side or all values equal."""
    from scipy import stats  # see proportion_test

    if len(a) < 3 or len(b) < 3:
        return None
    if min(a) == max(a) == min(b) == max(b):
        return "Mann–Whitney U", 1.0
    res = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    return "Mann–Whitney U", float(res.pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (same order as given), monotone and capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# ---- data ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Side:
    """Exact counts over every matching request, plus a sample of per-request values."""

    n: int = 0
    errors: int = 0
    refusals: int = 0
    rated: int = 0
    positive: int = 0
    duration_ms: list[float] = field(default_factory=list)
    ttft_ms: list[float] = field(default_factory=list)
    cost_usd: list[float] = field(default_factory=list)
    total_tokens: list[float] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)


def _side_node(node: Node | None, dimension: str, value: str) -> Node:
    term = Compare(FieldRef(dimension), ":", (value,), False, -1)
    return term if node is None else And((node, term))


def _feedback_join(query: exp.Select, params: Params) -> exp.Select:
    # One row per rated trace: positive when any thumbs up / score >= 0.5 and none negative.
    fb = (
        exp.select(
            exp.column("trace_id"),
            exp.Max(
                this=exp.If(
                    this=exp.or_(
                        exp.column("thumbs").eq(exp.Literal.string("up")),
                        exp.column("score") >= exp.Literal.number(0.5),
                    ),
                    true=exp.Literal.number(1),
                    false=exp.Literal.number(0),
                )
            ).as_("pos"),
            exp.Max(
                this=exp.If(
                    this=exp.or_(
                        exp.column("thumbs").eq(exp.Literal.string("down")),
                        exp.column("score") < exp.Literal.number(0.5),
                    ),
                    true=exp.Literal.number(1),
                    false=exp.Literal.number(0),
                )
            ).as_("neg"),
        )
        .from_("feedback")
        .where(exp.column("project_id").eq(exp.Placeholder(this="project_id")))
        .group_by(exp.column("trace_id"))
    )
    return query.join(
        exp.Subquery(this=fb, alias=exp.TableAlias(this=exp.to_identifier("fb"))),
        on=exp.column("trace_id", table="fb").eq(exp.column("trace_id", table=TRACE_ALIAS)),
        join_type="left",
    )


def load_side(store: SpanStore, scope: Scope, node: Node | None, dimension: str, value: str) -> Side:
    """Counts and sampled values for requests whose ``dimension`` is ``value``."""
    params = Params()
    base, t = source("trace", scope, _side_node(node, dimension, value), store.dialect, params)
    base = _feedback_join(base, params)
    one, zero = exp.Literal.number(1), exp.Literal.number(0)

    def flag(cond: exp.Expr) -> exp.Expr:
        return exp.Sum(this=exp.If(this=cond, true=one, false=zero))

    agg = base.select(
        exp.func("count", exp.Star()).as_("n"),
        flag(exp.column("status", table=t).eq(exp.Literal.string("error"))).as_("errors"),
        flag(exp.column("refusal", table=t).eq(exp.true())).as_("refusals"),
        flag(exp.or_(exp.column("pos", table="fb").eq(one), exp.column("neg", table="fb").eq(one))).as_(
            "rated"
        ),
        flag(exp.and_(exp.column("pos", table="fb").eq(one), exp.column("neg", table="fb").eq(zero))).as_(
            "positive"
        ),
    )
    row = store.query(agg, params.values)[0]
    side = Side(
        int(row["n"] or 0),
        int(row["errors"] or 0),
        int(row["refusals"] or 0),
        int(row["rated"] or 0),
        int(row["positive"] or 0),
    )
    if not side.n:
        return side
    cols = [
        "trace_id",
        "name",
        "start_time_ns",
        "duration_ms",
        "status",
        "error_class",
        "cost_usd",
        "total_tokens",
        "ttft_ms",
        "span_count",
    ]
    sample = (
        base.select(*(exp.column(c, table=t) for c in cols))
        .order_by(exp.Ordered(this=exp.column("start_time_ns", table=t), desc=True))
        .limit(SAMPLE_LIMIT)
    )
    rows = store.query(sample, params.values)
    for r in rows:
        if r["duration_ms"] is not None:
            side.duration_ms.append(float(r["duration_ms"]))
        if r["ttft_ms"] is not None:
            side.ttft_ms.append(float(r["ttft_ms"]))
        if r["cost_usd"] is not None:
            side.cost_usd.append(float(r["cost_usd"]))
        if r["total_tokens"] is not None:
            side.total_tokens.append(float(r["total_tokens"]))
    # examples: failures first (they explain a regression), then the most recent
    ranked = sorted(rows[:2000], key=lambda r: (r["status"] != "error", -int(r["start_time_ns"])))
    side.examples = [_example(r) for r in ranked[:EXAMPLES]]
    return side


def _example(r: dict[str, Any]) -> dict[str, Any]:
    from spyglass.query.timerange import iso

    return {
        "trace_id": r["trace_id"],
        "name": r["name"],
        "start_time": iso(int(r["start_time_ns"])),
        "duration_ms": r["duration_ms"],
        "status": r["status"],
        "error_class": r["error_class"],
        "cost_usd": r["cost_usd"],
        "total_tokens": r["total_tokens"],
        "span_count": r["span_count"],
    }


# ---- the comparison -----------------------------------------------------------------------


def _rate_metric(
    key: str, label: str, x_a: int, n_a: int, x_b: int, n_b: int, better: Better
) -> MetricComparison:
    ra = x_a / n_a if n_a else None
    rb = x_b / n_b if n_b else None
    m = _metric(key, label, "ratio", ra, rb, better)
    test = proportion_test(x_a, n_a, x_b, n_b)
    if test:
        m.test, m.p_value = test
    else:
        m.note = "no data on one side"
    return m


def _metric(
    key: str, label: str, unit: str, a: float | None, b: float | None, better: Better | None
) -> MetricComparison:
    diff = b - a if a is not None and b is not None else None
    rel = diff / abs(a) if diff is not None and a else None
    return MetricComparison(key, label, unit, a, b, diff, rel, better=better)


def _dist_metrics(
    key: str,
    label: str,
    unit: str,
    a: list[float],
    b: list[float],
    stats_: list[tuple[str, str]],
    better: Better,
) -> list[MetricComparison]:
    """One row per statistic; the distribution test is attached to the first row only (the
    same U-test would otherwise be counted several times in the Holm adjustment)."""
    out = []
    for i, (skey, slabel) in enumerate(stats_):
        fn = _mean if skey == "mean" else (lambda v, q=float(skey[1:]) / 100: _quantile(v, q))
        m = _metric(f"{key}_{skey}", f"{label} {slabel}", unit, fn(a), fn(b), better)
        if i == 0:
            test = distribution_test(a, b)
            if test:
                m.test, m.p_value = test
            else:
                m.note = "too few values"
        else:
            m.note = "see the distribution test above"
        out.append(m)
    return out


def compare(
    store: SpanStore,
    scope: Scope,
    *,
    dimension: str,
    a: str,
    b: str,
    node: Node | None = None,
    alpha: float = ALPHA,
) -> Comparison:
    """Side-by-side metrics of ``dimension == a`` vs ``dimension == b`` with significance."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    sa = load_side(store, scope, node, dimension, a)
    sb = load_side(store, scope, node, dimension, b)
    metrics = [
        _metric("count", "Requests", "count", sa.n, sb.n, None),
        _rate_metric("error_rate", "Error rate", sa.errors, sa.n, sb.errors, sb.n, "lower"),
        _rate_metric("refusal_rate", "Refusal rate", sa.refusals, sa.n, sb.refusals, sb.n, "lower"),
        *_dist_metrics(
            "latency",
            "Latency",
            "ms",
            sa.duration_ms,
            sb.duration_ms,
            [("p50", "p50"), ("p95", "p95"), ("p99", "p99")],
            "lower",
        ),
        *_dist_metrics(
            "ttft", "TTFT", "ms", sa.ttft_ms, sb.ttft_ms, [("p50", "p50"), ("p95", "p95")], "lower"
        ),
        *_dist_metrics(
            "cost",
            "Cost per request",
            "usd",
            sa.cost_usd,
            sb.cost_usd,
            [("mean", "mean"), ("p95", "p95")],
            "lower",
        ),
        *_dist_metrics(
            "tokens",
            "Tokens per request",
            "count",
            sa.total_tokens,
            sb.total_tokens,
            [("mean", "mean")],
            "lower",
        ),
        _rate_metric(
            "feedback_positive_rate",
            "Positive feedback rate",
            sa.positive,
            sa.rated,
            sb.positive,
            sb.rated,
            "higher",
        ),
    ]
    metrics[0].note = "traffic split, not tested"
    tested = [m for m in metrics if m.p_value is not None]
    for m, p_adj in zip(tested, holm([m.p_value for m in tested if m.p_value is not None]), strict=True):
        m.p_adjusted = p_adj
        m.significant = p_adj < alpha
    return Comparison(dimension, a, b, sa.n, sb.n, alpha, metrics, {"a": sa.examples, "b": sb.examples})
