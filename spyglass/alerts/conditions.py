"""Turn a rule into per-group samples: the measured value, its threshold and whether it breaches.

One function per condition kind; each runs one or two queries from :mod:`queries` over the
settled window ``[end - window, end)`` (and a trailing baseline window right before it) and
returns a :class:`Sample` per group. Groups under the rule's minimum volume are returned
with ``breach=False`` so an alert that was firing for them resolves instead of lingering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from spyglass.alerts.measures import METRICS
from spyglass.alerts.queries import AlertQueries, bad_predicate
from spyglass.alerts.rules import Rule

NS = 1_000_000_000

Labels = dict[str, str | None]


@dataclass(slots=True)
class Sample:
    """One group's measurement. ``breach`` decides firing; ``still_bad`` (past the rule's
    ``resolve_value``) decides whether an already-firing alert stays firing."""

    labels: Labels
    value: float | None
    threshold: float | None
    volume: int
    breach: bool
    still_bad: bool
    detail: dict[str, Any] = field(default_factory=dict)


def _labels(row: dict[str, Any], dims: list[str]) -> Labels:
    return {d: (None if row.get(d) is None else str(row[d])) for d in dims}


def _key(labels: Labels) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted(labels.items()))


def _value(row: dict[str, Any]) -> float | None:
    return None if row["value"] is None else float(row["value"])


def _with_reference(
    rule: Rule, reference: Iterable[dict[str, Any]], current: Iterable[dict[str, Any]]
) -> Iterator[tuple[Labels, int, float | None, float | None]]:
    """Each current group's ``(labels, volume, value, reference value)``, the reference value
    being the same group's in ``reference`` (None when absent there or without a value)."""
    ref = {_key(_labels(r, rule.group_by)): _value(r) for r in reference}
    for row in current:
        labels = _labels(row, rule.group_by)
        yield labels, int(row["n"] or 0), _value(row), ref.get(_key(labels))


def _compare(value: float, op: str, threshold: float) -> bool:
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[op]


