"""Simulated time for the demo's back-fill.

The back-fill replays 24 hours of traffic through the *same* application code, real SDKs
and real instrumentation as live traffic; only the clock differs. Inside
``with simulated_time(start_s):`` (one per simulated request, per thread) every timestamp
the tracing stack reads comes from a :class:`Timeline` that starts at ``start_s`` and moves
forward with real elapsed time plus the simulated waits (provider latency reported by the
fake provider, tool latency, user think time) that :func:`pause` adds instead of sleeping.

What is patched, once per process by :func:`install` (and only in the demo's worker
processes): ``time.time_ns``, ``time.perf_counter`` and the ``time_ns`` that
``opentelemetry.sdk.trace`` imported, which stamps span start/end and events. Each patched
function returns real time unless the calling context has a timeline, so threads that are
not replaying history (OTel's export thread, live traffic) see the real clock.

LangChain's tracer stamps its runs (which OpenInference turns into spans, with those
times) with ``datetime.now(UTC)``; :func:`patch_datetime` gives such a module a ``datetime``
whose ``now`` reads the same per-context clock.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_REAL_TIME_NS = time.time_ns
_REAL_PERF_COUNTER = time.perf_counter
_REAL_PERF_COUNTER_NS = time.perf_counter_ns

_CURRENT: ContextVar[Timeline | None] = ContextVar("spyglass_demo_timeline", default=None)
_install_lock = threading.Lock()
_installed = False
_datetime_patched: dict[str, object] = {}  # module name -> its original ``datetime``


class Timeline:
    """One simulated request's clock: ``start_s`` plus real elapsed time plus advances."""

    __slots__ = ("_start_ns", "_anchor_ns", "_advanced_ns")

    def __init__(self, start_s: float) -> None:
        self._start_ns = int(start_s * 1e9)
        self._anchor_ns = _REAL_PERF_COUNTER_NS()
        self._advanced_ns = 0

    def now_ns(self) -> int:
        return self._start_ns + (_REAL_PERF_COUNTER_NS() - self._anchor_ns) + self._advanced_ns

    def now_s(self) -> float:
        return self.now_ns() / 1e9

    def perf_counter(self) -> float:
        return _REAL_PERF_COUNTER() + self._advanced_ns / 1e9

    def advance_ms(self, ms: float) -> None:
        if ms > 0:
            self._advanced_ns += int(ms * 1e6)


def current() -> Timeline | None:
    """The timeline of the calling context, or None when running in real time."""
    return _CURRENT.get()


def now_s() -> float:
    """Epoch seconds on the calling context's clock (simulated or real)."""
    timeline = _CURRENT.get()
    return timeline.now_s() if timeline is not None else _REAL_TIME_NS() / 1e9


def pause(ms: float) -> None:
    """Spend ``ms`` milliseconds: sleep in real time, advance the clock when simulating."""
    timeline = _CURRENT.get()
    if timeline is not None:
        timeline.advance_ms(ms)
    elif ms > 0:
        time.sleep(ms / 1000)


def pause_lognormal(rng: random.Random, p50_ms: float, p99_ms: float) -> float:
    """A long-tailed pause (lognormal through p50/p99); returns the milliseconds spent."""
    from spyglass.fakellm.scenario import LatencySpec

    ms = LatencySpec(p50_ms, p99_ms).sample(rng)
    pause(ms)
    return ms


@contextmanager
def simulated_time(start_s: float) -> Iterator[Timeline]:
    """Run the block on a simulated clock starting at ``start_s`` (requires :func:`install`)."""
    if not _installed:
        raise RuntimeError("spyglass.demo.clock.install() must run before simulated_time()")
    timeline = Timeline(start_s)
    token = _CURRENT.set(timeline)
    try:
        yield timeline
    finally:
        _CURRENT.reset(token)


def _time_ns() -> int:
    timeline = _CURRENT.get()
    return timeline.now_ns() if timeline is not None else _REAL_TIME_NS()


def _perf_counter() -> float:
    timeline = _CURRENT.get()
    return timeline.perf_counter() if timeline is not None else _REAL_PERF_COUNTER()


class _ClockDatetime(_dt.datetime):
    """``datetime`` whose ``now()`` reads the calling context's clock (simulated or real)."""

    @classmethod
    def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
        return _dt.datetime.fromtimestamp(_time_ns() / 1e9, tz)


def patch_datetime(module_name: str) -> None:
    """Make ``module_name``'s ``datetime`` (bound by ``from datetime import datetime``) follow
    the simulated clock, e.g. ``langchain_core.tracers.core``. Undone by :func:`uninstall`."""
    with _install_lock:
        if module_name in _datetime_patched:
            return
        module = importlib.import_module(module_name)
        _datetime_patched[module_name] = getattr(module, "datetime")  # noqa: B009
        setattr(module, "datetime", _ClockDatetime)  # noqa: B010


def install() -> None:
    """Patch the clocks the tracing stack reads (idempotent; see the module docstring)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import opentelemetry.sdk.trace as otel_trace

        time.time_ns = _time_ns
        time.perf_counter = _perf_counter
        otel_trace.time_ns = _time_ns  # bound by "from time import time_ns"
        _installed = True


def uninstall() -> None:
    """Restore the real clocks (tests; the demo's worker processes never need it)."""
    global _installed
    with _install_lock:
        for module_name, original in _datetime_patched.items():
            setattr(importlib.import_module(module_name), "datetime", original)  # noqa: B010
        _datetime_patched.clear()
        if not _installed:
            return
        import opentelemetry.sdk.trace as otel_trace

        time.time_ns = _REAL_TIME_NS
        time.perf_counter = _REAL_PERF_COUNTER
        otel_trace.time_ns = _REAL_TIME_NS
        _installed = False
