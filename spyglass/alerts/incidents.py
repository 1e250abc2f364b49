"""Incidents: firing alerts that share a cause and a time, grouped, with a timeline and a
suspected cause computed from the data.

Grouping: a newly firing alert joins an open incident of its project that was active within
``group_window_s`` when they have the same top suspected cause, or when they share a label
value (same ``feature``, same ``model`` …) and not both name a cause (two different named
culprits are two problems); otherwise it opens a new incident. The incident resolves itself
when every attached alert has resolved, and can be acknowledged/resolved/annotated by people.

Suspected cause: for each candidate dimension (prompt version, returned snapshot, release,
tenant, tool, feature, model, environment) and each of its values, a 2x2 table of failing and
healthy rows with and without that value in the alert's window, and **Fisher's exact test,
one-sided** (are failing rows more likely to carry the value than healthy ones?). Only values
carried by at least ``MIN_FAILING`` (5) failing rows are tested — a handful of requests names
nothing —, and the p-values of all tested values are **Holm–Bonferroni adjusted** together, so
the chance that any value is named while no value is really over-represented stays below
``ALPHA`` (5 %). Named causes come best first (adjusted p, then lift) with their counts, shares,
lift and p-values; when none passes, the incident says so in plain words ("no dimension stands
out among N failing requests") instead of naming the biggest value. A value that is merely
common (a big tenant failing at the same rate as the rest) is not over-represented and is not
named. What "failing" means comes from the rule: its failing-row predicate (errors, refusals,
schema failures …), rows past the alert's threshold for per-request metrics (latency, cost,
tokens), or — for mix, traffic and spend rules — rows of the alert window against rows of the
trailing baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scipy import stats

from spyglass.alerts.conditions import NS, Sample
from spyglass.alerts.measures import METRICS
from spyglass.alerts.queries import AlertQueries, bad_predicate
from spyglass.alerts.repository import AlertRepository
from spyglass.alerts.rules import Rule
from spyglass.query.compare import holm

if TYPE_CHECKING:
    from spyglass.alerts.backtest import BacktestResult

CAUSE_DIMENSIONS = (
    "prompt_version",
    "response_model",
    "release",
    "tenant_id",
    "tool_name",
    "feature",
    "model",
    "environment",
)
MIN_FAILING = 5  # failing rows a value needs before it can be named
ALPHA = 0.05  # family-wise error over all values tested for one alert
TEST_NAME = "Fisher's exact test (one-sided), Holm-adjusted"
_SEVERITY_RANK = {"info": 0, "warning": 1, "high": 2, "critical": 3}


@dataclass
class CauseAnalysis:
    """What ``suspected_cause`` found: the named causes (best first) and, in plain words, how
    they were found or why none was named."""

    causes: list[dict[str, Any]] = field(default_factory=list)
    failing: int = 0  # failing rows in the alert's window (per dimension, the largest count)
    tested: int = 0  # dimension values with at least MIN_FAILING failing rows
    note: str = ""


def suspected_cause(
    queries: AlertQueries,
    rule: Rule,
    project_id: str,
    lo_ns: int,
    hi_ns: int,
    labels: Mapping[str, str | None],
    threshold: float | None,
    top: int = 5,
    min_failing: int = MIN_FAILING,
    alpha: float = ALPHA,
) -> CauseAnalysis:
    """Dimension values over-represented among failing rows, by a test (blocking; see the
    module doc). Each cause: ``{"dimension", "value", "failing_count", "healthy_count",
    "failing_share", "healthy_share", "lift", "p_value", "p_adjusted", "confidence"}`` where
    lift = failing_share − healthy_share."""
    metric = METRICS[rule.metric]
    bad = bad_predicate(rule)
    scan_lo = lo_ns
    mix_rule = rule.condition.kind in ("distribution_change", "zero_traffic")
    if bad is None and metric.per_row is not None and threshold is not None and not mix_rule:
        bad = f"({metric.per_row} > {float(threshold)!r})"  # requests past the alert's threshold
    if bad is None or mix_rule:
        # No failing rows as such: compare the alert window with the trailing baseline.
        scan_lo = lo_ns - int((rule.condition.baseline_s or rule.window_s) * NS)
        bad = f"(start_time_ns >= {int(lo_ns)})"
    candidates: list[dict[str, Any]] = []
    failing = 0
    for dim in CAUSE_DIMENSIONS:
        if dim in labels:
            continue  # constant within the alert's group: says nothing
        rows = queries.dimension_split(rule, project_id, scan_lo, hi_ns, dim, bad, labels)
        bad_total = sum(int(r["bad_n"] or 0) for r in rows)
        good_total = sum(int(r["good_n"] or 0) for r in rows)
        failing = max(failing, bad_total)
        if bad_total < min_failing or good_total == 0:
            continue  # too few failing rows, or nothing healthy to compare with
        for r in rows:
            b, g = int(r["bad_n"] or 0), int(r["good_n"] or 0)
            if r["value"] is None or b < min_failing:
                continue
            _, p = stats.fisher_exact([[b, g], [bad_total - b, good_total - g]], alternative="greater")
            fs, hs = b / bad_total, g / good_total
            candidates.append(
                {
                    "dimension": dim,
                    "value": str(r["value"]),
                    "failing_share": round(fs, 4),
                    "healthy_share": round(hs, 4),
                    "lift": round(fs - hs, 4),
                    "failing_count": b,
                    "healthy_count": g,
                    "p_value": float(p),
                }
            )
    for c, p_adj in zip(candidates, holm([c["p_value"] for c in candidates]), strict=True):
        c["p_adjusted"] = p_adj
        c["confidence"] = _confidence(p_adj)
    named = [c for c in candidates if c["p_adjusted"] < alpha and c["lift"] > 0]
    named.sort(key=lambda c: (c["p_adjusted"], -c["lift"], -c["failing_count"]))
    return CauseAnalysis(
        named[:top], failing, len(candidates), _note(named, failing, len(candidates), min_failing)
    )


def _confidence(p_adjusted: float) -> str:
    if p_adjusted < 0.001:
        return "very strong"
    if p_adjusted < 0.01:
        return "strong"
    if p_adjusted < ALPHA:
        return "moderate"
    return "none"


def _note(named: list[dict[str, Any]], failing: int, tested: int, min_failing: int) -> str:
    how = (
        f"{TEST_NAME} over {tested} dimension value(s) with at least {min_failing} failing requests; "
        f"chance of naming a value by luck below {ALPHA:.0%}"
    )
    if failing < min_failing:
        return f"Not enough data to name a cause: {failing} failing request(s), a cause needs at least {min_failing}."
    if not named:
        return f"No dimension stands out among {failing} failing requests ({how})."
    return f"{len(named)} value(s) over-represented among {failing} failing requests ({how})."


def _shares_cause(labels_a: Mapping[str, Any], labels_b: Mapping[str, Any]) -> bool:
    common = set(labels_a) & set(labels_b)
    return any(labels_a[k] is not None and labels_a[k] == labels_b[k] for k in common)


class IncidentManager:
    """Opens, groups and closes incidents as alerts fire and resolve. Blocking (DB + queries)."""

    def __init__(self, repo: AlertRepository, queries: AlertQueries, group_window_s: float = 1800.0) -> None:
        self.repo, self.queries, self.group_window_s = repo, queries, group_window_s

    def on_firing(
        self,
        project_id: str,
        rule: Rule,
        instance: dict[str, Any],
        sample: Sample,
        window: tuple[int, int],
        now: float,
    ) -> str:
        """Attach a newly firing alert to an incident (opening one if none fits); returns its id."""
        labels = instance["labels"]
        analysis = suspected_cause(
            self.queries, rule, project_id, window[0], window[1], labels, sample.threshold
        )
        cause = analysis.causes
        group_text = ", ".join(f"{k}={v}" for k, v in labels.items()) or "all traffic"
        target = None
        for inc in self.repo.open_incidents(project_id):
            if inc["updated_at"] < now - self.group_window_s:
                continue
            attached = self.repo.get_incident(project_id, inc["id"]) or {}
            same_labels = any(_shares_cause(labels, a["labels"]) for a in attached.get("alerts", []))
            top = (inc.get("suspected_cause") or [None])[0]
            named = bool(cause and top)
            same_cause = named and (cause[0]["dimension"], cause[0]["value"]) == (
                top["dimension"],
                top["value"],
            )
            # Two alerts whose tests name different culprits are two problems, even on the same
            # feature or model (a prompt regression and a tool outage both on support-chat):
            # merging them would hide one culprit behind the other.
            if same_cause or (same_labels and not named):
                target = inc
                break
        if target is None:
            incident_id = self.repo.create_incident(
                {
                    "project_id": project_id,
                    "title": f"{rule.name} — {group_text}",
                    "state": "open",
                    "severity": rule.severity,
                    "opened_at": now,
                    "updated_at": now,
                    "suspected_cause": cause,
                    "example_traces": instance.get("example_traces") or [],
                }
            )
            self.repo.add_incident_event(incident_id, now, "opened", f"Opened by {rule.name} ({group_text})")
            self.repo.add_incident_event(incident_id, now, "analysis", analysis.note)
        else:
            incident_id = target["id"]
            severity = max(target["severity"], rule.severity, key=lambda s: _SEVERITY_RANK.get(s, 0))
            examples = list(target.get("example_traces") or [])
            examples += [t for t in instance.get("example_traces") or [] if t not in examples]
            changes: dict[str, Any] = {
                "severity": severity,
                "updated_at": now,
                "example_traces": examples[:10],
            }
            if cause and not target.get("suspected_cause"):
                # The opening alert named nothing (e.g. one guardrail block: too few failing
                # requests); the first joining alert that names a cause gives the incident its own.
                changes["suspected_cause"] = cause
                self.repo.add_incident_event(incident_id, now, "analysis", f"{rule.name}: {analysis.note}")
            self.repo.update_incident(incident_id, **changes)
        self.repo.attach_alert(incident_id, instance, rule.name, now)
        self.repo.add_incident_event(
            incident_id,
            now,
            "fired",
            f"{rule.name} fired for {group_text}: value {sample.value} vs {sample.threshold}",
        )
        return incident_id

    def on_resolved(self, project_id: str, rule: Rule, instance: dict[str, Any], now: float) -> None:
        """Note an alert's resolution; resolve the incident when none of its alerts still fires."""
        incident_id = instance.get("incident_id")
        if not incident_id:
            return
        inc = self.repo.get_incident(project_id, incident_id)
        if inc is None or inc["state"] == "resolved":
            return
        group_text = ", ".join(f"{k}={v}" for k, v in instance["labels"].items()) or "all traffic"
        self.repo.add_incident_event(
            incident_id, now, "alert_resolved", f"{rule.name} resolved for {group_text}"
        )
        still = [
            a
            for a in self.repo.incident_alert_instances(incident_id)
            if a["id"] != instance["id"] and a["state"] in ("firing",)
        ]
        if not still:
            self.repo.update_incident(incident_id, state="resolved", resolved_at=now, updated_at=now)
            self.repo.add_incident_event(incident_id, now, "resolved", "All alerts resolved")
        else:
            self.repo.update_incident(incident_id, updated_at=now)

    def acknowledge(self, project_id: str, incident_id: str, now: float, author: str | None = None) -> bool:
        inc = self.repo.get_incident(project_id, incident_id)
        if inc is None or inc["state"] != "open":
            return inc is not None
        self.repo.update_incident(incident_id, state="acknowledged", acknowledged_at=now, updated_at=now)
        self.repo.add_incident_event(incident_id, now, "acknowledged", "Acknowledged", author)
        return True

    def resolve(self, project_id: str, incident_id: str, now: float, author: str | None = None) -> bool:
        inc = self.repo.get_incident(project_id, incident_id)
        if inc is None:
            return False
        if inc["state"] != "resolved":
            self.repo.update_incident(incident_id, state="resolved", resolved_at=now, updated_at=now)
            self.repo.add_incident_event(incident_id, now, "resolved", "Resolved by hand", author)
        return True

    def add_note(
        self, project_id: str, incident_id: str, text: str, now: float, author: str | None = None
    ) -> bool:
        if self.repo.get_incident(project_id, incident_id) is None:
            return False
        self.repo.add_incident_event(incident_id, now, "note", text, author)
        self.repo.update_incident(incident_id, updated_at=now)
        return True


