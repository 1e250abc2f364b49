from __future__ import annotations

import random
import statistics

import pytest

from spyglass.fakellm.scenario import (
    Behaviour,
    LatencySpec,
    Match,
    RequestInfo,
    Rule,
    Sampler,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
    snapshot_for,
)

pytestmark = pytest.mark.unit


def _req(
    model: str = "gpt-4o-mini",
    prompt: str = "hi",
    headers: dict[str, str] | None = None,
    key: str | None = "sk-a",
) -> RequestInfo:
    return RequestInfo(api="openai.chat", model=model, prompt_text=prompt, headers=headers or {}, api_key=key)


def test_yaml_file_loads_rules_and_defaults(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        """
seed: 3
defaults:
  latency: {p50_ms: 500, p99_ms: 5000}
  ttft: 100
  error_rates: {rate_limit: 0.1}
  snapshots: {gpt-4o-mini: gpt-4o-mini-2024-07-18}
rules:
  - name: tenant-b is slow
    match: {api_key: "sk-tenant-b*", header: {X-Fake-Scenario: slow}}
    behaviour: {latency: {p50_ms: 4000, p99_ms: 20000}, error_rates: {server_error: 0.2}}
"""
    )
    scenario = load_scenario(path)
    assert scenario.seed == 3
    assert scenario.defaults.ttft == LatencySpec(100, 100)
    rule = scenario.rules[0]
    assert rule.name == "tenant-b is slow"
    assert rule.match.headers == {"x-fake-scenario": "slow"}

    plain = scenario.resolve(_req())
    assert plain.latency == LatencySpec(500, 5000)
    assert plain.error_rates == {"rate_limit": 0.1}

    matched = scenario.resolve(_req(key="sk-tenant-b-1", headers={"x-fake-scenario": "slow"}))
    assert matched.latency == LatencySpec(4000, 20000)
    # dict fields merge key by key: the default rate stays, the rule adds its own
    assert matched.error_rates == {"rate_limit": 0.1, "server_error": 0.2}
    # the header alone is not enough: every condition must hold
    assert scenario.resolve(_req(headers={"x-fake-scenario": "slow"})).latency == LatencySpec(500, 5000)


def test_round_trip_through_dict() -> None:
    scenario = Scenario(
        seed=9,
        defaults=Behaviour(output_tokens=LatencySpec(50, 300), refusal_rate=0.1),
        rules=[Rule(Match(model="gpt-4o*", prompt_contains="v3"), Behaviour(refusal_rate=0.3), name="v3")],
    )
    again = scenario_from_dict(scenario_to_dict(scenario))
    assert again == scenario


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"defaults": {"latncy": 5}}, "latncy"),
        ({"defaults": {"error_rates": {"boom": 0.1}}}, "boom"),
        ({"defaults": {"refusal_rate": 2}}, "refusal_rate"),
        ({"rules": [{"match": {"modle": "x"}}]}, "modle"),
        ({"defaults": {"latency": {"p50_ms": 500, "p99_ms": 100}}}, "p50_ms <= p99_ms"),
        ({"seed": "abc"}, "seed"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_scenarios_name_the_problem(data, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        scenario_from_dict(data)


def test_invalid_yaml_is_a_scenario_error(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("defaults: [unclosed")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)


def test_lognormal_hits_its_median_and_p99() -> None:
    spec = LatencySpec(400, 4000)
    rng = random.Random(1)
    values = sorted(spec.sample(rng) for _ in range(20000))
    assert statistics.median(values) == pytest.approx(400, rel=0.05)
    assert values[int(0.99 * len(values))] == pytest.approx(4000, rel=0.15)


def test_same_seed_same_outcomes_and_rates_hold() -> None:
    behaviour = Scenario(
        defaults=Behaviour(error_rates={"rate_limit": 0.2, "server_error": 0.1}, refusal_rate=0.1)
    ).resolve(_req())
    first = [Sampler(5).draw(behaviour) for _ in range(1)]
    a, b = Sampler(5), Sampler(5)
    draws_a = [a.draw(behaviour) for _ in range(2000)]
    draws_b = [b.draw(behaviour) for _ in range(2000)]
    assert [(d.error, d.refusal, d.latency_ms) for d in draws_a] == [
        (d.error, d.refusal, d.latency_ms) for d in draws_b
    ]
    assert first[0].latency_ms == draws_a[0].latency_ms
    errors = [d.error for d in draws_a]
    assert errors.count("rate_limit") / 2000 == pytest.approx(0.2, abs=0.03)
    assert errors.count("server_error") / 2000 == pytest.approx(0.1, abs=0.03)
    assert sum(d.refusal for d in draws_a) / 2000 == pytest.approx(0.1, abs=0.03)
    assert all(d.latency_ms >= d.ttft_ms for d in draws_a)


def test_forced_outcome_overrides_the_draw() -> None:
    behaviour = Scenario(defaults=Behaviour(error_rates={"server_error": 1.0})).resolve(_req())
    sampler = Sampler(0)
    assert sampler.draw(behaviour).error == "server_error"
    assert sampler.draw(behaviour, forced="ok").error is None
    forced = sampler.draw(behaviour, forced="refusal")
    assert forced.error is None and forced.refusal


def test_snapshot_globs() -> None:
    behaviour = Behaviour(snapshots={"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "claude-*": "claude-x-1"})
    assert snapshot_for(behaviour, "gpt-4o-mini") == "gpt-4o-mini-2024-07-18"
    assert snapshot_for(behaviour, "claude-sonnet-4-5") == "claude-x-1"
    assert snapshot_for(behaviour, "gpt-4o") == "gpt-4o"


def test_time_window_rules_follow_the_request_clock() -> None:
    scenario = scenario_from_dict(
        {
            "rules": [
                {"match": {"after": "2026-01-01T00:00:00Z"}, "behaviour": {"snapshots": {"m": "m-new"}}},
                {"match": {"after": 100, "before": 200}, "behaviour": {"refusal_rate": 1.0}},
            ]
        }
    )
    early = RequestInfo(api="a", model="m", prompt_text="", headers={}, api_key=None, time_s=150)
    late = RequestInfo(api="a", model="m", prompt_text="", headers={}, api_key=None, time_s=1.9e9)
    assert snapshot_for(scenario.resolve(early), "m") == "m" and scenario.resolve(early).refusal_rate == 1.0
    assert snapshot_for(scenario.resolve(late), "m") == "m-new" and scenario.resolve(late).refusal_rate == 0.0
    with pytest.raises(ScenarioError, match="after"):
        scenario_from_dict({"rules": [{"match": {"after": "yesterday"}}]})


def test_the_documented_example_scenario_loads(tmp_path) -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "demo.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    scenario = load_scenario(path)
    assert scenario.seed == 42 and len(scenario.rules) == 3
    assert scenario.rules[2].match.after is not None and scenario.rules[2].match.before == 1795400000
