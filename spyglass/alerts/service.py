"""``AlertService``: the alerts component assembled from a span store and a SQLAlchemy engine.

The server, the CLI and the tests build one of these; it owns the repository, the query
runner, the notification pipeline, the incident manager and the evaluator, and offers the
few operations that span several of them (seeding the default pack, applying a rules file).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from spyglass.alerts.backtest import BacktestResult, run_backtest
from spyglass.alerts.evaluate import Evaluator
from spyglass.alerts.incidents import IncidentManager, record_reconstructed
from spyglass.alerts.notify.base import Notifier
from spyglass.alerts.notify.pipeline import NotificationPipeline, build_notifier
from spyglass.alerts.queries import AlertQueries, SpanQueryRunner
from spyglass.alerts.repository import AlertRepository
from spyglass.alerts.rules import Rule, RuleFile, default_rules
from spyglass.alerts.scheduler import AlertScheduler


class AlertService:
    def __init__(
        self,
        store: SpanQueryRunner,
        engine: sa.Engine,
        *,
        base_url: str = "",
        settle_s: float = 60.0,
        clock: Callable[[], float] = time.time,
        notifier_factory: Callable[[dict[str, Any]], Notifier] = build_notifier,
        base_backoff_s: float = 30.0,
        incident_group_window_s: float = 1800.0,
        interval_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.settle_s = settle_s
        self.interval_s = interval_s  # the live evaluation interval: a backtest's default step
        self.repo = AlertRepository(engine)
        self.queries = AlertQueries(store)
        self.pipeline = NotificationPipeline(self.repo, notifier_factory, base_backoff_s=base_backoff_s)
        self.incidents = IncidentManager(self.repo, self.queries, incident_group_window_s)
        self.evaluator = Evaluator(
            self.repo, self.queries, self.pipeline, self.incidents, settle_s=settle_s, base_url=base_url
        )

    def seed_default_rules(self, project_ids: Iterable[str], now: float | None = None) -> list[str]:
        """Give the default pack to each project that never had it; returns the seeded ids."""
        now = self.clock() if now is None else now
        pack = default_rules()
        return [p for p in project_ids if self.repo.seed_once(p, pack, now)]

    def apply_rule_file(
        self, project_id: str, rule_file: RuleFile, now: float | None = None
    ) -> dict[str, int]:
        """Create or replace (by name) every channel and rule of a validated file."""
        now = self.clock() if now is None else now
        for ch in rule_file.channels:
            self.repo.upsert_channel(project_id, ch, now)
        for rule in rule_file.rules:
            self.repo.upsert_rule(project_id, rule, "file", now)
        return {"rules": len(rule_file.rules), "channels": len(rule_file.channels)}

    def backtest(
        self, rule: Rule, project_id: str, start_s: float, end_s: float, step_s: float | None = None
    ) -> BacktestResult:
        """What ``rule`` would have done over ``[start_s, end_s]``, evaluated every ``step_s``
        (default: the live interval) with the live engine's code; persists and notifies
        nothing (spyglass/alerts/backtest.py). Raises ``BacktestError`` for a bad range."""
        return run_backtest(
            self.queries,
            rule,
            project_id,
            start_s,
            end_s,
            self.interval_s if step_s is None else step_s,
            settle_s=self.settle_s,
            silences=self.repo.silences(project_id),
            channels=list(self.repo.channels(project_id)),
        )

    def record_reconstructed(self, project_id: str, rule: Rule, result: BacktestResult) -> list[str]:
        """Store each episode of ``result`` as a past incident marked reconstructed (never
        notified); returns the incident ids. See :func:`spyglass.alerts.incidents.record_reconstructed`."""
        return record_reconstructed(self.repo, self.queries, project_id, rule, result)

    def scheduler(
        self, interval_s: float | None = None, project_ids: Callable[[], Iterable[str]] | None = None
    ) -> AlertScheduler:
        """The background loop; ``project_ids`` (e.g. the MetaStore's projects) are seeded
        with the default pack before each round."""

        def seed(now: float) -> None:
            if project_ids is not None:
                self.seed_default_rules(project_ids(), now)

        if interval_s is not None:
            self.interval_s = interval_s
        return AlertScheduler(self.evaluator, self.interval_s, self.clock, before_round=seed)
