"""OpenAI-SDK calls to servers that are not OpenAI: which provider, and which price.
Each span runs through the full enricher chain (tokens, endpoint, cost …)."""

from __future__ import annotations

from typing import Any

import pytest
from genai_prices import Usage, calc_price

from spyglass.ingest.enrich import ENRICHERS
from spyglass.model import LlmSpan
from tests.ingest.enrich._spans import llm_span

pytestmark = pytest.mark.unit


def _enriched(model: str, attributes: dict[str, Any], provider: str = "openai") -> LlmSpan:
    span = llm_span(
        provider=provider,
        request_model=model,
        response_model=model,
        input_tokens=1000,
        output_tokens=200,
        attributes=attributes,
    )
    for enricher in ENRICHERS:
        if enricher.matches(span):
            enricher.apply(span)
    return span


def _price(model: str, provider_id: str) -> float:
    return float(
        calc_price(Usage(input_tokens=1000, output_tokens=200), model, provider_id=provider_id).total_price
    )


@pytest.mark.parametrize(
    ("address", "model"),
    [
        ("localhost", "meta-llama/Llama-3.1-8B-Instruct"),  # vLLM
        ("127.0.0.1", "llama3.1:8b"),  # Ollama
        ("vllm.internal", "Qwen/Qwen2.5-7B-Instruct"),
    ],
)
def test_self_hosted_server_is_the_provider_and_cost_is_unknown(address: str, model: str) -> None:
    span = _enriched(model, {"server.address": address, "server.port": 8000})
    assert span.provider == address
    assert span.response_model == model
    assert span.cost_total_usd is None and span.cost_input_usd is None  # unknown, not free


def test_unknown_address_never_borrows_another_providers_price() -> None:
    """A local server serving a model named like a hosted one (mistral-small-latest is
    Mistral's API model): the name alone does not make it Mistral's price."""
    assert _price("mistral-small-latest", "mistral") > 0
    span = _enriched("mistral-small-latest", {"server.address": "gpu-box.lan"})
    assert span.provider == "gpu-box.lan" and span.cost_total_usd is None


def test_an_openai_model_name_at_an_unknown_address_reads_as_a_proxy() -> None:
    """The rule's known limit: genai-prices lists gpt-oss-20b under OpenAI, so a server at
    an unknown address answering with that name looks like a proxy in front of OpenAI. Only
    the app's declaration (next test) tells a self-hosted gpt-oss apart."""
    span = _enriched("gpt-oss-20b", {"server.address": "10.0.3.7"})
    assert span.provider == "openai" and span.cost_total_usd and span.cost_total_usd > 0


def test_declared_self_hosted_costs_zero() -> None:
    for model, address in (("llama3.1:8b", "localhost"), ("gpt-oss-20b", "10.0.3.7")):
        span = _enriched(model, {"server.address": address, "spyglass.self_hosted": True})
        assert (span.cost_input_usd, span.cost_output_usd, span.cost_total_usd) == (0.0, 0.0, 0.0)


def test_openai_model_through_a_proxy_keeps_openai_price() -> None:
    span = _enriched("gpt-4o-mini-2024-07-18", {"server.address": "litellm.internal"})
    assert span.provider == "openai"
    assert span.cost_total_usd == pytest.approx(_price("gpt-4o-mini-2024-07-18", "openai"), rel=1e-9)


@pytest.mark.parametrize(
    ("attributes", "provider", "model", "price_id"),
    [
        ({"server.address": "api.openai.com"}, "openai", "gpt-4o", "openai"),
        ({"server.address": "eu.api.openai.com"}, "openai", "gpt-4o", "openai"),
        ({}, "openai", "gpt-4o", "openai"),  # no address: the named provider stands
        ({"server.address": "api.groq.com"}, "groq", "llama-3.1-8b-instant", "groq"),
        ({"server.address": "api.deepseek.com"}, "deepseek", "deepseek-chat", "deepseek"),
        ({"server.address": "myco.openai.azure.com"}, "azure.ai.openai", "gpt-4o", "azure"),
        (
            {"gen_ai.openai.api_base": "https://api.together.xyz/v1"},
            "together",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "together",
        ),
    ],
)
def test_known_hosts(attributes: dict[str, Any], provider: str, model: str, price_id: str) -> None:
    span = _enriched(model, attributes)
    assert span.provider == provider
    assert span.cost_total_usd is not None and span.cost_total_usd > 0
    assert span.cost_total_usd == pytest.approx(_price(model, price_id), rel=1e-9)


def test_only_openai_claims_are_rewritten() -> None:
    span = _enriched("gemini-2.5-flash", {"server.address": "127.0.0.1"}, provider="gcp.gemini")
    assert span.provider == "gcp.gemini" and span.cost_total_usd and span.cost_total_usd > 0
