"""Rule backtest: what a rule would have done over a past range, before it is saved.

:func:`run_backtest` replays the live engine's evaluation over ``[start_s, end_s]`` on a
simulated clock, one evaluation every ``step_s`` — the same
:func:`~spyglass.alerts.conditions.sample_rule` (conditions, ``min_volume``, ``group_by``,
the settled window), the same :func:`~spyglass.alerts.evaluate.round_steps` (groups that
vanish count as "condition false") and the same :func:`~spyglass.alerts.evaluate.advance`
(state transitions with ``for``, ``keep_firing_for``, ``resolve_value``, renotify) — but keeps
the alert instances in memory. Nothing is persisted, nothing is notified, and the live state
of existing rules is never read or written: the replay starts with every group inactive.

The result lists the episodes the rule would have opened (start, end or still firing, group
labels, peak value against the threshold, the window and sample at firing, example traces)
and the notifications it would have sent per UTC day (firing + renotify + resolve, one per
channel of the rule; those a silence active at the time would have muted are counted as
suppressed).

Blocking (it runs queries against the span store); call it from a worker thread.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spyglass.alerts.conditions import NS, Sample, sample_rule
from spyglass.alerts.evaluate import advance, round_steps, window_at
from spyglass.alerts.queries import (
    SPANS_TABLE,
    TRACES_TABLE,
    AlertQueries,
    SpanQueryRunner,
    _as_dicts,
    _lit,
)
from spyglass.alerts.rules import Rule
from spyglass.alerts.silences import SilenceMuter
from spyglass.alerts.state import AlertState

MAX_RANGE_S = 31 * 86400.0  # a preview looks back at most a month
MAX_EVALUATIONS = 25_000  # 7 days at a 30 s interval is 20,160
MIN_STEP_S = 1.0


_BIG_INT = re.compile(r"(?<![\w.])\d{13,}(?![\w.])")  # nanosecond window bounds
_SLOT = re.compile(r"\bsg_bt_(\d+)_\b")


class ReplayQueries(AlertQueries):
    """The live :class:`AlertQueries`, with the SQL translation cached by the query's shape.

    A backtest runs the same queries thousands of times, only the window bounds (nanosecond
    integers) changing, and parsing + rendering the SQL with sqlglot costs several times the
    query itself. The bounds are swapped for placeholders, the shape is translated once, and
    the bounds are put back. The first time a shape is seen, its cached rendering is checked
    against a direct translation; a shape for which they differ is never cached. The SQL sent
    to the store is therefore exactly what the live engine sends."""

    def __init__(self, store: SpanQueryRunner) -> None:
        super().__init__(store)
        self._shapes: dict[str, tuple[str, Any] | None] = {}

    def _run(self, sql: str) -> list[dict[str, Any]]:
        if "sg_bt_" in sql:
            return super()._run(sql)
        nums: list[str] = []

        def slot(m: re.Match[str]) -> str:
            nums.append(m.group(0))
            return f"sg_bt_{len(nums) - 1}_"

        shape = _BIG_INT.sub(slot, sql)
        if shape not in self._shapes:
            import sqlglot

            template = sqlglot.parse_one(shape, read="duckdb")
            rendered = template.sql(self.store.dialect)
            direct = sqlglot.parse_one(sql, read="duckdb").sql(self.store.dialect)
            same = _SLOT.sub(lambda m: nums[int(m.group(1))], rendered) == direct
            self._shapes[shape] = (rendered, template) if same else None
        cached = self._shapes[shape]
        if cached is None:
            return super()._run(sql)
        rendered, template = cached
        final = _SLOT.sub(lambda m: nums[int(m.group(1))], rendered)
        return _as_dicts(self.store.query(final, {}), template)


_BUCKET_NS = 60 * NS


class Coverage:
    """The minutes of ``[lo_ns, hi_ns)`` in which a span or a trace of the project starts.

    Every query of a rule reads only rows starting inside its look-back (the window, and the
    trailing baseline before it), so two evaluations whose look-backs hold no row at all get
    the same samples: the backtest samples an empty look-back once and reuses the result."""

    def __init__(self, queries: AlertQueries, project_id: str, lo_ns: int, hi_ns: int) -> None:
        parts = [
            f"SELECT DISTINCT CAST(start_time_ns // {_BUCKET_NS} AS BIGINT) AS b FROM {table} "
            f"WHERE project_id = {_lit(project_id)} AND start_time_ns >= {int(lo_ns)} "
            f"AND start_time_ns < {int(hi_ns)}"
            for table in (SPANS_TABLE, TRACES_TABLE)
        ]
        rows = queries._run(" UNION ".join(parts))
        self.buckets = sorted({int(r["b"]) for r in rows})

    def empty(self, lo_ns: int, hi_ns: int) -> bool:
        """No row starts in ``[lo_ns, hi_ns)`` (judged by whole minutes: may say False
        for an empty range, never True for a range with rows)."""
        i = bisect.bisect_left(self.buckets, lo_ns // _BUCKET_NS)
        return i == len(self.buckets) or self.buckets[i] * _BUCKET_NS >= hi_ns


class BacktestError(ValueError):
    """The range or step of a backtest is invalid; the message names the parameter."""


@dataclass(slots=True)
class Episode:
    """One firing episode of one alert group, as the live engine would have had it."""

    labels: dict[str, str | None]
    fingerprint: str
    pending_since: float | None  # the condition first held (``for`` starts counting here)
    started_at: float  # fired
    ended_at: float | None  # resolved; None = still firing at the end of the range
    value: float | None  # at firing
    threshold: float | None  # at firing
    volume: int  # at firing
    detail: dict[str, Any]  # the sample's detail at firing (baseline, shares …)
    window: tuple[int, int]  # the judged window at firing, ns
    peak_value: float | None = None  # the worst value while firing
    peak_threshold: float | None = None  # the threshold at that evaluation
    peak_at: float | None = None
    example_traces: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # {"at", "kind", "silenced_by"}

    @property
    def still_firing(self) -> bool:
        return self.ended_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "fingerprint": self.fingerprint,
            "pending_since": self.pending_since,
            "start": self.started_at,
            "end": self.ended_at,
            "still_firing": self.still_firing,
            "duration_s": None if self.ended_at is None else self.ended_at - self.started_at,
            "value": self.value,
            "threshold": self.threshold,
            "volume": self.volume,
            "peak_value": self.peak_value,
            "peak_threshold": self.peak_threshold,
            "peak_at": self.peak_at,
            "window": {"start_ns": self.window[0], "end_ns": self.window[1]},
            "detail": self.detail,
            "example_traces": self.example_traces,
            "notifications": self.notifications,
        }


@dataclass(slots=True)
class BacktestResult:
    rule: Rule
    project_id: str
    start_s: float
    end_s: float
    step_s: float
    settle_s: float
    evaluations: int
    episodes: list[Episode]
    channels: list[str]
    unknown_channels: list[str] = field(default_factory=list)

    def per_day(self) -> list[dict[str, Any]]:
        """Notifications per UTC day of the range (days without any included)."""
        days: dict[str, dict[str, Any]] = {}
        d = _day(self.start_s)
        while d <= _day(self.end_s):
            days[d] = _counts(day=d)
            d = _day(datetime.fromisoformat(d).replace(tzinfo=UTC).timestamp() + 86400)
        per_channel = len(self.channels)
        for ep in self.episodes:
            for n in ep.notifications:
                c = days.setdefault(_day(n["at"]), _counts(day=_day(n["at"])))
                c[n["kind"]] += 1
                if n["silenced_by"]:
                    c["suppressed"] += per_channel
                else:
                    c["notifications"] += per_channel
        return list(days.values())

    def totals(self) -> dict[str, Any]:
        out = _counts()
        for d in self.per_day():
            for k in ("firing", "renotify", "resolved", "notifications", "suppressed"):
                out[k] += d[k]
        out["episodes"] = len(self.episodes)
        out["still_firing"] = sum(1 for e in self.episodes if e.still_firing)
        out["groups"] = len({e.fingerprint for e in self.episodes})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.to_spec(),
            "range": {"start": self.start_s, "end": self.end_s, "step_s": self.step_s},
            "settle_s": self.settle_s,
            "evaluations": self.evaluations,
            "channels": self.channels,
            "unknown_channels": self.unknown_channels,
            "episodes": [e.to_dict() for e in self.episodes],
            "per_day": self.per_day(),
            "totals": self.totals(),
        }


def _counts(**extra: Any) -> dict[str, Any]:
    return {**extra, "firing": 0, "renotify": 0, "resolved": 0, "notifications": 0, "suppressed": 0}


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def _worse(rule: Rule, value: float, than: float) -> bool:
    """Whether ``value`` is further on the bad side than ``than`` (lower for ``<`` thresholds)."""
    low_is_bad = rule.condition.kind == "threshold" and rule.condition.op in ("<", "<=")
    return value < than if low_is_bad else value > than


def check_range(start_s: float, end_s: float, step_s: float) -> int:
    """The number of evaluations of the range; raises :class:`BacktestError` naming the
    parameter when the range is inverted, too long, or too finely stepped."""
    if not all(math.isfinite(x) for x in (start_s, end_s, step_s)):
        raise BacktestError("start/end/step: must be finite numbers")
    if end_s <= start_s:
        raise BacktestError("end: must be after start")
    if end_s - start_s > MAX_RANGE_S:
        raise BacktestError(f"end: the range is {(end_s - start_s) / 86400:.1f} days, at most 31 days")
    if step_s < MIN_STEP_S:
        raise BacktestError(f"step: must be at least {MIN_STEP_S:g} s")
    n = int((end_s - start_s) // step_s) + 1
    if n > MAX_EVALUATIONS:
        raise BacktestError(
            f"step: {n} evaluations over the range, at most {MAX_EVALUATIONS}; use a larger step or a shorter range"
        )
    return n


def run_backtest(
    queries: AlertQueries,
    rule: Rule,
    project_id: str,
    start_s: float,
    end_s: float,
    step_s: float,
    *,
    settle_s: float = 60.0,
    silences: Sequence[Mapping[str, Any]] = (),
    channels: Sequence[str] | None = None,
    examples: bool = True,
) -> BacktestResult:
    """Evaluate ``rule`` at ``start_s``, ``start_s + step_s`` … up to ``end_s`` (like
    rounds of the live engine at those times) and collect the episodes; see the module doc.

    ``silences`` are silence rows (any time); one mutes a notification when it is active at
    that time. ``channels`` are the project's channel names (to flag unknown ones)."""
    n = check_range(start_s, end_s, step_s)
    if type(queries) is AlertQueries:
        queries = ReplayQueries(queries.store)
    instances: dict[str, dict[str, Any]] = {}
    open_eps: dict[str, Episode] = {}
    episodes: list[Episode] = []
    labels_extra = {"alertname": rule.name, "severity": rule.severity}
    lookback_ns = int(rule.window_s * NS) + int((rule.condition.baseline_s or 0) * NS)
    first_lo = window_at(rule, start_s, settle_s)[1] - lookback_ns
    coverage = Coverage(queries, project_id, first_lo, window_at(rule, end_s, settle_s)[1] + _BUCKET_NS)
    empty_samples: list[Sample] | None = None
    for i in range(n):
        now = start_s + i * step_s
        window = window_at(rule, now, settle_s)
        if coverage.empty(window[1] - lookback_ns, window[1]):
            if empty_samples is None:
                empty_samples = sample_rule(rule, queries, project_id, now - settle_s)
            samples = empty_samples
        else:
            samples = sample_rule(rule, queries, project_id, now - settle_s)
        muter = (
            SilenceMuter([s for s in silences if s["starts_at"] <= now < s["ends_at"]]) if silences else None
        )
        for fp, row, sample in round_steps(samples, instances):
            step = advance(project_id, rule, fp, row, sample, now)
            if step is None:
                continue
            inst = step.instance
            instances[fp] = inst
            if step.event == "firing":
                ep = Episode(
                    labels=dict(inst["labels"]),
                    fingerprint=fp,
                    pending_since=inst.get("active_since"),
                    started_at=now,
                    ended_at=None,
                    value=inst.get("value"),
                    threshold=inst.get("threshold"),
                    volume=int(inst.get("volume") or 0),
                    detail=dict(inst.get("detail") or {}),
                    window=window,
                )
                if examples:
                    ep.example_traces = queries.example_traces(
                        rule, project_id, window[0], window[1], ep.labels
                    )
                open_eps[fp] = ep
                episodes.append(ep)
            ep_now = open_eps.get(fp)
            if ep_now is None:
                continue
            if inst["state"] == AlertState.FIRING.value and sample is not None:
                _track_peak(rule, ep_now, sample, now)
            if step.kind:
                silenced = muter.mutes({**ep_now.labels, **labels_extra}) if muter else None
                ep_now.notifications.append({"at": now, "kind": step.kind, "silenced_by": silenced})
            if step.event == "resolved":
                ep_now.ended_at = now
                del open_eps[fp]
    known = set(channels) if channels is not None else set(rule.channels)
    return BacktestResult(
        rule=rule,
        project_id=project_id,
        start_s=start_s,
        end_s=end_s,
        step_s=step_s,
        settle_s=settle_s,
        evaluations=n,
        episodes=episodes,
        channels=list(rule.channels),
        unknown_channels=[c for c in rule.channels if c not in known],
    )


def _track_peak(rule: Rule, ep: Episode, sample: Sample, now: float) -> None:
    if sample.value is None:
        return
    if ep.peak_value is None or _worse(rule, sample.value, ep.peak_value):
        ep.peak_value, ep.peak_threshold, ep.peak_at = sample.value, sample.threshold, now
