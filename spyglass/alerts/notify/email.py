"""Email over SMTP with the standard library (``smtplib`` + ``email.message``)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from spyglass.alerts.notify.base import Delivery, Notification


def email_message(n: Notification, sender: str, to: list[str]) -> EmailMessage:
    state = "RESOLVED" if n.kind == "resolved" else "FIRING"
    msg = EmailMessage()
    msg["Subject"] = f"[{state}][{n.severity}] {n.title}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    lines = [
        f"{n.title} is {state.lower()}.",
        "",
        n.description,
        "",
        f"Value:     {n.value_text()}",
        f"Condition: {n.condition}",
        f"Group:     {n.group_text()}",
        f"Severity:  {n.severity}",
    ]
    if n.runbook or n.runbook_url:
        lines += ["", f"Runbook: {n.runbook} {n.runbook_url}".rstrip()]
    if n.explorer_url:
        lines += ["", f"Explorer: {n.explorer_url}"]
    if n.example_traces:
        lines += ["", "Example traces:"] + [f"  {t['trace_id']}  {t['url']}" for t in n.example_traces]
    msg.set_content("\n".join(lines) + "\n")
    return msg


class EmailNotifier:
    def __init__(
        self,
        host: str,
        to: list[str],
        port: int = 25,
        sender: str = "spyglass@localhost",
        user: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.to, self.sender = host, port, to, sender
        self.user, self.password, self.starttls, self.timeout_s = user, password, starttls, timeout_s

    def send(self, n: Notification) -> Delivery:
        msg = email_message(n, self.sender, self.to)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as e:
            # 4xx is a temporary refusal; 5xx is final (bad recipient, auth …).
            return Delivery(False, e.smtp_code < 500, f"SMTP {e.smtp_code}: {e.smtp_error!r}")
        except (OSError, smtplib.SMTPException) as e:
            return Delivery(False, True, f"{type(e).__name__}: {e}")
        return Delivery(True, detail=f"sent to {len(self.to)} recipient(s)")
