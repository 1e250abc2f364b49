"""The catalog of alertable metrics, as SQL over a uniform row shape.

Every metric is computed over *base rows* that :mod:`spyglass.alerts.queries` builds
either one per span (``level="span"``) or one per request/trace (``level="trace"``). Both
shapes expose the same column names (``duration_ms``, ``cost_usd``, ``tokens``,
``is_error``, ``error_class``, ``refusal``, ``schema_failed``, ``tool_failed``,
``eval_failed`` plus every dimension), so each metric is written once as DuckDB-dialect SQL
fragments; the query module parses them with sqlglot and renders them in the store's
dialect.

Fragments never contain user input: values from rules (error classes, thresholds) are
inserted by the query module as sqlglot literals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    """One alertable metric.

    ``value`` is an aggregate over base rows (``{q}`` is replaced by the rule's quantile and
    ``{bad}`` by the failing-row predicate). ``bad`` is the predicate for a failing row, used
    for rates, example traces, release regressions and the suspected cause; ``None`` when
    the metric has no notion of a failing row. ``per_row`` is the per-request measure whose
    median a ``median_ratio`` condition compares against.
    """

    name: str
    label: str
    level: str  # "span" | "trace"
    value: str
    scope: str | None = None  # span predicate restricting which spans count at all
    bad: str | None = None
    per_row: str | None = None
    unit: str = ""
    needs_quantile: bool = False
    additive: bool = False  # sums/counts scale with the window length (baselines normalise)
    is_rate: bool = False  # value is the share of failing rows in [0, 1]
    feedback: bool = False  # base rows need has_feedback / negative_feedback (trace level only)

    @property
    def per_request(self) -> bool:
        return self.per_row is not None


_RATE = "AVG(CASE WHEN {bad} THEN 1.0 ELSE 0.0 END)"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "error_rate",
            "error rate",
            "span",
            _RATE,
            scope="kind = 'llm'",
            bad="is_error",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "timeout_rate",
            "timeout rate",
            "span",
            _RATE,
            scope="kind = 'llm'",
            bad="error_class = 'timeout'",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "refusal_rate",
            "refusal rate",
            "span",
            _RATE,
            scope="kind = 'llm'",
            bad="refusal",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "schema_failure_rate",
            "schema-validation failure rate",
            "span",
            _RATE,
            scope="schema_valid IS NOT NULL",
            bad="schema_failed",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "tool_failure_rate",
            "tool failure rate",
            "span",
            _RATE,
            scope="kind = 'tool'",
            bad="tool_failed",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "eval_pass_rate",
            "eval pass rate",
            "span",
            "AVG(CASE WHEN {bad} THEN 0.0 ELSE 1.0 END)",
            scope="kind = 'eval'",
            bad="eval_failed",
            unit="ratio",
        ),
        Metric(
            "guardrail_block_rate",
            "guardrail block rate",
            "span",
            _RATE,
            scope="kind = 'guardrail'",
            bad="guardrail_decision = 'block'",
            unit="ratio",
            is_rate=True,
        ),
        Metric(
            "latency",
            "request latency",
            "trace",
            "QUANTILE_CONT(duration_ms, {q})",
            per_row="duration_ms",
            unit="ms",
            needs_quantile=True,
        ),
        Metric(
            "llm_latency",
            "LLM call latency",
            "span",
            "QUANTILE_CONT(duration_ms, {q})",
            scope="kind = 'llm'",
            per_row="duration_ms",
            unit="ms",
            needs_quantile=True,
        ),
        Metric(
            "ttft",
            "time to first token",
            "span",
            "QUANTILE_CONT(ttft_ms, {q})",
            scope="kind = 'llm' AND ttft_ms IS NOT NULL",
            per_row="ttft_ms",
            unit="ms",
            needs_quantile=True,
        ),
        Metric(
            "cost_per_request",
            "cost per request",
            "trace",
            "QUANTILE_CONT(cost_usd, {q})",
            per_row="cost_usd",
            unit="USD",
            needs_quantile=True,
        ),
        Metric("spend", "spend", "span", "COALESCE(SUM(cost_usd), 0)", unit="USD", additive=True),
        Metric(
            "tokens_per_request",
            "tokens per request",
            "trace",
            "AVG(tokens)",
            per_row="tokens",
            unit="tokens",
        ),
        Metric("volume", "requests", "trace", "COUNT(*)", unit="requests", additive=True),
        Metric(
            "negative_feedback_rate",
            "negative feedback rate",
            "trace",
            _RATE,
            bad="negative_feedback",
            unit="ratio",
            is_rate=True,
            feedback=True,
        ),
        Metric(
            "feedback_rate",
            "feedback rate",
            "trace",
            "AVG(CASE WHEN has_feedback THEN 1.0 ELSE 0.0 END)",
            unit="ratio",
            feedback=True,
        ),
        Metric(
            "llm_calls", "LLM calls", "span", "COUNT(*)", scope="kind = 'llm'", unit="calls", additive=True
        ),
    )
}
