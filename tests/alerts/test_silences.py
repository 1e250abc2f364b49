"""Silence matchers (Alertmanager semantics)."""

from __future__ import annotations

import pytest

from spyglass.alerts.silences import SilenceError, SilenceMuter, matches, validate_matchers

pytestmark = pytest.mark.unit

LABELS = {"alertname": "provider-errors", "model": "gpt-4o", "severity": "critical", "feature": None}


@pytest.mark.parametrize(
    ("matchers", "expected"),
    [
        ([{"name": "model", "value": "gpt-4o"}], True),
        ([{"name": "model", "value": "gpt-4o", "op": "!="}], False),
        ([{"name": "model", "value": "gpt-.*", "op": "=~"}], True),
        ([{"name": "model", "value": "gpt", "op": "=~"}], False),  # anchored, like Alertmanager
        ([{"name": "severity", "value": "warning|info", "op": "!~"}], True),
        ([{"name": "feature", "value": ""}], True),  # a missing label reads as ""
        ([{"name": "model", "value": "gpt-4o"}, {"name": "alertname", "value": "timeouts"}], False),
    ],
)
def test_matches(matchers: list[dict[str, str]], expected: bool) -> None:
    assert matches(matchers, LABELS) is expected


def test_muter_names_the_silence() -> None:
    muter = SilenceMuter(
        [
            {"id": "s1", "matchers": [{"name": "model", "value": "claude.*", "op": "=~"}]},
            {"id": "s2", "matchers": [{"name": "alertname", "value": "provider-errors"}]},
        ]
    )
    assert muter.mutes(LABELS) == "s2"
    assert SilenceMuter([]).mutes(LABELS) is None


def test_invalid_matchers_name_the_field() -> None:
    with pytest.raises(SilenceError, match=r"matchers\[0\].op"):
        validate_matchers([{"name": "a", "value": "b", "op": "~"}])
    with pytest.raises(SilenceError, match="non-empty list"):
        validate_matchers([])
