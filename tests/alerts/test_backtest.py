"""The rule backtest (spyglass/alerts/backtest.py): over recorded traffic, the preview of a rule
opens exactly the episodes the live engine opens when it runs over the same range on a
simulated clock — same starts, ends, groups and peaks — and touches nothing of the live state."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from spyglass.alerts import tables
from spyglass.alerts.backtest import MAX_EVALUATIONS, BacktestError, ReplayQueries, check_range
from spyglass.alerts.queries import AlertQueries
from spyglass.alerts.rules import Rule, parse_rule
from spyglass.model.span import ErrorClass, StatusCode
from tests.alerts.conftest import DAY, HOUR, MIN, T0, AlertEnv, pack_rule, stream

pytestmark = pytest.mark.integration

ERR = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}
Episode = tuple[float, float | None, tuple[tuple[str, str | None], ...], float | None]


def live_episodes(env: AlertEnv, rule_id: str, start: float, stop: float, step: float) -> list[Episode]:
    """Run the live engine one round at a time; read each episode's start and end from the
    round's events and its peak from the persisted instance values while firing."""
    open_: dict[Any, list[Any]] = {}
    done: list[Episode] = []
    t = start
    while t <= stop:
        events = env.run(t, t, step)
        rows = env.service.repo.instances_for_rule(rule_id)
        for _, event, _, labels in events:
            key = tuple(sorted(labels.items()))
            if event == "firing":
                open_[key] = [t, None, key, None]
            elif event == "resolved":
                ep = open_.pop(key)
                ep[1] = t
                done.append((ep[0], ep[1], ep[2], ep[3]))
        for row in rows.values():
            key = tuple(sorted(row["labels"].items()))
            if row["state"] == "firing" and key in open_ and row["value"] is not None:
                peak = open_[key][3]
                open_[key][3] = row["value"] if peak is None else max(peak, row["value"])
        t += step
    done += [(ep[0], None, ep[2], ep[3]) for ep in open_.values()]
    return sorted(done, key=lambda e: (e[0], e[2]))


def backtest_episodes(env: AlertEnv, rule: Rule, start: float, stop: float, step: float) -> list[Episode]:
    result = env.service.backtest(rule, "p1", start, stop, step)
    return sorted(
        ((e.started_at, e.ended_at, tuple(sorted(e.labels.items())), e.peak_value) for e in result.episodes),
        key=lambda e: (e[0], e[2]),
    )


def assert_same(env: AlertEnv, rule: Rule, start: float, stop: float, step: float) -> list[Episode]:
    preview = backtest_episodes(env, rule, start, stop, step)  # before: the live state is empty
    rid = env.install(rule)
    live = live_episodes(env, rid, start, stop, step)
    assert live, "the scenario must fire"
    assert preview == live
    return live


def test_threshold_with_for_group_by_and_min_volume(env: AlertEnv) -> None:
    end = T0 + 4 * HOUR
    # model A: two bad spells (20 % then 10 % provider errors); B healthy; C fails always but
    # has 20 requests per 5 min, under the rule's min_volume of 50
    for lo, hi, share in ((T0 + 1 * HOUR, T0 + 1 * HOUR + 20 * MIN, 0.2), (T0 + 3 * HOUR, end, 0.1)):
        stream(env.store, lo - (HOUR if lo == T0 + HOUR else 0), hi, 2.0, request_model="A", bad=ERR,
               bad_from=lo, bad_to=hi, bad_share=share)  # fmt: skip
    stream(env.store, T0 + 1 * HOUR + 20 * MIN, T0 + 3 * HOUR, 2.0, request_model="A")
    stream(env.store, T0, end, 2.0, request_model="B")
    stream(env.store, T0, end, 15.0, request_model="C", **ERR)
    rule = pack_rule("provider-errors", for_s=2 * MIN, renotify_s=30 * MIN)
    live = assert_same(env, rule, T0 + 10 * MIN, end, MIN)
    assert {dict(e[2])["model"] for e in live} == {"A"}
    assert len(live) == 2 and live[0][1] is not None and live[-1][1] is None  # the 2nd still fires
    assert live[0][3] == pytest.approx(0.2, abs=0.02)
    # the alert fired `for` after the condition started holding, not at once
    assert live[0][0] >= T0 + HOUR + 2 * MIN


def test_renotify_and_resolve_counted_per_day_and_channel(env: AlertEnv) -> None:
    stream(env.store, T0, T0 + 3 * HOUR, 2.0, request_model="A", bad=ERR, bad_from=T0 + HOUR,
           bad_to=T0 + 2 * HOUR, bad_share=0.2)  # fmt: skip
    rule = pack_rule("provider-errors", for_s=0.0, renotify_s=20 * MIN, channels=["a", "b"])
    result = env.service.backtest(rule, "p1", T0 + 10 * MIN, T0 + 3 * HOUR, MIN)
    [ep] = result.episodes
    kinds = [n["kind"] for n in ep.notifications]
    assert (
        kinds[0] == "firing" and kinds[-1] == "resolved" and kinds.count("renotify") == 3
    )  # ~65 min firing, every 20 min
    totals = result.totals()
    assert (totals["firing"], totals["renotify"], totals["resolved"]) == (1, 3, 1)
    assert totals["notifications"] == 2 * 5  # two channels
    assert sum(d["notifications"] for d in result.per_day()) == 10
    assert result.unknown_channels == ["a", "b"]  # no such channels in the project
    assert len(ep.example_traces) == 3 and ep.window[1] - ep.window[0] == int(5 * MIN * 1e9)


