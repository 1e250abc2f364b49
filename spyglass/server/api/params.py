"""Query parameters shared by every query endpoint: the time range and the filter text.

The time grammar is ``spyglass.query.timerange`` (ISO-8601, integer ns, ``now``, ``-24h``…);
this module only checks each of ``start``/``end`` up front so a 400 names the parameter,
then hands the raw strings on to the query layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

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


@dataclass(frozen=True, slots=True)
class PageParams:
    """What every paged list endpoint takes: the filter, the time range, page size, cursor."""

    q: str | None
    time: TimeParams
    limit: int
    cursor: str | None

    def query_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the query layer's list functions (``q``, ``start``, ``end``,
        ``limit``, ``cursor``, ``now_ns``)."""
        return {
            "q": self.q,
            "start": self.time.start,
            "end": self.time.end,
            "limit": self.limit,
            "cursor": self.cursor,
            "now_ns": self.time.now_ns,
        }


def page_params(time: TimeDep, q: FilterText = None, limit: Limit = 50, cursor: Cursor = None) -> PageParams:
    return PageParams(q, time, limit, cursor)


PageDep = Annotated[PageParams, Depends(page_params)]
