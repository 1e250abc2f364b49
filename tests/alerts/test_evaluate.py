"""Evaluator behaviour beyond the default pack: filters, settling, any-event rules, isolation
of a failing rule, and the round's cost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from spyglass.alerts import tables
from spyglass.alerts.rules import parse_rule
from spyglass.model.span import ErrorClass, SpanKind, StatusCode
from tests.alerts.conftest import MIN, T0, AlertEnv, firing_and_resolved, make_span, pack_rule, stream

pytestmark = pytest.mark.integration

ERR = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}


def test_filter_language_narrows_the_rule(env: AlertEnv) -> None:
    env.install(pack_rule("provider-errors", for_s=0.0, filter="feature:checkout", group_by=["feature"]))
    end = T0 + 10 * MIN
    for feature in ("checkout", "search"):
        stream(env.store, T0, end, 2.0, feature=feature, bad=ERR, bad_from=T0, bad_share=0.2)
    events = env.run(end, end, MIN)
    assert [lab for _, lab in firing_and_resolved(events)["firing"]] == [{"feature": "checkout"}]


def test_only_settled_windows_are_judged(env: AlertEnv) -> None:
    """Spans that arrive late (within the settle delay) still count before the window is judged."""
    env.install(pack_rule("provider-errors", for_s=0.0, min_volume=10))
    # the failures are all in the last 50 s before 'now': not settled yet
    stream(env.store, T0, T0 + 5 * MIN, 2.0)
    stream(env.store, T0 + 5 * MIN, T0 + 5 * MIN + 50, 1.0, **ERR)
    assert env.run(T0 + 5 * MIN + 50, T0 + 5 * MIN + 50, MIN) == []
    events = env.run(T0 + 5 * MIN + 120, T0 + 5 * MIN + 120, MIN)  # now the window covers them
    assert firing_and_resolved(events)["firing"]


def test_any_event_rule_fires_on_a_single_event(env: AlertEnv) -> None:
    rule = parse_rule(
        {
            "name": "content-filter-hit",
            "metric": "error_rate",
            "error_classes": ["content_filter"],
            "window": "5m",
            "condition": {"kind": "any_event"},
            "severity": "critical",
        }
    )
    env.install(rule)
    stream(env.store, T0, T0 + 10 * MIN, 5.0)
    env.store.write_batch(
        [make_span(T0 + 3 * MIN, status=StatusCode.ERROR, error_class=ErrorClass.CONTENT_FILTER)]
    )
    by = firing_and_resolved(env.run(T0 + 5 * MIN, T0 + 12 * MIN, MIN))
    assert len(by["firing"]) == 1 and len(by["resolved"]) == 1


def test_a_broken_rule_does_not_stop_the_others(env: AlertEnv) -> None:
    good = env.install(pack_rule("provider-errors", for_s=0.0))
    bad = env.install(pack_rule("timeouts", for_s=0.0, name="broken"))
    with env.engine.begin() as c:  # a rule whose filter became invalid (e.g. edited by hand in the DB)
        spec = pack_rule("timeouts", name="broken").to_spec() | {"filter": "model:"}
        c.execute(tables.alert_rules.update().where(tables.alert_rules.c.id == bad).values(spec=spec))
    stream(env.store, T0, T0 + 10 * MIN, 2.0, request_model="A", bad=ERR, bad_from=T0, bad_share=0.2)
    report = env.service.evaluator.evaluate_once(T0 + 10 * MIN)
    assert "broken" in report.errors and "filter" in report.errors["broken"]
    assert [r for e, r, _ in report.events if e == "firing"] == ["provider-errors"]
    rows = {r["id"]: r for r in env.service.repo.rule_rows("p1")}
    assert rows[bad]["last_error"] and rows[good]["last_error"] is None


def test_group_that_disappears_resolves(env: AlertEnv) -> None:
    env.install(pack_rule("tool-failures", for_s=0.0))
    stream(
        env.store,
        T0,
        T0 + 6 * MIN,
        3.0,
        kind=SpanKind.TOOL,
        tool_name="search",
        tool_status="error",
        status=StatusCode.ERROR,
    )
    by = firing_and_resolved(env.run(T0 + 6 * MIN, T0 + 20 * MIN, MIN))
    assert len(by["firing"]) == 1 and len(by["resolved"]) == 1


def test_tables_live_in_the_shared_metadata() -> None:
    from spyglass.store.meta import metadata

    assert all(t.name in metadata.tables for t in tables.ALL_TABLES)
    assert isinstance(tables.alert_rules, sa.Table)


def test_negative_feedback_rate(env: AlertEnv) -> None:
    from spyglass.store.base import Feedback

    rule = parse_rule(
        {
            "name": "unhappy-users",
            "metric": "negative_feedback_rate",
            "window": "1h",
            "group_by": ["feature"],
            "condition": {"kind": "threshold", "op": ">", "value": 0.2},
            "min_volume": 20,
        }
    )
    env.install(rule)
    traces = {"support": [], "search": []}  # type: dict[str, list[str]]
    for feature, ids in traces.items():
        for i in range(60):
            span = make_span(T0 + i * 30, feature=feature)
            env.store.write_batch([span])
            ids.append(span.trace_id)
    for i, tid in enumerate(traces["support"]):
        if i % 3 == 0:
            env.store.write_feedback(
                Feedback(project_id="p1", trace_id=tid, thumbs="down", created_at_ns=int(T0 * 1e9))
            )
    for tid in traces["search"][:5]:
        env.store.write_feedback(
            Feedback(project_id="p1", trace_id=tid, thumbs="up", created_at_ns=int(T0 * 1e9))
        )
    by = firing_and_resolved(env.run(T0 + 31 * MIN, T0 + 31 * MIN, MIN))
    assert [lab for _, lab in by["firing"]] == [{"feature": "support"}]


@pytest.mark.parametrize("metric", ["latency", "cost_per_request", "tokens_per_request", "volume"])
def test_trace_rollup_and_span_aggregation_agree(env: AlertEnv, metric: str) -> None:
    """Trace-level rules read the ``traces`` rollup when they can; a filter forces the span
    path. Both must measure the same thing."""
    from spyglass.alerts.queries import AlertQueries, base_rows_sql

    for i, feature in enumerate(("a", "b")):
        stream(
            env.store,
            T0,
            T0 + 10 * MIN,
            5.0 + i,
            feature=feature,
            duration_ms=500.0 + 300 * i,
            cost_total_usd=0.01 * (i + 1),
            total_tokens=100 * (i + 1),
        )
    q = AlertQueries(env.store)
    doc = {
        "name": "x",
        "metric": metric,
        "group_by": ["feature"],
        "window": "10m",
        "condition": {"kind": "threshold", "value": 1},
        "quantile": 0.95,
    }
    fast = parse_rule(doc)
    slow = parse_rule(doc | {"filter": "kind:llm"})  # every span here is an LLM span
    lo, hi = int(T0 * 1e9), int((T0 + 10 * MIN) * 1e9)
    assert "FROM traces" in base_rows_sql(fast, "p1", lo, hi, dims=["feature"])
    assert "FROM traces" not in base_rows_sql(slow, "p1", lo, hi, dims=["feature"])
    a = sorted((r["feature"], r["n"], round(r["value"], 6)) for r in q.grouped_values(fast, "p1", lo, hi))
    b = sorted((r["feature"], r["n"], round(r["value"], 6)) for r in q.grouped_values(slow, "p1", lo, hi))
    assert a == b and len(a) == 2