def test_baseline_rule(env: AlertEnv) -> None:
    rule = parse_rule(
        {
            "name": "cost-jump",
            "metric": "cost_per_request",
            "quantile": 0.95,
            "window": "10m",
            "group_by": ["feature"],
            "condition": {"kind": "baseline", "factor": 1.5, "baseline": "1h"},
            "min_volume": 20,
        }
    )
    end = T0 + 4 * HOUR
    stream(env.store, T0, end, 5.0, feature="a", cost_total_usd=0.01, bad={"cost_total_usd": 0.05},
           bad_from=T0 + 2 * HOUR, bad_to=T0 + 2 * HOUR + 30 * MIN, bad_share=0.5)  # fmt: skip
    stream(env.store, T0, end, 5.0, feature="b", cost_total_usd=0.02)
    live = assert_same(env, rule, T0 + HOUR, end, 2 * MIN)
    assert {dict(e[2])["feature"] for e in live} == {"a"}


def test_preview_leaves_the_live_state_alone(env: AlertEnv) -> None:
    stream(env.store, T0, T0 + 2 * HOUR, 2.0, request_model="A", **ERR)
    rule = pack_rule("provider-errors", for_s=0.0)
    rid = env.install(rule)
    env.run(T0 + HOUR, T0 + HOUR, MIN)

    def snapshot() -> list[Any]:
        with env.engine.connect() as c:
            return [[tuple(r) for r in c.execute(sa.select(t))] for t in tables.ALL_TABLES]

    before = snapshot()
    stored = env.service.repo.list_rules("p1")[0][1]
    result = env.service.backtest(stored, "p1", T0, T0 + 2 * HOUR, MIN)
    assert result.episodes and snapshot() == before
    assert env.service.repo.instances_for_rule(rid)  # the live alert is still there, unchanged


def test_record_reconstructed_incidents(env: AlertEnv) -> None:
    stream(env.store, T0, T0 + 3 * HOUR, 2.0, request_model="A", feature="checkout", bad=ERR,
           bad_from=T0 + HOUR, bad_to=T0 + 90 * MIN, bad_share=0.2)  # fmt: skip
    rule = pack_rule("provider-errors", for_s=0.0)
    result = env.service.backtest(rule, "p1", T0 + 10 * MIN, T0 + 3 * HOUR, MIN)
    ids = env.service.record_reconstructed("p1", rule, result)
    assert len(ids) == len(result.episodes) == 1
    inc = env.service.repo.get_incident("p1", ids[0])
    assert inc is not None and inc["state"] == "resolved" and "(reconstructed)" in inc["title"]
    assert inc["opened_at"] == result.episodes[0].started_at
    assert inc["resolved_at"] == result.episodes[0].ended_at
    kinds = [e["kind"] for e in inc["timeline"]]
    assert kinds[0] == "reconstructed" and "never notified" in inc["timeline"][0]["text"]
    assert "analysis" in kinds and inc["example_traces"] == result.episodes[0].example_traces
    assert env.service.repo.deliveries("p1") == [] and env.service.repo.history("p1") == []
    assert env.service.record_reconstructed("p1", rule, result) == []  # idempotent


def test_range_checks() -> None:
    with pytest.raises(BacktestError, match="^end: must be after start"):
        check_range(T0, T0, 30)
    with pytest.raises(BacktestError, match="^end: .*at most 31 days"):
        check_range(T0, T0 + 40 * DAY, 3600)
    with pytest.raises(BacktestError, match="^step:"):
        check_range(T0, T0 + 30 * DAY, 30)
    assert check_range(T0, T0 + 7 * DAY, 30) == 7 * 2880 + 1 <= MAX_EVALUATIONS


def test_replay_queries_send_the_live_sql(env: AlertEnv) -> None:
    """The translation cache of the backtest renders exactly the SQL of the live queries."""
    sent: list[str] = []

    class Recorder:
        dialect = env.store.dialect

        def query(self, sql: str, params: Any = None) -> Any:
            sent.append(sql)
            return env.store.query(sql, params)

    from spyglass.alerts.conditions import sample_rule
    from spyglass.alerts.rules import default_rules

    stream(env.store, T0, T0 + HOUR, 10.0, request_model="A", feature="f")
    rec = Recorder()
    for rule in default_rules():
        replay_q = ReplayQueries(rec)
        for end in (T0 + 30 * MIN, T0 + 40 * MIN, T0 + 41 * MIN):
            sent.clear()
            live = sample_rule(rule, AlertQueries(rec), "p1", end)
            live_sql = list(sent)
            sent.clear()
            replay = sample_rule(rule, replay_q, "p1", end)
            assert sent == live_sql and replay == live, rule.name


def test_gap_in_traffic_zero_traffic_rule(env: AlertEnv) -> None:
    """A gap in the data: the window is empty while the baseline is not (the replay may reuse
    the samples of an empty look-back only when the whole look-back is empty)."""
    rule = parse_rule(
        {
            "name": "quiet",
            "metric": "volume",
            "window": "15m",
            "group_by": ["feature"],
            "condition": {"kind": "zero_traffic", "baseline": "1h"},
            "min_volume": 10,
        }
    )
    stream(env.store, T0, T0 + 2 * HOUR, 10.0, feature="a")
    stream(env.store, T0 + 4 * HOUR, T0 + 5 * HOUR, 10.0, feature="a")
    live = assert_same(env, rule, T0 + 30 * MIN, T0 + 5 * HOUR, 2 * MIN)
    assert len(live) == 1 and live[0][1] is not None
