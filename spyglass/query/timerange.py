"""Time range parameters: ISO-8601, integer nanoseconds, or relative to now (``-24h``, ``now``)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_RANGE_NS = 24 * 3600 * 10**9
_UNITS_NS = {"s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}
_RELATIVE = re.compile(r"^-(\d+)([smhdw])$")


class TimeRangeError(ValueError):
    """A start/end value that cannot be read (the server answers 400)."""


def parse_time(value: str | int | None, now_ns: int) -> int | None:
    """Nanoseconds for one ``start``/``end`` value; None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    v = value.strip()
    if v == "now":
        return now_ns
    m = _RELATIVE.match(v)
    if m:
        return now_ns - int(m.group(1)) * _UNITS_NS[m.group(2)]
    if v.isdigit():
        return int(v)
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise TimeRangeError(f"cannot read time '{value}': use ISO-8601, nanoseconds, -24h or now") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 10**9 + dt.microsecond * 1000


@dataclass(frozen=True)
class TimeRange:
    """Half-open ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int

    @classmethod
    def resolve(
        cls, start: str | int | None = None, end: str | int | None = None, now_ns: int | None = None
    ) -> TimeRange:
        """Default: the last 24 hours up to now."""
        now = time.time_ns() if now_ns is None else now_ns
        end_ns = parse_time(end, now)
        end_ns = now if end_ns is None else end_ns
        start_ns = parse_time(start, now)
        start_ns = end_ns - DEFAULT_RANGE_NS if start_ns is None else start_ns
        if start_ns >= end_ns:
            raise TimeRangeError("start must be before end")
        return cls(start_ns, end_ns)


def iso(ns: int | None) -> str | None:
    """ISO-8601 UTC with microseconds, e.g. 2026-11-23T10:00:00.123456Z."""
    if ns is None:
        return None
    dt = datetime.fromtimestamp(ns // 10**9, tz=UTC).replace(microsecond=(ns % 10**9) // 1000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
