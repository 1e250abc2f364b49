"""Alert states and the pure state transition (Prometheus' alerting-rule model).

``inactive → pending → firing → resolved``: a condition must hold for the rule's ``for``
before an alert fires; once firing, it keeps firing for ``keep_firing_for`` after the
condition stops holding (hysteresis against flapping, together with the rule's
``resolve_value`` which the evaluator applies before calling :func:`transition`). A resolved
alert becomes pending/firing again only as a *new episode*.

Nothing here does I/O or reads a clock: ``now`` is passed in (epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class Timing(Protocol):
    """The rule fields a transition reads (``Rule`` satisfies it)."""

    @property
    def for_s(self) -> float: ...

    @property
    def keep_firing_for_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class AlertStatus:
    """Where one alert (rule × group) stands. Times are epoch seconds, ``None`` when unset."""

    state: AlertState = AlertState.INACTIVE
    active_since: float | None = None  # the condition first held in this episode
    fired_at: float | None = None
    last_true_at: float | None = None
    resolved_at: float | None = None


def transition(status: AlertStatus, condition_true: bool, now: float, rule: Timing) -> AlertStatus:
    """The next status after one evaluation. Pure: same inputs, same output."""
    s = status.state
    if s in (AlertState.INACTIVE, AlertState.RESOLVED):
        if not condition_true:
            return status
        if rule.for_s <= 0:
            return AlertStatus(AlertState.FIRING, active_since=now, fired_at=now, last_true_at=now)
        return AlertStatus(AlertState.PENDING, active_since=now, last_true_at=now)
    if s is AlertState.PENDING:
        if not condition_true:
            return AlertStatus(AlertState.INACTIVE)
        since = status.active_since if status.active_since is not None else now
        if now - since >= rule.for_s:
            return replace(status, state=AlertState.FIRING, fired_at=now, last_true_at=now)
        return replace(status, last_true_at=now)
    # firing
    if condition_true:
        return replace(status, last_true_at=now)
    last_true = status.last_true_at if status.last_true_at is not None else now
    if rule.keep_firing_for_s > 0 and now - last_true < rule.keep_firing_for_s:
        return status
    return replace(status, state=AlertState.RESOLVED, resolved_at=now)


def event_of(before: AlertStatus, after: AlertStatus) -> str | None:
    """``"firing"`` or ``"resolved"`` when a transition starts or ends an episode, else ``None``."""
    if after.state is AlertState.FIRING and before.state is not AlertState.FIRING:
        return "firing"
    if after.state is AlertState.RESOLVED and before.state is AlertState.FIRING:
        return "resolved"
    if after.state is AlertState.PENDING and before.state is not AlertState.PENDING:
        return "pending"
    return None
