"""The evaluation engine: one round over every enabled rule of every project.

For each rule: sample the settled window (``end = now − settle_s``, so late-arriving spans
are counted before a window is judged), then for each group run the pure
:func:`~spyglass.alerts.state.transition` on the persisted instance keyed by
(rule id, fingerprint of the group labels). A transition into ``firing`` starts a new
episode: example traces are picked, the alert joins an incident and one notification per
channel is dispatched (de-duplicated by the delivery log). While firing, a renotify goes out
every ``renotify``; on ``resolved``, a resolve notice. Groups that disappeared from the data
count as "condition false". Because instances and deliveries are persisted, a restarted
server resumes where it stopped and does not page again.

A rule that fails (bad filter, store error) is recorded with its error and skipped; the
other rules still run.

:meth:`Evaluator.evaluate_once` blocks (database, network); the scheduler runs it in a
worker thread. It is not re-entrant: run one round at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from spyglass.alerts.conditions import NS, Sample, sample_rule
from spyglass.alerts.incidents import IncidentManager
from spyglass.alerts.measures import METRICS
from spyglass.alerts.notify.base import Notification
from spyglass.alerts.notify.pipeline import NotificationPipeline
from spyglass.alerts.queries import AlertQueries
from spyglass.alerts.repository import AlertRepository, new_id, status_of
from spyglass.alerts.rules import Rule, format_duration
from spyglass.alerts.silences import SilenceMuter
from spyglass.alerts.state import AlertState, event_of, transition

log = logging.getLogger(__name__)


def fingerprint(labels: dict[str, str | None]) -> str:
    """Stable id of an alert group: the same labels always give the same fingerprint."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(slots=True)
class RoundReport:
    """What one round did (for logs, tests and the benchmark)."""

    rules: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # rule name -> error
    events: list[tuple[str, str, dict[str, str | None]]] = field(
        default_factory=list
    )  # (event, rule, labels)
    retried: int = 0


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / NS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _term(field: str, value: str) -> str:
    """A filter-language term; values that are not bare words are quoted."""
    if re.fullmatch(r"[\w.@/:+-]+", value):
        return f"{field}:{value}"
    return f'{field}:"{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'


def condition_text(rule: Rule) -> str:
    c = rule.condition
    m = METRICS[rule.metric]
    what = m.label if rule.quantile is None else f"p{rule.quantile * 100:g} {m.label}"
    win = format_duration(rule.window_s)
    if c.kind == "threshold":
        return f"{what} {c.op} {c.value:g} over {win}"
    if c.kind == "baseline":
        return f"{what} over {win} > {c.factor:g} × trailing {format_duration(c.baseline_s or 0)}"
    if c.kind == "median_ratio":
        return f"{what} over {win} > {c.factor:g} × {format_duration(c.baseline_s or 0)} median"
    if c.kind == "distribution_change":
        return f"{c.dimension} mix over {win} moved > {(c.value or 0) * 100:g} % (total variation) vs trailing {format_duration(c.baseline_s or 0)}"
    if c.kind == "zero_traffic":
        return f"no traffic for {win} (had traffic in the trailing {format_duration(c.baseline_s or 0)})"
    if c.kind == "any_event":
        return f"any {what} event over {win}"
    return f"new prompt version {what} ≥ {c.factor:g} × previous version's after {c.min_requests} requests"


def window_at(rule: Rule, now: float, settle_s: float) -> tuple[int, int]:
    """The settled window ``[now - settle - window, now - settle)`` judged at ``now``, in ns."""
    end = now - settle_s
    return (int(end * NS) - int(rule.window_s * NS), int(end * NS))


def round_steps(
    samples: list[Sample], existing: dict[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any] | None, Sample | None]]:
    """What one round steps for a rule: ``(fingerprint, instance row or None, sample or None)``
    for every sampled group, then for every pending or firing instance whose group vanished
    from the data (stepped with "condition false")."""
    out: list[tuple[str, dict[str, Any] | None, Sample | None]] = []
    seen: set[str] = set()
    for s in samples:
        fp = fingerprint(s.labels)
        seen.add(fp)
        out.append((fp, existing.get(fp), s))
    for fp, row in existing.items():
        if fp not in seen and row["state"] in (AlertState.PENDING, AlertState.FIRING):
            out.append((fp, row, None))
    return out


