"""Slack incoming webhook, Block Kit format (header, fields, runbook, example traces)."""

from __future__ import annotations

from typing import Any

from spyglass.alerts.notify.base import Delivery, Notification
from spyglass.alerts.notify.webhook import post_json

_EMOJI = {"firing": ":rotating_light:", "renotify": ":repeat:", "resolved": ":white_check_mark:"}


def _escape(text: str) -> str:
    """Slack mrkdwn control characters (labels and rule text come from users)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(n: Notification) -> dict[str, Any]:
    state = "RESOLVED" if n.kind == "resolved" else "FIRING"
    title = f"{_EMOJI.get(n.kind, '')} [{state}] {n.title}".strip()
    fields = [
        {"type": "mrkdwn", "text": f"*Severity*\n{n.severity}"},
        {"type": "mrkdwn", "text": f"*Value*\n{_escape(n.value_text())}"},
        {"type": "mrkdwn", "text": f"*Group*\n{_escape(n.group_text())}"},
        {"type": "mrkdwn", "text": f"*Condition*\n{_escape(n.condition)}"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _escape(n.description) or " "},
            "fields": fields,
        },
    ]
    runbook = " ".join(
        x for x in (_escape(n.runbook), f"<{n.runbook_url}|runbook>" if n.runbook_url else "") if x
    )
    if runbook:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Runbook* {runbook}"}})
    if n.example_traces:
        links = "\n".join(f"• <{t['url']}|{t['trace_id']}>" for t in n.example_traces)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Example traces*\n{links}"}})
    if n.explorer_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in explorer"},
                        "url": n.explorer_url,
                    }
                ],
            }
        )
    return {"text": f"{title}: {n.value_text()} — {n.group_text()}", "blocks": blocks}


class SlackNotifier:
    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url, self.timeout_s = url, timeout_s

    def send(self, n: Notification) -> Delivery:
        return post_json(self.url, slack_payload(n), {}, self.timeout_s)