def _threshold(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.value is not None
    out = []
    for row in q.grouped_values(rule, project_id, lo, hi):
        n = int(row["n"] or 0)
        value = _value(row)
        enough = n >= rule.min_volume and value is not None
        breach = enough and _compare(value, c.op, c.value)  # type: ignore[arg-type]
        resolve_at = c.resolve_value if c.resolve_value is not None else c.value
        still = enough and _compare(value, c.op, resolve_at)  # type: ignore[arg-type]
        out.append(Sample(_labels(row, rule.group_by), value, c.value, n, breach, still))
    return out


def _any_event(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    limit = c.value if c.value is not None else 0.0
    bad = bad_predicate(rule)
    count_expr = f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END)" if bad else "COUNT(*)"
    out = []
    for row in q.grouped_values(rule, project_id, lo, hi, value_expr=count_expr):
        events = float(row["value"] or 0)
        hit = _compare(events, c.op, limit)
        out.append(Sample(_labels(row, rule.group_by), events, limit, int(row["n"] or 0), hit, hit))
    return out


def _baseline(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.factor is not None and c.baseline_s is not None
    metric = METRICS[rule.metric]
    base_lo = lo - int(c.baseline_s * NS)
    base = q.grouped_values(rule, project_id, base_lo, lo)
    current = q.grouped_values(rule, project_id, lo, hi)
    out = []
    for labels, n, value, base_value in _with_reference(rule, base, current):
        if base_value is not None and metric.additive:
            base_value *= rule.window_s / c.baseline_s  # e.g. 7-day spend -> average per 1-day window
        threshold = None if base_value is None else c.factor * base_value
        breach = (
            n >= rule.min_volume
            and value is not None
            and threshold is not None
            and base_value is not None
            and base_value > 0
            and value > threshold
        )
        detail = {"baseline": base_value, "baseline_window_s": c.baseline_s, "factor": c.factor}
        out.append(Sample(labels, value, threshold, n, breach, breach, detail))
    return out


def _median_ratio(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.factor is not None and c.baseline_s is not None
    base_lo = lo - int(c.baseline_s * NS)
    medians = q.grouped_medians(rule, project_id, base_lo, lo)
    current = q.grouped_values(rule, project_id, lo, hi)
    out = []
    for labels, n, value, median in _with_reference(rule, medians, current):
        threshold = None if median is None else c.factor * median
        breach = bool(
            n >= rule.min_volume
            and value is not None
            and median
            and threshold is not None
            and value > threshold
        )
        out.append(
            Sample(labels, value, threshold, n, breach, breach, {"median": median, "factor": c.factor})
        )
    return out


def _shares(rows: list[dict[str, Any]], dims: list[str], dimension: str) -> dict[Any, dict[str, float]]:
    counts: dict[Any, dict[str, float]] = defaultdict(dict)
    for r in rows:
        counts[_key(_labels(r, dims))][str(r[dimension])] = float(r["n"] or 0)
    return counts


def total_variation(p: dict[str, float], q: dict[str, float]) -> float:
    """Total variation distance between two count mixes (0 = same shares, 1 = disjoint)."""
    tp, tq = sum(p.values()), sum(q.values())
    if tp <= 0 or tq <= 0:
        return 0.0
    return 0.5 * sum(abs(p.get(k, 0) / tp - q.get(k, 0) / tq) for k in set(p) | set(q))


def _distribution_change(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.dimension is not None and c.value is not None and c.baseline_s is not None
    dim = c.dimension
    base_lo = lo - int(c.baseline_s * NS)
    cur = _shares(q.grouped_values(rule, project_id, lo, hi, extra_dims=[dim]), rule.group_by, dim)
    base = _shares(q.grouped_values(rule, project_id, base_lo, lo, extra_dims=[dim]), rule.group_by, dim)
    out = []
    for key, mix in cur.items():
        labels = dict(key)
        n = int(sum(mix.values()))
        before = base.get(key, {})
        tvd = total_variation(mix, before)
        enough = n >= rule.min_volume and sum(before.values()) >= rule.min_volume
        breach = enough and tvd > c.value
        detail = {
            "dimension": dim,
            "current_shares": {k: v / n for k, v in mix.items()} if n else {},
            "baseline_shares": {k: v / sum(before.values()) for k, v in before.items()} if before else {},
        }
        out.append(Sample(labels, tvd, c.value, n, breach, breach, detail))
    return out


def _zero_traffic(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.baseline_s is not None
    base_lo = lo - int(c.baseline_s * NS)
    cur = {
        _key(_labels(r, rule.group_by)): int(r["n"] or 0) for r in q.grouped_values(rule, project_id, lo, hi)
    }
    out = []
    for r in q.grouped_values(rule, project_id, base_lo, lo):
        labels = _labels(r, rule.group_by)
        had = int(r["n"] or 0)
        now_n = cur.get(_key(labels), 0)
        breach = had >= rule.min_volume and now_n == 0
        out.append(Sample(labels, float(now_n), 0.0, now_n, breach, breach, {"baseline_volume": had}))
    return out


def _release_regression(rule: Rule, q: AlertQueries, project_id: str, lo: int, hi: int) -> list[Sample]:
    c = rule.condition
    assert c.factor is not None and c.min_requests is not None
    dims = [d for d in rule.group_by if d not in ("prompt_name", "prompt_version")]
    by_prompt: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in q.version_failures(rule, project_id, lo, hi):
        by_prompt[_key(_labels(r, [*dims, "prompt_name"]))].append(r)
    out = []
    for key, versions in by_prompt.items():
        if len(versions) < 2:
            continue
        versions.sort(key=lambda r: r["first_seen_ns"])
        new, prev = versions[-1], versions[-2]
        n_new, n_prev = int(new["n"]), int(prev["n"])
        new_rate = float(new["bad_n"] or 0) / n_new
        prev_rate = float(prev["bad_n"] or 0) / n_prev
        threshold = c.factor * max(prev_rate, c.min_rate)
        breach = n_new >= max(c.min_requests, rule.min_volume) and new_rate >= threshold
        labels = {**dict(key), "prompt_version": str(new["prompt_version"])}
        detail = {
            "previous_version": str(prev["prompt_version"]),
            "previous_rate": prev_rate,
            "previous_requests": n_prev,
            "factor": c.factor,
        }
        out.append(Sample(labels, new_rate, threshold, n_new, breach, breach, detail))
    return out


EVALUATORS: dict[str, Callable[[Rule, AlertQueries, str, int, int], list[Sample]]] = {
    "threshold": _threshold,
    "any_event": _any_event,
    "baseline": _baseline,
    "median_ratio": _median_ratio,
    "distribution_change": _distribution_change,
    "zero_traffic": _zero_traffic,
    "release_regression": _release_regression,
}


def sample_rule(rule: Rule, queries: AlertQueries, project_id: str, end_s: float) -> list[Sample]:
    """Evaluate ``rule`` over the window ending at ``end_s`` (already settled). Blocking."""
    hi = int(end_s * NS)
    lo = hi - int(rule.window_s * NS)
    return EVALUATORS[rule.condition.kind](rule, queries, project_id, lo, hi)
