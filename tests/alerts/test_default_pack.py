"""Every rule of the default pack against scripted traffic in a real DuckDB store.

Each test writes a group that goes bad and recovers, a healthy group, and a group that is
just as bad but under the rule's minimum volume; it then evaluates on a schedule and checks
that exactly the bad group fires once (no second page for one episode) and resolves.
"""

from __future__ import annotations

import pytest

from spyglass.model.span import ErrorClass, SpanKind, StatusCode
from tests.alerts.conftest import (
    DAY,
    HOUR,
    MIN,
    T0,
    AlertEnv,
    assert_one_episode,
    firing_and_resolved,
    make_span,
    pack_rule,
    stream,
)

pytestmark = pytest.mark.integration

ERR = {"status": StatusCode.ERROR, "error_class": ErrorClass.PROVIDER_5XX}


def _rate_rule_case(
    env: AlertEnv, rule_name: str, dim: str, bad: dict, bad_share: float, every: float, window: float, **extra
):  # type: ignore[no-untyped-def]
    """Shared shape for the rate rules: group A goes bad for 20 min, B stays healthy,
    C is always bad but too small for the rule's minimum volume."""
    env.install(pack_rule(rule_name))
    end = T0 + 40 * MIN
    stream(
        env.store,
        T0,
        end,
        every,
        bad=bad,
        bad_from=T0 + 10 * MIN,
        bad_to=T0 + 30 * MIN,
        bad_share=bad_share,
        **{dim: "A"},
        **extra,
    )
    stream(env.store, T0, end, every, **{dim: "B"}, **extra)
    stream(env.store, T0, end, window / 10, bad=bad, bad_from=T0, bad_share=1.0, **{dim: "C"}, **extra)
    return env.run(T0 + window, end + window, MIN)


def test_provider_errors(env: AlertEnv) -> None:
    events = _rate_rule_case(env, "provider-errors", "request_model", ERR, 0.1, 2.0, 5 * MIN)
    assert_one_episode(events, {"model": "A"})
    # 'for: 1m' means one evaluation of pending before firing
    by = firing_and_resolved(events)
    assert by["pending"][0][0] < by["firing"][0][0]


def test_provider_errors_ignore_other_error_classes(env: AlertEnv) -> None:
    bad = {"status": StatusCode.ERROR, "error_class": ErrorClass.VALIDATION}
    events = _rate_rule_case(env, "provider-errors", "request_model", bad, 0.2, 2.0, 5 * MIN)
    assert firing_and_resolved(events)["firing"] == []


def test_timeouts(env: AlertEnv) -> None:
    bad = {"status": StatusCode.ERROR, "error_class": ErrorClass.TIMEOUT}
    events = _rate_rule_case(env, "timeouts", "request_model", bad, 0.05, 2.0, 10 * MIN)
    assert_one_episode(events, {"model": "A"})


def test_refusals(env: AlertEnv) -> None:
    events = _rate_rule_case(
        env, "refusals", "feature", {"refusal": True}, 0.2, 3.0, 10 * MIN, request_model="gpt-4o"
    )
    assert_one_episode(events, {"model": "gpt-4o", "feature": "A"})


def test_schema_failures(env: AlertEnv) -> None:
    # A failure rate under 1 % in B must stay quiet: 1 in 200
    env.install(pack_rule("schema-failures"))
    end = T0 + 40 * MIN
    stream(
        env.store,
        T0,
        end,
        2.0,
        schema_valid=True,
        feature="B",
        bad={"schema_valid": False},
        bad_from=T0,
        bad_share=0.005,
    )
    events = _rate_rule_case(
        env, "schema-failures", "feature", {"schema_valid": False}, 0.05, 2.0, 10 * MIN, schema_valid=True
    )
    assert_one_episode(events, {"feature": "A"})


def test_tool_failures(env: AlertEnv) -> None:
    bad = {"tool_status": "error", "status": StatusCode.ERROR}
    events = _rate_rule_case(
        env, "tool-failures", "tool_name", bad, 0.1, 3.0, 5 * MIN, kind=SpanKind.TOOL, tool_status="ok"
    )
    assert_one_episode(events, {"tool_name": "A"})


