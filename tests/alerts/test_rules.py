"""Rule parsing and validation: clear errors that name the field."""

from __future__ import annotations

import pytest

from spyglass.alerts.rules import RuleError, default_rules, parse_rule, parse_rule_file

pytestmark = pytest.mark.unit

GOOD = """
channels:
  - {name: oncall, type: slack, url: "https://hooks.slack.com/services/x"}
rules:
  - name: checkout-latency
    metric: latency
    quantile: 0.95
    where: {feature: checkout}
    window: 10m
    for: 2m
    condition: {kind: threshold, op: ">", value: 8000, resolve_value: 7000}
    min_volume: 20
    group_by: [model]
    severity: critical
    channels: [oncall]
"""


def test_valid_file_round_trips() -> None:
    f = parse_rule_file(GOOD)
    (rule,) = f.rules
    assert rule.window_s == 600 and rule.for_s == 120 and rule.where == {"feature": ["checkout"]}
    assert parse_rule(rule.to_spec()) == rule
    assert f.channels[0]["type"] == "slack"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                'condition: {kind: threshold, op: ">", value: 8000, resolve_value: 7000}',
                "condition: {kind: threshold, value: abc}",
            ),
            "rules[0].condition.value: 'abc' is not of type 'number'",
        ),
        (("metric: latency", "metric: latenzy"), "rules[0].metric:"),
        (("window: 10m", "window: 10 minutes"), "rules[0].window:"),
        (("    quantile: 0.95\n", ""), "rules[0].quantile: required for metric 'latency'"),
        (("group_by: [model]", "group_by: [colour]"), "rules[0].group_by[0]:"),
        (
            ("resolve_value: 7000", "resolve_value: 9000"),
            "rules[0].condition.resolve_value: must lie on the healthy side",
        ),
        (("type: slack, url", "type: slack, uri"), "channels[0]"),
    ],
)
def test_errors_name_the_field(change: tuple[str, str], message: str) -> None:
    bad = GOOD.replace(*change)
    assert bad != GOOD
    with pytest.raises(RuleError) as e:
        parse_rule_file(bad, "rules.yaml")
    assert str(e.value).startswith("rules.yaml: ")
    assert message in str(e.value)


def test_kind_specific_fields_are_required() -> None:
    with pytest.raises(RuleError, match=r"condition.baseline: required for a baseline"):
        parse_rule({"name": "x", "metric": "spend", "condition": {"kind": "baseline", "factor": 1.5}})
    with pytest.raises(RuleError, match="median_ratio needs a per-request metric"):
        parse_rule(
            {
                "name": "x",
                "metric": "spend",
                "condition": {"kind": "median_ratio", "factor": 3, "baseline": "1d"},
            }
        )
    with pytest.raises(RuleError, match="min_requests"):
        parse_rule(
            {"name": "x", "metric": "error_rate", "condition": {"kind": "release_regression", "factor": 2}}
        )


def test_duplicate_names_and_bad_yaml() -> None:
    doc = GOOD + GOOD.split("rules:\n")[1]
    with pytest.raises(RuleError, match="duplicate rule name"):
        parse_rule_file(doc)
    with pytest.raises(RuleError, match="not valid YAML"):
        parse_rule_file("rules: [")


def test_default_pack_is_valid_and_every_rule_has_a_minimum_volume() -> None:
    rules = default_rules()
    assert len(rules) >= 12
    assert all(r.min_volume > 0 for r in rules)
