"""Query parameters shared by every query endpoint: the time range and the filter text.

``start``/``end`` accept ISO-8601 (``2026-11-23T10:00:00Z``; no zone = UTC), integer
nanoseconds since the epoch, or a time relative to now (``now``, ``-24h``, ``-15m``,
``-7d``, ``-30s``, ``-2w``). Default: the last 24 hours. A bad value is a 400 naming the
parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from spyglass.server.deps import ServicesDep
from spyglass.server.errors import ApiError

DEFAULT_RANGE_NS = 24 * 3600 * 10**9
_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)(s|m|h|d|w)$")
_UNIT_NS = {"s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}


def parse_time_ns(value: str, now_ns: int, param: str) -> int:
    """One time parameter as ns since the epoch; raises ``ApiError(400)`` naming ``param``."""
    text = value.strip()
    if text == "now":
        return now_ns
    if text.isdigit():
        return int(text)
    m = _RELATIVE.match(text)
    if m:
        return now_ns - int(float(m.group(1)) * _UNIT_NS[m.group(2)])
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ApiError(
            400,
            f"{param}: cannot read {value!r} as a time; use ISO-8601, integer nanoseconds, 'now' or -15m/-24h/-7d",
            "invalid_parameter",
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()) * 10**9 + dt.microsecond * 1000


@dataclass(frozen=True, slots=True)
class TimeRange:
    start_ns: int
    end_ns: int


def time_range(
    services: ServicesDep,
    start: Annotated[
        str | None, Query(description="ISO-8601, ns, now, or -24h/-15m/-7d (default -24h)")
    ] = None,
    end: Annotated[str | None, Query(description="ISO-8601, ns, now, or -1h … (default now)")] = None,
) -> TimeRange:
    now = services.clock()
    end_ns = parse_time_ns(end, now, "end") if end else now
    start_ns = parse_time_ns(start, now, "start") if start else end_ns - DEFAULT_RANGE_NS
    if start_ns > end_ns:
        raise ApiError(400, f"start ({start}) is after end ({end or 'now'})", "invalid_parameter")
    return TimeRange(start_ns, end_ns)


TimeRangeDep = Annotated[TimeRange, Depends(time_range)]
FilterText = Annotated[str, Query(description="filter expression, see docs/filters.md", max_length=4000)]


def iso(ns: int | None) -> str | None:
    """ISO-8601 UTC with microseconds for ns timestamps (None stays None)."""
    if ns is None:
        return None
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")
