"""Simulated clocks: spans replayed in the past get past timestamps, live spans do not."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spyglass.demo import clock

pytestmark = pytest.mark.unit

DAY_AGO_S = time.time() - 86400


@pytest.fixture()
def tracer_and_spans(simulated_clocks):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_spans_inside_simulated_time_carry_simulated_timestamps(tracer_and_spans) -> None:
    tracer, exporter = tracer_and_spans
    with clock.simulated_time(DAY_AGO_S) as timeline:
        with tracer.start_as_current_span("call"):
            started = time.perf_counter()
            clock.pause(1500)  # advances the clock instead of sleeping
            measured = time.perf_counter() - started
        assert timeline.now_s() == pytest.approx(DAY_AGO_S + 1.5, abs=0.5)
    (span,) = exporter.get_finished_spans()
    assert span.start_time / 1e9 == pytest.approx(DAY_AGO_S, abs=0.5)
    assert (span.end_time - span.start_time) / 1e6 == pytest.approx(1500, abs=200)
    assert measured == pytest.approx(1.5, abs=0.2)  # perf_counter (TTFT timers) follows too


def test_real_time_outside_and_in_other_threads(tracer_and_spans) -> None:
    tracer, exporter = tracer_and_spans
    seen: list[float] = []
    with clock.simulated_time(DAY_AGO_S):
        other = threading.Thread(target=lambda: seen.append(time.time_ns() / 1e9))
        other.start()
        other.join()
    with tracer.start_as_current_span("live"):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.start_time / 1e9 == pytest.approx(time.time(), abs=5)
    assert seen[0] == pytest.approx(time.time(), abs=5)  # the other thread had no timeline


def test_pause_sleeps_in_real_time() -> None:
    assert time.perf_counter is clock._REAL_PERF_COUNTER  # no patch leaks between tests
    started = time.monotonic()
    clock.pause(50)
    assert time.monotonic() - started >= 0.045


def test_patch_datetime_gives_a_module_the_simulated_clock(simulated_clocks) -> None:
    import langchain_core.tracers.core as lc_core

    original = lc_core.datetime
    clock.patch_datetime("langchain_core.tracers.core")
    with clock.simulated_time(DAY_AGO_S):
        clock.pause(2000)
        simulated = lc_core.datetime.now(UTC)
    live = lc_core.datetime.now(UTC)
    assert simulated.timestamp() == pytest.approx(DAY_AGO_S + 2, abs=0.5)
    assert simulated.tzinfo is UTC and type(simulated) is datetime  # a plain datetime
    assert live.timestamp() == pytest.approx(time.time(), abs=5)
    clock.uninstall()
    assert lc_core.datetime is original  # restored
