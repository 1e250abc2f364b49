"""Gemini spans from the real ``google-genai`` SDK under each real instrumentation, against
the fake provider over HTTP, through the whole ingest pipeline (decode -> normalize ->
enrich). Spans are produced in subprocesses (``gemini_capture.py``), one per
instrumentation; each also writes what the SDK itself parsed, which is the expectation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from genai_prices import Usage, calc_price

from spyglass.fakellm import Behaviour, FakeLLMServer, Scenario
from spyglass.model import LlmSpan, SpanKind
from tests.ingest.capture_runs import run_captures
from tests.ingest.gemini_capture import REQUEST_MODEL

pytestmark = pytest.mark.integration

MODES = ("gemini-openinference", "gemini-otel")
SNAPSHOT = "gemini-2.5-flash-preview-09-2025"
# the provider each convention names: OpenInference says "google"; the OTel instrumentation
# sends gen_ai.provider.name "gemini" (the pre-1.37 id), which we read as "gcp.gemini"
PROVIDER = {"gemini-openinference": "google", "gemini-otel": "gcp.gemini"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    scenario = Scenario(
        seed=11,
        defaults=Behaviour(
            no_sleep=True,
            cached_share=0.5,
            reasoning_share=0.25,
            snapshots={REQUEST_MODEL: SNAPSHOT},
            tool_call_rate=1.0,
        ),
    )
    with FakeLLMServer(scenario) as server:
        yield server


@pytest.fixture(scope="module")
def captured(
    fake: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[list[LlmSpan], list[dict[str, Any]]]]:
    out_dir = tmp_path_factory.mktemp("otlp-gemini")
    spans = run_captures("tests.ingest.gemini_capture", MODES, out_dir, fake.url)
    return {
        mode: (
            [s for s in spans[mode] if s.kind is SpanKind.LLM],
            json.loads((out_dir / f"{mode}.pb.json").read_text()),
        )
        for mode in MODES
    }


def _expected_tokens(usage: dict[str, int]) -> dict[str, int]:
    """The canonical contract from Gemini's usageMetadata: the prompt count already includes
    cached content; thoughts are counted apart from candidates and belong in output."""
    thoughts = usage.get("thoughts_token_count", 0)
    return {
        "input": usage["prompt_token_count"],
        "output": usage.get("candidates_token_count", 0) + thoughts,
        "cache_read": usage.get("cached_content_token_count", 0),
        "reasoning": thoughts,
        "total": usage["total_token_count"],
    }


@pytest.mark.parametrize("mode", MODES)
def test_every_call_gives_one_llm_span(captured: dict[str, Any], mode: str) -> None:
    spans, seen = captured[mode]
    assert len(spans) == len(seen) == 4
    for span in spans:
        assert span.provider == PROVIDER[mode]
        assert span.service_name == f"app-{mode}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("index", [0, 1, 2], ids=["plain", "stream", "function-call"])
def test_tokens_model_and_cost(captured: dict[str, Any], mode: str, index: int) -> None:
    spans, seen = captured[mode]
    span, sdk = spans[index], seen[index]
    assert sdk["model_version"] == SNAPSHOT
    assert span.response_model == SNAPSHOT
    assert span.request_model in (REQUEST_MODEL, SNAPSHOT)  # OpenInference knows only the response's
    want = _expected_tokens(sdk["usage"])
    assert want["reasoning"] > 0 and want["cache_read"] > 0  # the scenario makes both visible
    got = {
        "input": span.input_tokens,
        "output": span.output_tokens,
        "cache_read": span.cache_read_tokens,
        "reasoning": span.reasoning_tokens,
        "total": span.total_tokens,
    }
    assert got == want
    usage = Usage(
        input_tokens=want["input"], cache_read_tokens=want["cache_read"], output_tokens=want["output"]
    )
    expected = float(calc_price(usage, SNAPSHOT, provider_id="google").total_price)
    assert expected > 0
    assert span.cost_total_usd == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_content_finish_and_tool_calls(captured: dict[str, Any], mode: str) -> None:
    spans, seen = captured[mode]
    plain, stream, tool = spans[:3]
    assert plain.finish_reason == "stop" and stream.finish_reason == "stop"
    assert plain.input_messages and plain.input_messages[-1].content == "What is your refund policy?"
    assert plain.output_messages and plain.output_messages[0].content == seen[0]["text"]
    assert "".join(m.content or "" for m in stream.output_messages) == seen[1]["text"]
    assert seen[2]["calls"] == ["get_weather"]
    assert [c.name for c in tool.tool_calls] == ["get_weather"]
    assert not plain.refusal and not tool.refusal


@pytest.mark.parametrize("mode", MODES)
def test_unknown_model_has_no_cost(captured: dict[str, Any], mode: str) -> None:
    spans, seen = captured[mode]
    span = spans[3]
    assert span.response_model == "gemini-fake-unreleased" and seen[3]["model_version"] == span.response_model
    assert span.input_tokens and span.output_tokens
    assert span.cost_total_usd is None  # unknown, not free
