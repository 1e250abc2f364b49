"""PagerDuty Events API v2: ``trigger`` on firing/renotify, ``resolve`` on resolved.

The dedup key is the alert's (rule, group) key, so PagerDuty folds a renotify into the
open incident and the resolve closes it. The URL is configurable (tests use a local
receiver); by default it is PagerDuty's public endpoint.
"""

from __future__ import annotations

from typing import Any

from spyglass.alerts.notify.base import Delivery, Notification
from spyglass.alerts.notify.webhook import post_json

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
_SEVERITY = {"critical": "critical", "high": "error", "warning": "warning", "info": "info"}


def pagerduty_event(n: Notification, routing_key: str) -> dict[str, Any]:
    if n.kind == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": n.dedup_key}
    links = [{"href": t["url"], "text": f"trace {t['trace_id']}"} for t in n.example_traces]
    if n.explorer_url:
        links.insert(0, {"href": n.explorer_url, "text": "Open in Spyglass explorer"})
    if n.runbook_url:
        links.append({"href": n.runbook_url, "text": "Runbook"})
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": n.dedup_key,
        "client": "Spyglass",
        "client_url": n.explorer_url or None,
        "payload": {
            "summary": f"{n.title}: {n.value_text()} — {n.group_text()}"[:1024],
            "source": f"spyglass/{n.project_id}",
            "severity": _SEVERITY.get(n.severity, "warning"),
            "component": n.labels.get("feature") or n.labels.get("model") or None,
            "group": n.project_id,
            "class": n.rule_name,
            "custom_details": {
                "condition": n.condition,
                "value": n.value,
                "threshold": n.threshold,
                "labels": n.labels,
                "runbook": n.runbook,
                "example_traces": [t["trace_id"] for t in n.example_traces],
            },
        },
        "links": links,
    }


class PagerDutyNotifier:
    def __init__(self, routing_key: str, url: str = EVENTS_URL, timeout_s: float = 10.0) -> None:
        self.routing_key, self.url, self.timeout_s = routing_key, url, timeout_s

    def send(self, n: Notification) -> Delivery:
        return post_json(self.url, pagerduty_event(n, self.routing_key), {}, self.timeout_s)
