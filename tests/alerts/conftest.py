"""Fixtures for the alert tests: a real DuckDB span store, a SQLite metadata store and
helpers that write scripted traffic with chosen timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spyglass.alerts.rules import Rule, default_rules
from spyglass.alerts.service import AlertService
from spyglass.model.span import LlmSpan, SpanKind, StatusCode
from spyglass.store.duckdb import DuckDBStore

T0 = 1_800_000_000.0  # a fixed epoch second, far from the wall clock on purpose
MIN = 60.0
HOUR = 3600.0
DAY = 86400.0
PROJECT = "p1"


def make_span(t_s: float, *, project_id: str = PROJECT, duration_ms: float = 800.0, **fields: Any) -> LlmSpan:
    start = int(t_s * 1e9)
    fields.setdefault("kind", SpanKind.LLM)
    fields.setdefault("status", StatusCode.OK)
    return LlmSpan(
        project_id=project_id,
        trace_id=fields.pop("trace_id", None) or uuid.uuid4().hex,
        span_id=uuid.uuid4().hex[:16],
        parent_span_id=None,
        name=fields.pop("name", "chat"),
        start_time_ns=start,
        end_time_ns=start + int(duration_ms * 1e6),
        **fields,
    )


def stream(
    store: DuckDBStore,
    start: float,
    end: float,
    every: float,
    *,
    bad: dict[str, Any] | None = None,
    bad_from: float | None = None,
    bad_to: float | None = None,
    bad_share: float = 1.0,
    **fields: Any,
) -> int:
    """Steady traffic in ``[start, end)``, one span every ``every`` s; inside
    ``[bad_from, bad_to)`` a ``bad_share`` of the spans (spread evenly) take the ``bad`` fields."""
    spans, i, t, bad_seen = [], 0, start, 0
    while t < end:
        f = dict(fields)
        in_bad = (
            bad is not None
            and bad_from is not None
            and bad_from <= t < (bad_to if bad_to is not None else end)
        )
        if in_bad:
            bad_seen += 1
            if int(bad_seen * bad_share) > int((bad_seen - 1) * bad_share):
                f.update(bad or {})
        spans.append(make_span(t, **f))
        i += 1
        t = start + i * every
    for k in range(0, len(spans), 20_000):
        store.write_batch(spans[k : k + 20_000])
    return len(spans)


def pack_rule(pack_name: str, **changes: Any) -> Rule:
    rule = next(r for r in default_rules() if r.name == pack_name)
    for k, v in changes.items():
        setattr(rule, k, v)
    return rule


@dataclass
class AlertEnv:
    store: DuckDBStore
    engine: sa.Engine
    service: AlertService
    events: list[tuple[float, str, str, dict[str, str | None]]] = field(default_factory=list)

    def install(self, rule: Rule, project_id: str = PROJECT) -> str:
        return self.service.repo.upsert_rule(project_id, rule, "api", T0)

    def run(
        self, start: float, stop: float, step: float
    ) -> list[tuple[float, str, str, dict[str, str | None]]]:
        """Evaluate at every ``step`` in ``[start, stop]``; returns (time, event, rule, labels)."""
        out = []
        t = start
        while t <= stop:
            report = self.service.evaluator.evaluate_once(t)
            assert not report.errors, report.errors
            out += [(t, e, r, labels) for e, r, labels in report.events]
            t += step
        self.events += out
        return out


def make_service(store: DuckDBStore, engine: sa.Engine, **kwargs: Any) -> AlertService:
    kwargs.setdefault("settle_s", 60.0)
    kwargs.setdefault("base_url", "http://spyglass.test")
    return AlertService(store, engine, clock=lambda: T0, **kwargs)


@pytest.fixture
def span_store() -> Iterator[DuckDBStore]:
    store = DuckDBStore(None)
    yield store
    store.close()


@pytest.fixture
def meta_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def env(span_store: DuckDBStore, meta_engine: sa.Engine) -> AlertEnv:
    return AlertEnv(span_store, meta_engine, make_service(span_store, meta_engine))


def firing_and_resolved(events: list[tuple[float, str, str, dict[str, str | None]]]) -> dict[str, list[Any]]:
    """Events by kind -> list of (time, labels)."""
    out: dict[str, list[Any]] = {"pending": [], "firing": [], "resolved": [], "renotify": []}
    for t, e, _rule, labels in events:
        out[e].append((t, labels))
    return out


def assert_one_episode(
    events: list[tuple[float, str, str, dict[str, str | None]]], labels: dict[str, str | None]
) -> None:
    """Exactly one firing and then one resolve, for ``labels`` only."""
    by = firing_and_resolved(events)
    assert [lab for _, lab in by["firing"]] == [labels], by
    assert [lab for _, lab in by["resolved"]] == [labels], by
    assert by["firing"][0][0] < by["resolved"][0][0]
