"""Signed generic webhook: POST the notification as JSON.

Signature (Stripe-style, so a replayed body with an old timestamp can be refused):
``X-Spyglass-Timestamp: <unix seconds>`` and
``X-Spyglass-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``.
Receivers verify with :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from spyglass.alerts.notify.base import Delivery, Notification, http_delivery

SIGNATURE_HEADER = "X-Spyglass-Signature"
TIMESTAMP_HEADER = "X-Spyglass-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    now: float | None = None,
    tolerance_s: float = 300,
) -> bool:
    """True when ``signature`` is valid for ``body`` and the timestamp is recent enough."""
    try:
        ts = float(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def post_json(url: str, payload: Any, headers: dict[str, str], timeout_s: float) -> Delivery:
    """POST JSON and map the outcome; network errors are retryable deliveries."""
    body = orjson.dumps(payload)
    try:
        r = httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=timeout_s
        )
    except httpx.HTTPError as e:
        return Delivery(False, True, f"{type(e).__name__}: {e}")
    return http_delivery(r.status_code, r.text)


class WebhookNotifier:
    """Posts ``Notification.to_dict()`` with an HMAC signature when a secret is set."""

    def __init__(
        self, url: str, secret: str = "", timeout_s: float = 10.0, clock: Callable[[], float] = time.time
    ):
        self.url, self.secret, self.timeout_s, self.clock = url, secret, timeout_s, clock

    def send(self, n: Notification) -> Delivery:
        body = orjson.dumps({"version": 1, **n.to_dict()})
        ts = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: ts,
            "User-Agent": "Spyglass-Alerts/1",
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, ts, body)
        try:
            r = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as e:
            return Delivery(False, True, f"{type(e).__name__}: {e}")
        return http_delivery(r.status_code, r.text)