RECONSTRUCTED = "reconstructed"  # the timeline event kind (and title suffix) of a backtest's incident


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def record_reconstructed(
    repo: AlertRepository, queries: AlertQueries, project_id: str, rule: Rule, result: BacktestResult
) -> list[str]:
    """Store each episode of a backtest as a past incident, marked reconstructed: the title
    ends with ``(reconstructed)`` and the first timeline event has kind ``reconstructed``
    ("… never notified"). The suspected cause is computed over the episode's window at firing,
    as :meth:`IncidentManager.on_firing` does. One incident per episode (no grouping); an
    episode still firing at the end of the range is closed at the range's end. No alert
    instance, history or delivery is written. Episodes already recorded (same title and
    opening time) are skipped, so a second call adds nothing. Returns the new incident ids."""
    done = {(i["title"], i["opened_at"]) for i in repo.incidents(project_id, None, limit=100_000)}
    span = f"{_utc(result.start_s)} to {_utc(result.end_s)}"
    ids = []
    for ep in result.episodes:
        group_text = ", ".join(f"{k}={v}" for k, v in ep.labels.items()) or "all traffic"
        title = f"{rule.name} — {group_text} ({RECONSTRUCTED})"
        if (title, ep.started_at) in done:
            continue
        analysis = suspected_cause(
            queries, rule, project_id, ep.window[0], ep.window[1], ep.labels, ep.threshold
        )
        closed = ep.ended_at if ep.ended_at is not None else result.end_s
        iid = repo.create_incident(
            {
                "project_id": project_id,
                "title": title,
                "state": "resolved",
                "severity": rule.severity,
                "opened_at": ep.started_at,
                "resolved_at": closed,
                "updated_at": closed,
                "suspected_cause": analysis.causes,
                "example_traces": ep.example_traces,
            }
        )
        at = ep.started_at
        repo.add_incident_event(
            iid,
            at,
            RECONSTRUCTED,
            f"Reconstructed from the history by a backtest of {rule.name} over {span}; never notified.",
        )
        repo.add_incident_event(iid, at, "opened", f"Opened by {rule.name} ({group_text})")
        repo.add_incident_event(iid, at, "analysis", analysis.note)
        repo.add_incident_event(
            iid, at, "fired", f"{rule.name} fired for {group_text}: value {ep.value} vs {ep.threshold}"
        )
        if ep.ended_at is not None:
            repo.add_incident_event(iid, closed, "alert_resolved", f"{rule.name} resolved for {group_text}")
            repo.add_incident_event(iid, closed, "resolved", "All alerts resolved")
        else:
            repo.add_incident_event(
                iid, closed, "resolved", "Still firing at the end of the reconstructed range"
            )
        ids.append(iid)
    return ids
