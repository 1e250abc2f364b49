"""Spans from the real ``openai`` SDK under each real instrumentation, through the whole
ingest pipeline (decode -> normalize -> enrich). The spans are produced in subprocesses
(``instrumented_capture.py``), one per instrumentation, so their global patches never mix."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from spyglass.model import LlmSpan, SpanKind
from tests.ingest.capture_runs import run_captures
from tests.ingest.instrumented_capture import RESPONSE_MODEL

pytestmark = pytest.mark.integration

MODES = ("openai-v2-latest", "openai-v2-default", "openllmetry", "openinference")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[LlmSpan]]:
    return run_captures("tests.ingest.instrumented_capture", MODES, tmp_path_factory.mktemp("otlp"))


def _expected_cost(input_tokens: int, output_tokens: int, cached: int = 0) -> float:
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached)
    return float(calc_price(usage, RESPONSE_MODEL, provider_id="openai").total_price)


@pytest.mark.parametrize("mode", MODES)
def test_tool_call_chat_is_normalized(captured: dict[str, list[LlmSpan]], mode: str) -> None:
    chat, _stream = captured[mode]
    assert chat.kind is SpanKind.LLM
    assert chat.provider == "openai"
    assert chat.request_model == "gpt-4o-mini"
    assert chat.response_model == RESPONSE_MODEL
    assert chat.input_tokens == 1200
    assert chat.output_tokens == 30
    assert chat.total_tokens == 1230
    assert chat.finish_reason == "tool_call"
    assert chat.service_name == f"app-{mode}"
    assert chat.settings.get("temperature") == pytest.approx(0.2)
    assert chat.settings.get("max_tokens") == 100
    # openai-v2 does not report cached tokens; the other two do, and cost must use them.
    cached = 0 if mode.startswith("openai-v2") else 1024
    assert (chat.cache_read_tokens or 0) == cached
    assert chat.cost_total_usd is not None and chat.cost_total_usd > 0
    assert chat.cost_total_usd == pytest.approx(_expected_cost(1200, 30, cached), rel=1e-9)
    if mode != "openai-v2-default":  # the default mode captures no content
        assert [m.role for m in chat.input_messages] == ["system", "user"]
        assert chat.input_messages[1].content == "Weather in Paris?"
        assert len(chat.tool_calls) == 1
        call = chat.tool_calls[0]
        assert call.id == "call_weather_1" and call.name == "get_weather"
        assert call.arguments is not None and '"Paris"' in call.arguments
    assert not chat.refusal


@pytest.mark.parametrize("mode", MODES)
def test_streamed_chat_is_normalized(captured: dict[str, list[LlmSpan]], mode: str) -> None:
    _chat, stream = captured[mode]
    assert stream.kind is SpanKind.LLM
    assert stream.response_model == RESPONSE_MODEL
    assert (stream.input_tokens, stream.output_tokens) == (50, 8)
    assert stream.cost_total_usd == pytest.approx(_expected_cost(50, 8), rel=1e-9)
    if mode != "openai-v2-default":
        assert (
            stream.output_messages
            and stream.output_messages[0].content == "Refunds are accepted within 30 days."
        )
        assert stream.finish_reason == "stop"
    if mode in ("openllmetry", "openinference"):
        # these two say it was a stream and give a first-token time (the mock waits 10 ms)
        assert stream.is_stream is True
        assert stream.ttft_ms is not None and 0 < stream.ttft_ms <= stream.duration_ms
    else:
        assert stream.ttft_ms is None


def test_openinference_keeps_raw_io_and_tools(captured: dict[str, list[LlmSpan]]) -> None:
    chat, _ = captured["openinference"]
    assert chat.input_value is not None and chat.input_value.startswith("{")
    assert chat.output_value is not None and "chatcmpl-tool-1" in chat.output_value
    tools = chat.settings["tools"]
    assert tools[0]["function"]["name"] == "get_weather"
    assert chat.attributes["llm.finish_reason"] == "tool_calls"  # raw kept as sent
