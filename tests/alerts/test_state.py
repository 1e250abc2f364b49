"""The pure alert state transition."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from spyglass.alerts.state import AlertState, AlertStatus, event_of, transition

pytestmark = pytest.mark.unit


@dataclass
class Timing:
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0


def run(conds: list[bool], rule: Timing, step: float = 60.0) -> list[AlertState]:
    s, out = AlertStatus(), []
    for i, c in enumerate(conds):
        s = transition(s, c, 1000.0 + i * step, rule)
        out.append(s.state)
    return out


IN, P, F, R = AlertState.INACTIVE, AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED


def test_fires_at_once_without_for() -> None:
    assert run([False, True, True, False], Timing()) == [IN, F, F, R]


def test_pending_until_for_elapses() -> None:
    assert run([True, True, True, True], Timing(for_s=120)) == [P, P, F, F]


def test_pending_that_clears_never_fires() -> None:
    assert run([True, False, True, True], Timing(for_s=120)) == [P, IN, P, P]


def test_keep_firing_for_absorbs_flapping() -> None:
    assert run([True, False, True, False, False, False], Timing(keep_firing_for_s=120)) == [F, F, F, F, R, R]


def test_resolved_starts_a_new_episode() -> None:
    s = AlertStatus()
    rule = Timing()
    s1 = transition(s, True, 1.0, rule)
    s2 = transition(s1, False, 2.0, rule)
    s3 = transition(s2, False, 3.0, rule)
    s4 = transition(s3, True, 4.0, rule)
    assert (s2.state, s3.state, s4.state) == (R, R, F)
    assert s4.fired_at == 4.0 and s4.resolved_at is None
    assert [event_of(a, b) for a, b in ((s, s1), (s1, s2), (s2, s3), (s3, s4))] == [
        "firing",
        "resolved",
        None,
        "firing",
    ]


def test_transition_is_pure() -> None:
    s = AlertStatus(AlertState.PENDING, active_since=0.0, last_true_at=0.0)
    assert transition(s, True, 30.0, Timing(for_s=60)) == transition(s, True, 30.0, Timing(for_s=60))
    assert s.state is AlertState.PENDING  # input untouched
