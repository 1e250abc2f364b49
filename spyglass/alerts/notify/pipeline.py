"""The notification pipeline: mute → de-duplicate → send → retry with backoff → record.

Each (alert episode, channel, kind) becomes one row in the delivery log (``alert_deliveries``)
keyed by a de-duplication key, so the same page is never sent twice — not by a second
evaluation, not after a restart. A muted notification is recorded as ``suppressed`` with
the silence id. A failed send stays ``pending`` with ``next_attempt_at`` pushed back
exponentially (``base_backoff_s`` × 2^(attempts-1), capped) until it is delivered or
``max_attempts`` is reached (then ``failed``); :meth:`retry_due` is called every scheduler tick.

Blocking: every method does network and database I/O; call from a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from spyglass.alerts.notify.base import Delivery, Notification, Notifier
from spyglass.alerts.notify.email import EmailNotifier
from spyglass.alerts.notify.pagerduty import EVENTS_URL, PagerDutyNotifier
from spyglass.alerts.notify.slack import SlackNotifier
from spyglass.alerts.notify.webhook import WebhookNotifier
from spyglass.alerts.repository import AlertRepository

log = logging.getLogger(__name__)


def build_notifier(config: dict[str, Any]) -> Notifier:
    """A channel's notifier from its validated config (see ``rules.CHANNEL_SCHEMA``)."""
    timeout = float(config.get("timeout_s", 10.0))
    kind = config["type"]
    if kind == "webhook":
        return WebhookNotifier(config["url"], config.get("secret", ""), timeout)
    if kind == "slack":
        return SlackNotifier(config["url"], timeout)
    if kind == "pagerduty":
        return PagerDutyNotifier(config["routing_key"], config.get("url", EVENTS_URL), timeout)
    if kind == "email":
        return EmailNotifier(
            config["smtp_host"],
            list(config["to"]),
            port=int(config.get("smtp_port", 25)),
            sender=config.get("from", "spyglass@localhost"),
            user=config.get("smtp_user", ""),
            password=config.get("smtp_password", ""),
            starttls=bool(config.get("smtp_starttls", False)),
            timeout_s=timeout,
        )
    raise ValueError(f"unknown channel type {kind!r}")


class NotificationPipeline:
    def __init__(
        self,
        repo: AlertRepository,
        notifier_factory: Callable[[dict[str, Any]], Notifier] = build_notifier,
        base_backoff_s: float = 30.0,
        max_backoff_s: float = 3600.0,
        max_attempts: int = 10,
    ) -> None:
        self.repo = repo
        self.notifier_factory = notifier_factory
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_attempts = max_attempts

    def dispatch(
        self,
        n: Notification,
        instance_id: str,
        channels: Sequence[str],
        dedup_suffix: str,
        now: float,
        silenced_by: str | None = None,
    ) -> list[dict[str, Any]]:
        """Record and send ``n`` to each channel once; returns the delivery rows touched.

        ``dedup_suffix`` identifies this event within the alert (episode, kind, and for a
        renotify its time), so calling twice for the same event sends nothing the second time.
        """
        out = []
        for channel in channels:
            row: dict[str, Any] = {
                "project_id": n.project_id,
                "dedup_key": f"{n.dedup_key}:{dedup_suffix}:{channel}",
                "instance_id": instance_id,
                "channel": channel,
                "kind": n.kind,
                "payload": n.to_dict(),
                "status": "suppressed" if silenced_by else "pending",
                "attempts": 0,
                "next_attempt_at": None if silenced_by else now,
                "last_error": f"silenced by {silenced_by}" if silenced_by else None,
                "created_at": now,
            }
            delivery_id = self.repo.add_delivery(row)
            if delivery_id is None:
                continue  # already recorded: de-duplicated
            row["id"] = delivery_id
            if not silenced_by:
                row.update(self._attempt(row, now))
            out.append(row)
        return out

    def retry_due(self, now: float) -> int:
        """Retry every pending delivery whose backoff has elapsed; returns how many were tried."""
        due = self.repo.due_deliveries(now)
        for row in due:
            self._attempt(row, now)
        return len(due)

    def _attempt(self, row: dict[str, Any], now: float) -> dict[str, Any]:
        attempts = int(row.get("attempts") or 0) + 1
        result = self._send(row)
        if result.ok:
            values: dict[str, Any] = {
                "status": "delivered",
                "attempts": attempts,
                "delivered_at": now,
                "next_attempt_at": None,
                "last_error": None,
            }
        elif result.retryable and attempts < self.max_attempts:
            backoff = min(self.max_backoff_s, self.base_backoff_s * 2 ** (attempts - 1))
            values = {
                "status": "pending",
                "attempts": attempts,
                "next_attempt_at": now + backoff,
                "last_error": result.detail,
            }
        else:
            values = {
                "status": "failed",
                "attempts": attempts,
                "next_attempt_at": None,
                "last_error": result.detail,
            }
        if not result.ok:
            log.warning(
                "alert delivery %s to %s failed (%s): %s",
                row["dedup_key"],
                row["channel"],
                values["status"],
                result.detail,
            )
        self.repo.update_delivery(int(row["id"]), **values)
        return values

    def _send(self, row: dict[str, Any]) -> Delivery:
        config = self.repo.channels(row["project_id"]).get(row["channel"])
        if config is None:
            return Delivery(False, False, f"unknown channel {row['channel']!r}")
        try:
            notifier = self.notifier_factory(config)
            return notifier.send(Notification.from_dict(dict(row["payload"])))
        except Exception as e:  # a channel bug must not stop the other deliveries
            log.exception("channel %s crashed", row["channel"])
            return Delivery(False, True, f"{type(e).__name__}: {e}")