@dataclass(slots=True)
class Step:
    """One alert's evaluation: its updated instance row (not yet persisted), the state event
    (``firing``, ``resolved``, ``pending`` or None) and the notification it sends (``firing``,
    ``renotify``, ``resolved`` or None)."""

    instance: dict[str, Any]
    event: str | None
    kind: str | None


def advance(
    project_id: str, rule: Rule, fp: str, row: dict[str, Any] | None, sample: Sample | None, now: float
) -> Step | None:
    """The pure part of one alert step, shared by the live engine and the backtest: the
    state transition (with ``resolve_value`` hysteresis), the episode count and the
    notification decision (firing, renotify every ``renotify``, resolved). Returns None for a
    healthy group that has no row. Does no I/O; ``row`` is not modified."""
    before = status_of(row)
    cond = False
    if sample is not None:
        cond = sample.still_bad if before.state is AlertState.FIRING else sample.breach
    after = transition(before, cond, now, rule)
    event = event_of(before, after)
    if row is None and after.state is AlertState.INACTIVE:
        return None
    labels = sample.labels if sample is not None else dict(row["labels"]) if row else {}
    inst: dict[str, Any] = dict(row) if row else {"id": new_id(), "episode": 0, "labels": labels}
    inst.update(
        project_id=project_id,
        rule_id=rule.id,
        fingerprint=fp,
        labels=labels,
        state=after.state.value,
        active_since=after.active_since,
        fired_at=after.fired_at,
        last_true_at=after.last_true_at,
        resolved_at=after.resolved_at,
        updated_at=now,
    )
    if sample is not None:
        inst.update(
            value=sample.value, threshold=sample.threshold, volume=sample.volume, detail=sample.detail
        )
    kind: str | None = None
    if event == "firing":
        inst["episode"] = int(inst.get("episode") or 0) + 1
        inst["last_notified_at"] = now
        kind = "firing"
    elif event == "resolved":
        kind = "resolved"
    elif (
        after.state is AlertState.FIRING
        and now - float(inst.get("last_notified_at") or now) >= rule.renotify_s
    ):
        inst["last_notified_at"] = now
        kind = "renotify"
    return Step(inst, event, kind)