def test_eval_pass_rate(env: AlertEnv) -> None:
    env.install(pack_rule("eval-pass-rate"))
    end = T0 + 5 * HOUR
    stream(
        env.store,
        T0,
        end,
        60.0,
        kind=SpanKind.EVAL,
        bad={"status": StatusCode.ERROR},
        bad_from=T0 + 2 * HOUR,
        bad_to=T0 + 3 * HOUR,
        bad_share=0.4,
    )
    # another project-wide quiet case: same rule in a project with too few evals
    env.install(pack_rule("eval-pass-rate"), project_id="p2")
    stream(env.store, T0, end, 600.0, project_id="p2", kind=SpanKind.EVAL, status=StatusCode.ERROR)
    events = env.run(T0 + HOUR, end, 10 * MIN)
    assert_one_episode(events, {})


def test_p95_latency(env: AlertEnv) -> None:
    env.install(pack_rule("p95-latency"))
    end = T0 + 50 * MIN
    stream(
        env.store,
        T0,
        end,
        3.0,
        feature="checkout",
        duration_ms=900.0,
        bad={"duration_ms": 12_000.0},
        bad_from=T0 + 15 * MIN,
        bad_to=T0 + 30 * MIN,
        bad_share=0.2,
    )
    stream(env.store, T0, end, 3.0, feature="search", duration_ms=1500.0)
    stream(env.store, T0, end, 60.0, feature="rare", duration_ms=20_000.0)  # 10 per window < 20
    events = env.run(T0 + 10 * MIN, end + 10 * MIN, MIN)
    assert_one_episode(events, {"feature": "checkout"})


def test_cost_spike(env: AlertEnv) -> None:
    env.install(pack_rule("cost-spike"))
    end = T0 + 28 * HOUR
    stream(
        env.store,
        T0,
        end,
        30.0,
        feature="chat",
        cost_total_usd=0.010,
        bad={"cost_total_usd": 0.030},
        bad_from=T0 + 25 * HOUR,
        bad_to=T0 + 25.5 * HOUR,
    )
    stream(env.store, T0, end, 30.0, feature="search", cost_total_usd=0.002)
    stream(
        env.store,
        T0,
        end,
        300.0,
        feature="rare",
        cost_total_usd=0.002,
        bad={"cost_total_usd": 0.5},
        bad_from=T0 + 25 * HOUR,
    )  # 12/h < 50
    events = env.run(T0 + 24 * HOUR, end, 10 * MIN)
    assert_one_episode(events, {"feature": "chat"})


def test_daily_spend(env: AlertEnv) -> None:
    env.install(pack_rule("daily-spend"))
    end = T0 + 10.5 * DAY
    stream(
        env.store,
        T0,
        end,
        600.0,
        cost_total_usd=0.01,
        bad={"cost_total_usd": 0.03},
        bad_from=T0 + 8 * DAY,
        bad_to=T0 + 9 * DAY,
    )
    # a project with the same spike but fewer than 100 requests a day stays quiet
    env.install(pack_rule("daily-spend"), project_id="p2")
    stream(
        env.store,
        T0,
        end,
        1800.0,
        project_id="p2",
        cost_total_usd=0.01,
        bad={"cost_total_usd": 0.5},
        bad_from=T0 + 8 * DAY,
        bad_to=T0 + 9 * DAY,
    )
    events = env.run(T0 + 8 * DAY, end, 6 * HOUR)
    assert_one_episode(events, {})


