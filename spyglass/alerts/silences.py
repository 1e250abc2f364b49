"""Silences: label matchers that mute notifications for a while, with the reason kept.

A silence matches an alert when *every* matcher matches the alert's labels (its group
labels plus ``alertname`` and ``severity``), as in Alertmanager. Muted alerts still change
state and appear in the UI; only their notifications are recorded as ``suppressed`` with the
silence id, so the UI can say *why* nobody was paged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

MATCHER_OPS = ("=", "!=", "=~", "!~")


class SilenceError(ValueError):
    """A silence definition is invalid (the message names the field)."""


class Muter(Protocol):
    def mutes(self, labels: Mapping[str, str | None]) -> str | None:
        """The id of what mutes these labels (a silence), or ``None``."""
        ...


def validate_matchers(matchers: Any) -> list[dict[str, str]]:
    """Check ``[{"name", "value", "op"?}]``; returns them with ``op`` filled in."""
    if not isinstance(matchers, list) or not matchers:
        raise SilenceError("matchers: a non-empty list of {name, value, op} is required")
    out = []
    for i, m in enumerate(matchers):
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("name"), str)
            or not isinstance(m.get("value"), str)
        ):
            raise SilenceError(f"matchers[{i}]: needs string 'name' and 'value'")
        op = m.get("op", "=")
        if op not in MATCHER_OPS:
            raise SilenceError(f"matchers[{i}].op: must be one of {', '.join(MATCHER_OPS)}")
        if op in ("=~", "!~"):
            try:
                re.compile(m["value"])
            except re.error as e:
                raise SilenceError(f"matchers[{i}].value: invalid regular expression: {e}") from e
        out.append({"name": m["name"], "value": m["value"], "op": op})
    return out


def matches(matchers: Sequence[Mapping[str, str]], labels: Mapping[str, str | None]) -> bool:
    """True when every matcher holds for ``labels`` (a missing label reads as "")."""
    for m in matchers:
        actual = labels.get(m["name"]) or ""
        op = m.get("op", "=")
        if op == "=" and actual != m["value"]:
            return False
        if op == "!=" and actual == m["value"]:
            return False
        if op == "=~" and not re.fullmatch(m["value"], actual):
            return False
        if op == "!~" and re.fullmatch(m["value"], actual):
            return False
    return True


class SilenceMuter:
    """Mutes by the active silences given (rows of ``alert_silences``)."""

    def __init__(self, silences: Sequence[Mapping[str, Any]]) -> None:
        self.silences = list(silences)

    def mutes(self, labels: Mapping[str, str | None]) -> str | None:
        for s in self.silences:
            if matches(s["matchers"], labels):
                return str(s["id"])
        return None