class Evaluator:
    """Runs rounds of rule evaluation; see the module docstring for the contract."""

    def __init__(
        self,
        repo: AlertRepository,
        queries: AlertQueries,
        pipeline: NotificationPipeline,
        incidents: IncidentManager | None = None,
        *,
        settle_s: float = 60.0,
        base_url: str = "",
    ) -> None:
        self.repo = repo
        self.queries = queries
        self.pipeline = pipeline
        self.incidents = incidents or IncidentManager(repo, queries)
        self.settle_s = settle_s
        self.base_url = base_url.rstrip("/")

    def evaluate_once(self, now: float) -> RoundReport:
        """One round at time ``now`` (epoch seconds), then retry due deliveries."""
        report = RoundReport()
        results: list[tuple[str, float, str | None]] = []
        mutes: dict[str, SilenceMuter] = {}
        quiet: list[dict[str, Any]] = []  # instance rows without an event: one commit per round
        for project_id, rule in self.repo.list_rules(enabled_only=True):
            report.rules += 1
            if project_id not in mutes:
                mutes[project_id] = SilenceMuter(self.repo.silences(project_id, active_at=now))
            try:
                self._evaluate_rule(project_id, rule, now, mutes[project_id], report, quiet)
                results.append((rule.id or "", now, None))
            except Exception as e:
                log.exception("alert rule %s/%s failed", project_id, rule.name)
                report.errors[rule.name] = f"{type(e).__name__}: {e}"
                results.append((rule.id or "", now, report.errors[rule.name]))
        self.repo.save_instances(quiet)
        self.repo.mark_evaluated(results)
        report.retried = self.pipeline.retry_due(now)
        return report

    def _evaluate_rule(
        self,
        project_id: str,
        rule: Rule,
        now: float,
        muter: SilenceMuter,
        report: RoundReport,
        quiet: list[dict[str, Any]],
    ) -> None:
        window = window_at(rule, now, self.settle_s)
        samples = sample_rule(rule, self.queries, project_id, now - self.settle_s)
        existing = self.repo.instances_for_rule(rule.id or "")
        for fp, row, sample in round_steps(samples, existing):
            self._step(project_id, rule, fp, row, sample, now, window, muter, report, quiet)

    def _step(
        self,
        project_id: str,
        rule: Rule,
        fp: str,
        row: dict[str, Any] | None,
        sample: Sample | None,
        now: float,
        window: tuple[int, int],
        muter: SilenceMuter,
        report: RoundReport,
        quiet: list[dict[str, Any]],
    ) -> None:
        step = advance(project_id, rule, fp, row, sample, now)
        if step is None:
            return  # a healthy group never seen before: nothing worth a row
        inst, event, kind = step.instance, step.event, step.kind
        labels = inst["labels"]
        silenced_by = muter.mutes({**labels, "alertname": rule.name, "severity": rule.severity})
        inst["silenced_by"] = silenced_by
        if event == "firing":
            inst["example_traces"] = self.queries.example_traces(
                rule, project_id, window[0], window[1], labels
            )
            if sample is not None:
                inst["incident_id"] = self.incidents.on_firing(project_id, rule, inst, sample, window, now)
        if not event and not kind:
            if row is None or row["state"] != inst["state"] or row.get("value") != inst.get("value"):
                quiet.append(inst)
            return
        self.repo.save_instance(inst)
        if event == "resolved":
            self.incidents.on_resolved(project_id, rule, inst, now)
        self.repo.add_history(
            {
                "project_id": project_id,
                "rule_id": rule.id,
                "rule_name": rule.name,
                "instance_id": inst["id"],
                "labels": labels,
                "event": kind or event,
                "at": now,
                "value": inst.get("value"),
                "threshold": inst.get("threshold"),
                "severity": rule.severity,
            }
        )
        report.events.append((kind or event or "", rule.name, labels))
        if kind and rule.channels:
            n = self.notification(project_id, rule, inst, kind, window)
            suffix = f"{inst['episode']}:{kind}" + (f":{int(now)}" if kind == "renotify" else "")
            self.pipeline.dispatch(n, inst["id"], rule.channels, suffix, now, silenced_by)

    def notification(
        self, project_id: str, rule: Rule, inst: dict[str, Any], kind: str, window: tuple[int, int]
    ) -> Notification:
        """The notification for an instance event (public so the API can preview one)."""
        labels = dict(inst["labels"])
        terms = [rule.filter] if rule.filter else []
        terms += [_term(k, v[0]) for k, v in rule.where.items() if len(v) == 1]
        terms += [_term(k, v) for k, v in labels.items() if v is not None]
        # The UI is a hash-routed SPA: the trace explorer is #/traces, one trace #/trace/<id>.
        explorer = f"{self.base_url}/#/traces?" + urlencode(
            {"q": " ".join(terms), "start": _iso(window[0]), "end": _iso(window[1])}
        )
        traces = [
            {"trace_id": t, "url": f"{self.base_url}/#/trace/{t}"} for t in inst.get("example_traces") or []
        ]
        group = ", ".join(f"{k}={v}" for k, v in labels.items())
        return Notification(
            kind=kind,
            project_id=project_id,
            rule_id=rule.id or "",
            rule_name=rule.name,
            severity=rule.severity,
            title=f"{rule.name}" + (f" ({group})" if group else ""),
            description=rule.description,
            labels=labels,
            value=inst.get("value"),
            threshold=inst.get("threshold"),
            unit=""
            if rule.condition.kind in ("distribution_change", "zero_traffic", "any_event")
            else METRICS[rule.metric].unit,
            condition=condition_text(rule),
            dedup_key=f"{rule.id}:{inst['fingerprint']}",
            started_at=inst.get("fired_at"),
            resolved_at=inst.get("resolved_at") if kind == "resolved" else None,
            runbook_url=rule.runbook_url,
            runbook=rule.runbook,
            explorer_url=explorer,
            example_traces=traces,
            incident_id=inst.get("incident_id"),
            detail=dict(inst.get("detail") or {}),
        )
