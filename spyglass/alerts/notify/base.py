"""What every channel receives and returns.

A :class:`Notification` is a plain, JSON-serialisable description of one alert event
(firing, resolved or a renotify), built once by the evaluator and stored in the delivery
log, so a retry sends exactly what the first attempt sent. A channel's ``send`` blocks,
never raises for delivery problems and answers with a :class:`Delivery`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Notification:
    kind: str  # firing / resolved / renotify
    project_id: str
    rule_id: str
    rule_name: str
    severity: str
    title: str
    description: str
    labels: dict[str, str | None]
    value: float | None
    threshold: float | None
    unit: str
    condition: str  # human text, e.g. "error rate > 0.02 (5m window)"
    dedup_key: str  # stable across one alert (rule × group), used by PagerDuty
    started_at: float | None
    resolved_at: float | None = None
    runbook_url: str = ""
    runbook: str = ""
    explorer_url: str = ""
    example_traces: list[dict[str, str]] = field(default_factory=list)  # {trace_id, url}
    incident_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Notification:
        return cls(**d)

    def value_text(self) -> str:
        return f"{_fmt(self.value, self.unit)} (threshold {_fmt(self.threshold, self.unit)})"

    def group_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.labels.items()) or "all traffic"


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "ratio":
        return f"{v * 100:.2f} %"
    if unit == "USD":
        return f"${v:.4f}"
    if unit == "ms":
        return f"{v:.0f} ms"
    return f"{v:g} {unit}".strip()


@dataclass(frozen=True, slots=True)
class Delivery:
    """Outcome of one send: ``retryable`` says whether trying again later may succeed."""

    ok: bool
    retryable: bool = False
    detail: str = ""


class Notifier(Protocol):
    def send(self, n: Notification) -> Delivery:
        """Deliver ``n``. Blocks (network I/O); must not raise for delivery failures."""
        ...


def http_delivery(status: int, body: str) -> Delivery:
    """Map an HTTP answer to a delivery: 2xx ok, 408/429/5xx retryable, other 4xx final."""
    if 200 <= status < 300:
        return Delivery(True, detail=f"HTTP {status}")
    retryable = status in (408, 425, 429) or status >= 500
    return Delivery(False, retryable, f"HTTP {status}: {body[:200]}")
