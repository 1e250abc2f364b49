"""The real openai/anthropic SDKs -> the fake provider over HTTP, Spyglass SDK -> a real
``spyglass serve`` subprocess; assertions read what the server stored via its REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import spyglass
from spyglass.fakellm import FORCE_HEADER, Behaviour, FakeLLMServer, Scenario
from spyglass.testing.server import RunningServer, run_server
from tests.fakellm.scenarios import fast_scenario
from tests.sdk.server_sdk import fetch_trace, sdk_exporting_to

pytestmark = pytest.mark.integration

SNAPSHOT = "gpt-4o-mini-2024-07-18"
CARD = "4111 1111 1111 1111"
OPENAI_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(tmp_path_factory.mktemp("sdk-server") / "data", grpc=False) as running:
        yield running


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    scenario = fast_scenario(
        3, timeout_hang_s=3.0, snapshots={"gpt-4o-mini": SNAPSHOT, "claude-*": "claude-fake-20260101"}
    )
    with FakeLLMServer(scenario) as running:
        yield running


@pytest.fixture
def sdk(server: RunningServer) -> Iterator[None]:
    with sdk_exporting_to(server, "r42"):
        yield


def llm_spans(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in trace["spans"] if s["kind"] == "llm"]


def test_openai_calls_stored_with_snapshot_tokens_cost_ttft_and_context(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)
    ok = {FORCE_HEADER: "ok"}
    with (
        spyglass.context(
            session_id="sess-1",
            user_id="user-1",
            tenant_id="acme",
            feature="support",
            prompt_name="answer",
            prompt_version="v3",
        ),
        spyglass.span("handle", kind="workflow"),
    ):
        trace_id = spyglass.current_trace_id()
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Where is order A1?"}],
            extra_headers=ok,
        )
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=ok,
        )
        for _ in stream:
            pass
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Look up order A1"}],
            tools=TOOLS,
            tool_choice="required",
            extra_headers=ok,
        )
    assert trace_id
    trace = fetch_trace(server, trace_id, min_spans=4)
    spans = sorted(llm_spans(trace), key=lambda s: s["start_time_ns"])
    assert len(spans) == 3
    plain, streamed, tools = spans
    for s in spans:
        assert s["request_model"] == "gpt-4o-mini" and s["response_model"] == SNAPSHOT
        assert s["provider"] == "openai"
        assert s["input_tokens"] > 0 and s["cache_read_tokens"] == s["input_tokens"] // 2
        assert s["cost_total_usd"] and s["cost_total_usd"] > 0
        assert (s["session_id"], s["user_id"], s["tenant_id"], s["feature"]) == (
            "sess-1",
            "user-1",
            "acme",
            "support",
        )
        assert (s["prompt_name"], s["prompt_version"]) == ("answer", "v3")
        assert (s["environment"], s["release"]) == ("test", "r42")
    assert streamed["is_stream"] is True
    assert streamed["ttft_ms"] is not None and 0 < streamed["ttft_ms"] < streamed["duration_ms"]
    assert plain["finish_reason"] == "stop"
    assert tools["finish_reason"] == "tool_call" and tools["tool_calls"][0]["name"] == "lookup_order"


@pytest.mark.parametrize(
    ("force", "exc_type", "error_class"),
    [
        ("rate_limit", openai.RateLimitError, "rate_limit"),
        ("server_error", openai.InternalServerError, "provider_5xx"),
    ],
)
def test_injected_errors_are_classed(
    server: RunningServer, fake: FakeLLMServer, sdk: None, force: str, exc_type: type, error_class: str
) -> None:
    _assert_error_stored(server, fake, force, exc_type, error_class)


def test_client_timeout_is_classed(server: RunningServer, sdk: None) -> None:
    # A provider that really hangs (no_sleep off) past the client's 0.5 s timeout.
    with FakeLLMServer(Scenario(seed=1, defaults=Behaviour(timeout_hang_s=2.0))) as hanging:
        _assert_error_stored(server, hanging, "timeout", openai.APITimeoutError, "timeout")


def _assert_error_stored(
    server: RunningServer, fake: FakeLLMServer, force: str, exc_type: type, error_class: str
) -> None:
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0, timeout=0.5)
    with spyglass.span("req"):
        trace_id = spyglass.current_trace_id()
        with pytest.raises(exc_type):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "x"}],
                extra_headers={FORCE_HEADER: force},
            )
    assert trace_id
    span = llm_spans(fetch_trace(server, trace_id, min_spans=2))[0]
    assert span["status"] == "error" and span["error_class"] == error_class


def test_anthropic_stream_helper_and_cache_tokens(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0)
    with spyglass.span("req"):
        trace_id = spyglass.current_trace_id()
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=200,
            messages=[{"role": "user", "content": "Hello"}],
            extra_headers={FORCE_HEADER: "ok"},
        )
        with client.messages.stream(
            model="claude-sonnet-4-5",
            max_tokens=200,
            messages=[{"role": "user", "content": "Hi"}],
            extra_headers={FORCE_HEADER: "ok"},
        ) as stream:
            text = "".join(stream.text_stream)
    assert text and trace_id
    spans = sorted(llm_spans(fetch_trace(server, trace_id, min_spans=3)), key=lambda s: s["start_time_ns"])
    assert len(spans) == 2  # the anthropic SDK's own span is not exported as a duplicate
    for s in spans:
        assert s["provider"] == "anthropic" and s["response_model"] == "claude-fake-20260101"
        assert s["cache_read_tokens"] and s["cache_write_tokens"]
        assert s["input_tokens"] >= s["cache_read_tokens"] + s["cache_write_tokens"]
    assert spans[1]["ttft_ms"] is not None and 0 < spans[1]["ttft_ms"] < spans[1]["duration_ms"]


def test_redaction_happens_before_the_server(server: RunningServer, fake: FakeLLMServer, sdk: None) -> None:
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)
    with spyglass.span("req"):
        trace_id = spyglass.current_trace_id()
        client.chat.completions.create(
            model="gpt-4o-mini",
            extra_headers={FORCE_HEADER: "ok"},
            messages=[
                {"role": "user", "content": f"card {CARD} key {OPENAI_KEY} db postgres://u:pw12345@db/x"}
            ],
        )
    assert trace_id
    stored = json.dumps(fetch_trace(server, trace_id, min_spans=2))
    assert "1111 1111" not in stored and OPENAI_KEY not in stored and "pw12345" not in stored
    assert "[REDACTED:credit_card]" in stored


def test_child_process_exit_flushes_every_span(
    server: RunningServer, fake: FakeLLMServer, tmp_path: Path
) -> None:
    code = textwrap.dedent(f"""
        import openai, spyglass
        spyglass.init()
        client = openai.OpenAI(base_url={fake.openai_base_url!r}, api_key="sk-test", max_retries=0)
        with spyglass.span("batch-job"):
            print(spyglass.current_trace_id(), flush=True)
            for i in range(5):
                client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": f"q{{i}}"}}],
                                               extra_headers={{"{FORCE_HEADER}": "ok"}})
        # exit right after the last call: no flush(), no shutdown()
    """)
    env = {**os.environ, "SPYGLASS_ENDPOINT": server.url, "SPYGLASS_API_KEY": server.api_key}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    trace_id = out.stdout.strip().splitlines()[0]
    trace = fetch_trace(server, trace_id, min_spans=6)
    assert len(trace["spans"]) == 6 and len(llm_spans(trace)) == 5
