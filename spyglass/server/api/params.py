"""Query parameters shared by every query endpoint: the time range and the filter text.

The time grammar is ``spyglass.query.timerange`` (ISO-8601, integer ns, ``now``, ``-24h``…);
this module only checks each of ``start``/``end`` up front so a 400 names the parameter,
then hands the raw strings on to the query layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from spyglass.query.timerange import TimeRangeError, parse_time
from spyglass.server.deps import ServicesDep
from spyglass.server.errors import ApiError


def parse_time_ns(value: str, now_ns: int, param: str) -> int:
    """One time parameter as ns since the epoch; raises ``ApiError(400)`` naming ``param``."""
    try:
        parsed = parse_time(value, now_ns)
    except TimeRangeError as exc:
        raise ApiError(400, f"{param}: {exc}", "invalid_parameter") from None
    assert parsed is not None
    return parsed


@dataclass(frozen=True, slots=True)
class TimeParams:
    """The raw ``start``/``end`` (already checked) and the ``now`` they are relative to."""

    start: str | None
    end: str | None
    now_ns: int


def time_params(
    services: ServicesDep,
    start: Annotated[
        str | None, Query(description="ISO-8601, ns, now, or -24h/-15m/-7d (default -24h)")
    ] = None,
    end: Annotated[str | None, Query(description="ISO-8601, ns, now, or -1h … (default now)")] = None,
) -> TimeParams:
    now = services.clock()
    start_ns = parse_time_ns(start, now, "start") if start else None
    end_ns = parse_time_ns(end, now, "end") if end else now
    if start_ns is not None and start_ns >= end_ns:
        raise ApiError(400, f"start ({start}) must be before end ({end or 'now'})", "invalid_parameter")
    return TimeParams(start or None, end or None, now)


TimeDep = Annotated[TimeParams, Depends(time_params)]
FilterText = Annotated[
    str | None, Query(description="filter expression, see docs/filters.md", max_length=4000)
]
Limit = Annotated[int, Query(ge=1, le=500, description="page size, 1–500")]
Cursor = Annotated[str | None, Query(description="opaque, from next_cursor", max_length=2000)]
