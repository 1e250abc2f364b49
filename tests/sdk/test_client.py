"""init/flush/shutdown/stats: configuration, bounded queue, dead server, exit flush, fork."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import spyglass
from spyglass.sdk.config import CaptureMode, resolve_config
from spyglass.testing.server import free_port
from tests.sdk import mock_providers as mp
from tests.sdk.receiver import run_receiver

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean() -> None:
    spyglass.shutdown()
    yield
    spyglass.shutdown()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sample_rate": 1.5},
        {"capture": "everything"},
        {"endpoint": "localhost:4318"},
        {"detectors": ["credit_cards", "dna"]},
        {"instrument": "openai"},
        {"max_queue_size": 0},
        {"redact": ["not callable"]},
    ],
)
def test_programmer_errors_raise_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        spyglass.init(**kwargs)


def test_unknown_integration_name_raises_and_leaves_sdk_uninitialised() -> None:
    with pytest.raises(ValueError, match="unknown integrations"):
        spyglass.init(instrument=["openai", "cohere"])
    assert spyglass.stats().queued == 0
    spyglass.init(instrument=())  # a clean init still works afterwards


def test_bad_env_values_log_and_fall_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SPYGLASS_SAMPLE_RATE", "lots")
    monkeypatch.setenv("SPYGLASS_CAPTURE", "all")
    monkeypatch.setenv("SPYGLASS_ENDPOINT", "not-a-url")
    monkeypatch.setenv("SPYGLASS_RELEASE", "1.2.3")
    with caplog.at_level(logging.ERROR, logger="spyglass.sdk"):
        config = resolve_config()
    assert config.sample_rate == 1.0 and config.capture is CaptureMode.REDACTED
    assert config.endpoint == "http://127.0.0.1:4318" and config.release == "1.2.3"
    assert len([r for r in caplog.records if "SPYGLASS_" in r.getMessage()]) == 3


def test_init_is_idempotent() -> None:
    first = spyglass.init(endpoint="http://127.0.0.1:9", instrument=())
    second = spyglass.init(endpoint="http://127.0.0.1:10", instrument=())
    assert first is second


class _BlockingExporter(SpanExporter):
    def __init__(self) -> None:
        self.release = threading.Event()
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10)
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


def test_full_queue_drops_and_counts_instead_of_growing() -> None:
    exporter = _BlockingExporter()
    spyglass.init(exporter=exporter, max_queue_size=10, schedule_delay_ms=10, instrument=())
    for i in range(10):  # the worker takes the first batch and blocks in export
        with spyglass.span(f"s{i}"):
            pass
    time.sleep(0.2)
    started = time.perf_counter()
    for i in range(200):
        with spyglass.span(f"t{i}"):
            pass
    elapsed = time.perf_counter() - started
    stats = spyglass.stats()
    assert stats.dropped >= 190 and stats.queued <= 20
    assert elapsed < 1.0  # never waits for the exporter
    exporter.release.set()
    spyglass.flush(5)
    assert spyglass.stats().exported == exporter.count == stats.queued


def test_server_down_does_not_slow_the_app_and_shutdown_is_bounded() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    spyglass.init(endpoint=dead, export_timeout_s=1.0, schedule_delay_ms=20)
    client = mp.openai_client()
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "warm up"}])
    started = time.perf_counter()
    for _ in range(20):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    per_call = (time.perf_counter() - started) / 20
    assert per_call < 0.05
    started = time.perf_counter()
    spyglass.shutdown()
    assert time.perf_counter() - started < 5.0


def test_exports_over_otlp_http_with_api_key_and_resource() -> None:
    with run_receiver() as rx:
        spyglass.init(endpoint=rx.url, api_key="sg_test", environment="prod", release="r1", instrument=())
        with spyglass.span("hello"):
            pass
        assert spyglass.flush(5)
        stats = spyglass.stats()
    assert rx.span_names == ["hello"] and stats.exported == 1 and stats.failed == 0
    assert any(h.get("authorization") == "Bearer sg_test" for h in rx.headers)


def test_sample_rate_zero_sends_nothing() -> None:
    with run_receiver() as rx:
        spyglass.init(endpoint=rx.url, sample_rate=0.0, instrument=())
        for _ in range(5):
            with spyglass.span("x"):
                pass
        spyglass.flush(5)
        assert rx.span_names == [] and spyglass.stats().sampled_out == 5


def test_feedback_is_posted_in_the_background() -> None:
    with run_receiver() as rx:
        spyglass.init(endpoint=rx.url, api_key="sg_k", instrument=())
        with spyglass.span("answer") as s:
            started = time.perf_counter()
            assert spyglass.feedback(thumbs="up", comment="great", kind="thumbs")
            assert time.perf_counter() - started < 0.05
        assert spyglass.feedback(request_id="chatcmpl-1", score=0.2)
        assert not spyglass.feedback(trace_id=s.trace_id, thumbs="sideways")  # invalid: logged, never raised
        assert not spyglass.feedback(thumbs="up")  # no id and no current span: logged, never raised
        spyglass.flush(5)
    assert rx.feedback[0] == {
        "source": "user",
        "trace_id": s.trace_id,
        "thumbs": "up",
        "comment": "great",
        "kind": "thumbs",
    }
    assert rx.feedback[1] == {"source": "user", "request_id": "chatcmpl-1", "score": 0.2}
    assert len(rx.feedback) == 2 and spyglass.stats().feedback_sent == 2


def test_feedback_with_server_down_never_raises_or_blocks() -> None:
    spyglass.init(endpoint=f"http://127.0.0.1:{free_port()}", instrument=(), export_timeout_s=0.5)
    started = time.perf_counter()
    for _ in range(50):
        spyglass.feedback(trace_id="0" * 32, thumbs="down")
    assert time.perf_counter() - started < 0.1


def _run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_does_not_pull_server_dependencies() -> None:
    out = _run_child(
        """
        import spyglass, sys
        heavy = [m for m in ("duckdb", "fastapi", "sqlglot", "sqlalchemy", "uvicorn") if m in sys.modules]
        assert not heavy, heavy
    """,
        {},
    )
    assert out.returncode == 0, out.stderr


def test_spans_are_flushed_at_interpreter_exit() -> None:
    with run_receiver() as rx:
        out = _run_child(
            """
            import spyglass
            spyglass.init(instrument=())
            for i in range(3):
                with spyglass.span(f"last-{i}"):
                    pass
            # exits immediately: no flush() call, the atexit hook must send them
        """,
            {"SPYGLASS_ENDPOINT": rx.url},
        )
        assert out.returncode == 0, out.stderr
        assert sorted(rx.span_names) == ["last-0", "last-1", "last-2"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_exports_its_own_spans() -> None:
    with run_receiver() as rx:
        out = _run_child(
            """
            import os, spyglass
            spyglass.init(instrument=(), schedule_delay_ms=20)
            with spyglass.span("parent-before-fork"):
                pass
            pid = os.fork()
            if pid == 0:
                with spyglass.span("in-child"):
                    pass
                spyglass.flush(5)
                os._exit(0 if spyglass.stats().exported >= 1 else 3)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0, status
        """,
            {"SPYGLASS_ENDPOINT": rx.url},
        )
        assert out.returncode == 0, out.stderr
        assert "in-child" in rx.span_names and rx.span_names.count("parent-before-fork") == 1


def test_init_does_not_import_client_libraries_until_the_app_does() -> None:
    out = _run_child(
        """
        import sys, spyglass
        spyglass.init(endpoint="http://127.0.0.1:9")
        assert "anthropic" not in sys.modules and "openai" not in sys.modules
        import openai  # patched on import by the post-import hook
        from openai.resources.chat.completions.completions import Completions
        assert "_spyglass_patched" in Completions.__dict__["create"]._self_wrapper.__name__
        spyglass.shutdown()
        assert not hasattr(Completions.__dict__["create"], "_self_wrapper")
    """,
        {},
    )
    assert out.returncode == 0, out.stderr


def test_reuses_the_apps_tracer_provider_and_keeps_its_exporters() -> None:
    with run_receiver() as rx:
        out = _run_child(
            """
            from opentelemetry import trace
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
            import spyglass
            app_exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(app_exporter))
            trace.set_tracer_provider(provider)
            spyglass.init(instrument=())
            with spyglass.context(user_id="u7"):
                with trace.get_tracer("app").start_as_current_span("app-span"):
                    with spyglass.span("ours"):
                        pass
            spyglass.flush(5)
            got = {s.name: dict(s.attributes) for s in app_exporter.get_finished_spans()}
            assert set(got) == {"app-span", "ours"}, got
            assert got["app-span"]["spyglass.user_id"] == "u7"  # context stamped on the app's spans too
        """,
            {"SPYGLASS_ENDPOINT": rx.url},
        )
        assert out.returncode == 0, out.stderr
        assert sorted(rx.span_names) == ["app-span", "ours"]


def test_sampling_keeps_or_drops_whole_traces() -> None:
    with run_receiver() as rx:
        spyglass.init(endpoint=rx.url, sample_rate=0.5, instrument=())
        for i in range(40):
            with spyglass.span(f"root-{i}"), spyglass.span(f"child-{i}"):
                pass
        spyglass.flush(5)
        roots = {n.split("-")[1] for n in rx.span_names if n.startswith("root-")}
        children = {n.split("-")[1] for n in rx.span_names if n.startswith("child-")}
    assert roots == children and 5 < len(roots) < 35