def test_snapshot_mix_change(env: AlertEnv) -> None:
    env.install(pack_rule("snapshot-mix-change"))
    end = T0 + 29 * HOUR
    swap = {"response_model": "gpt-4o-2024-11-20"}
    stream(
        env.store,
        T0,
        end,
        30.0,
        request_model="gpt-4o",
        response_model="gpt-4o-2024-08-06",
        bad=swap,
        bad_from=T0 + 25 * HOUR,
        bad_to=T0 + 26.5 * HOUR,
    )
    stream(env.store, T0, end, 30.0, request_model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18")
    stream(
        env.store,
        T0,
        end,
        300.0,
        request_model="tiny",
        response_model="tiny-1",
        bad={"response_model": "tiny-2"},
        bad_from=T0 + 25 * HOUR,
    )  # 12/h < 50
    events = env.run(T0 + 24 * HOUR, end, 10 * MIN)
    assert_one_episode(events, {"model": "gpt-4o"})


def test_prompt_release_regression(env: AlertEnv) -> None:
    env.install(pack_rule("prompt-release-regression"))
    day1 = T0 + DAY
    # v1 for a day at 1 % errors, then v2 at 6 % (regression), then v3 fixes it
    stream(
        env.store,
        T0,
        day1,
        60.0,
        prompt_name="support",
        prompt_version="v1",
        bad=ERR,
        bad_from=T0,
        bad_share=0.01,
    )
    stream(
        env.store,
        day1,
        day1 + 4 * HOUR,
        30.0,
        prompt_name="support",
        prompt_version="v2",
        bad=ERR,
        bad_from=day1,
        bad_share=0.06,
    )
    stream(
        env.store,
        day1 + 4 * HOUR,
        day1 + 8 * HOUR,
        30.0,
        prompt_name="support",
        prompt_version="v3",
        bad=ERR,
        bad_from=day1,
        bad_share=0.01,
    )
    # another prompt regresses just as badly but only gets 100 requests: under min_requests
    stream(env.store, T0, day1, 300.0, prompt_name="faq", prompt_version="v1")
    stream(
        env.store,
        day1,
        day1 + 50 * MIN,
        30.0,
        prompt_name="faq",
        prompt_version="v2",
        bad=ERR,
        bad_from=day1,
        bad_share=0.2,
    )
    events = env.run(day1, day1 + 8 * HOUR, 15 * MIN)
    assert_one_episode(events, {"prompt_name": "support", "prompt_version": "v2"})
    fired_at = firing_and_resolved(events)["firing"][0][0]
    assert fired_at >= day1 + 200 * 30.0  # not before 200 requests of v2


def test_zero_traffic(env: AlertEnv) -> None:
    env.install(pack_rule("zero-traffic"))
    end = T0 + 27 * HOUR
    gap = (T0 + 25 * HOUR, T0 + 25.5 * HOUR)
    stream(env.store, T0, gap[0], 60.0, feature="checkout", environment="production")
    stream(env.store, gap[1], end, 60.0, feature="checkout", environment="production")
    stream(env.store, T0, end, 60.0, feature="search", environment="production")
    stream(env.store, T0, T0 + 24 * HOUR, 4000.0, feature="rare", environment="production")  # 22 in 24 h < 50
    stream(env.store, T0, gap[0], 60.0, feature="staging-only", environment="staging")
    events = env.run(T0 + 24 * HOUR, end, 5 * MIN)
    assert_one_episode(events, {"feature": "checkout"})


def test_token_blowup(env: AlertEnv) -> None:
    env.install(pack_rule("token-blowup"))
    end = T0 + 27 * HOUR
    stream(
        env.store,
        T0,
        end,
        30.0,
        feature="chat",
        total_tokens=500,
        bad={"total_tokens": 2500},
        bad_from=T0 + 25 * HOUR,
        bad_to=T0 + 25.5 * HOUR,
    )
    stream(env.store, T0, end, 30.0, feature="search", total_tokens=300)
    stream(
        env.store,
        T0,
        end,
        300.0,
        feature="rare",
        total_tokens=100,
        bad={"total_tokens": 9000},
        bad_from=T0 + 25 * HOUR,
    )  # 3 per window < 20
    events = env.run(T0 + 24 * HOUR, end, 5 * MIN)
    assert_one_episode(events, {"feature": "chat"})


def test_safety_violation(env: AlertEnv) -> None:
    env.install(pack_rule("safety-violation"))
    end = T0 + 30 * MIN
    stream(env.store, T0, end, 10.0, kind=SpanKind.GUARDRAIL, feature="support", guardrail_decision="allow")
    stream(env.store, T0, end, 10.0, kind=SpanKind.GUARDRAIL, feature="search", guardrail_decision="allow")
    env.store.write_batch(
        [make_span(T0 + 12 * MIN, kind=SpanKind.GUARDRAIL, feature="support", guardrail_decision="block")]
    )
    events = env.run(T0 + 5 * MIN, end, MIN)
    assert_one_episode(events, {"feature": "support"})


def test_every_default_rule_is_covered() -> None:
    from spyglass.alerts.rules import default_rules

    tested = {
        "provider-errors",
        "timeouts",
        "p95-latency",
        "cost-spike",
        "daily-spend",
        "refusals",
        "schema-failures",
        "tool-failures",
        "snapshot-mix-change",
        "prompt-release-regression",
        "zero-traffic",
        "token-blowup",
        "eval-pass-rate",
        "safety-violation",
    }
    assert {r.name for r in default_rules()} == tested
