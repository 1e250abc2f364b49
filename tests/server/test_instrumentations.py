"""Spans of the real ``openai`` SDK under each of the three OpenAI instrumentations, sent by
the real OTLP/HTTP exporter, arrive in canonical form (model, snapshot, tokens, cost,
messages, finish reason). ``openai-v2-events`` sends the messages as OTLP log events, which
the server joins to their span."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from spyglass.fakellm import FakeLLMServer
from spyglass.testing.server import RunningServer, run_server
from tests.server.otlp_helpers import wait_for_trace

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(tmp_path_factory.mktemp("instrumentations"), grpc=False) as srv:
        yield srv


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.mark.parametrize("instrumentation", ["openai-v2", "openai-v2-events", "openllmetry", "openinference"])
def test_instrumented_openai_call_arrives_canonical(
    server: RunningServer, fake_llm: FakeLLMServer, instrumentation: str
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.server.instrumented_app",
            instrumentation,
            server.url,
            server.api_key,
            fake_llm.openai_base_url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    trace_id = proc.stdout.strip().splitlines()[-1]
    trace = wait_for_trace(server.url, server.api_key, trace_id, spans=2)
    llm = [s for s in trace["spans"] if s["kind"] == "llm"]
    assert len(llm) == 1, [(s["name"], s["kind"]) for s in trace["spans"]]
    span = llm[0]
    assert span["request_model"] == "gpt-4o-mini"
    assert span["response_model"] and span["response_model"].startswith("gpt-4o-mini")
    assert span["input_tokens"] and span["input_tokens"] > 0
    assert span["output_tokens"] and span["output_tokens"] > 0
    assert span["cost_total_usd"] and span["cost_total_usd"] > 0
    assert span["input_messages"][-1]["role"] == "user"
    assert span["input_messages"][-1]["content"] == "What is your refund policy?"
    assert span["output_messages"] and span["output_messages"][0]["content"]
    assert span["finish_reason"] == "stop"
    assert span["depth"] == 1
