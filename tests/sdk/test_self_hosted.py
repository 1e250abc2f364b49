"""Self-hosted OpenAI-compatible servers (vLLM, Ollama): the real ``openai`` SDK under our
SDK's integration, pointed at the fake provider posing as such a server (it echoes any model
name), spans through the real ingest pipeline. Provider, response model and cost must not
pretend to be OpenAI's (docs/sdk.md, "Self-hosted models")."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from spyglass.fakellm import FORCE_HEADER, Behaviour, FakeLLMServer, Scenario
from spyglass.ingest.pipeline import decode_request, enrich, normalize_request
from spyglass.model import LlmSpan
from spyglass.sdk.config import resolve_config
from spyglass.testing.capture import SpanCapture, capture_spans

pytestmark = pytest.mark.integration

VLLM_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
OLLAMA_MODEL = "llama3.1:8b"
OK = {FORCE_HEADER: "ok"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(Scenario(seed=5, defaults=Behaviour(no_sleep=True))) as fake:
        yield fake


def _ingest(cap: SpanCapture) -> list[LlmSpan]:
    body = encode_spans(cap.llm_spans()).SerializeToString()
    result = normalize_request(decode_request(body, "application/x-protobuf", None), "proj")
    assert result.rejected == 0, result.errors
    enrich(result.spans)
    return sorted(result.spans, key=lambda s: s.start_time_ns)


def _calls(server: FakeLLMServer) -> list[openai.types.chat.ChatCompletion]:
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="EMPTY", max_retries=0)
    messages = [{"role": "user", "content": "Summarise the refund policy"}]
    out = [
        client.chat.completions.create(model=model, messages=messages, extra_headers=OK)  # type: ignore[arg-type]
        for model in (VLLM_MODEL, OLLAMA_MODEL, "gpt-4o-mini")
    ]
    stream = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=messages,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=OK,
    )
    for _ in stream:
        pass
    return out


def test_undeclared_self_hosted_models_cost_unknown_and_name_the_server(server: FakeLLMServer) -> None:
    with capture_spans(capture="full") as cap:
        answers = _calls(server)
        vllm, ollama, proxied, streamed = _ingest(cap)
    assert [a.model for a in answers] == [VLLM_MODEL, OLLAMA_MODEL, "gpt-4o-mini"]
    for span, model in ((vllm, VLLM_MODEL), (ollama, OLLAMA_MODEL), (streamed, VLLM_MODEL)):
        assert span.provider == "127.0.0.1"  # the server's address, not "openai"
        assert (span.request_model, span.response_model) == (model, model)
        assert span.input_tokens and span.output_tokens
        assert span.cost_total_usd is None  # unknown, not 0 and not OpenAI's price
    # an OpenAI model at the same address reads as a proxy in front of OpenAI: priced
    assert proxied.provider == "openai"
    assert proxied.cost_total_usd is not None and proxied.cost_total_usd > 0


def test_declared_self_hosted_models_cost_zero(server: FakeLLMServer) -> None:
    with capture_spans(capture="full", self_hosted_models=["meta-llama/*", "llama3.1:*"]) as cap:
        _calls(server)
        vllm, ollama, proxied, streamed = _ingest(cap)
    for span in (vllm, ollama, streamed):
        assert span.attributes["spyglass.self_hosted"] is True
        assert (span.cost_input_usd, span.cost_output_usd, span.cost_total_usd) == (0.0, 0.0, 0.0)
        assert span.provider == "127.0.0.1" and span.input_tokens
    assert "spyglass.self_hosted" not in proxied.attributes
    assert proxied.cost_total_usd and proxied.cost_total_usd > 0


def test_self_hosted_models_from_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_SELF_HOSTED_MODELS", " llama3.1:*, Qwen/* ,")
    assert resolve_config().self_hosted_models == ("llama3.1:*", "Qwen/*")
    assert resolve_config(self_hosted_models=["mine"]).self_hosted_models == ("mine",)  # argument wins
    with pytest.raises(ValueError, match="not a string"):
        resolve_config(self_hosted_models="llama3.1:*")
