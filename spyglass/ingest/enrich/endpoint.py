"""Which provider really answered a call made with the OpenAI SDK.

Apps point the ``openai`` SDK at any OpenAI-compatible server (vLLM, Ollama, LM Studio,
llama.cpp, Groq, Together, a LiteLLM proxy …), and every instrumentation of that SDK names
the provider ``openai``. When the span says where the call went (``server.address``, or the
host of OpenLLMetry's ``gen_ai.openai.api_base``) and that is not OpenAI's own API:

1. a known provider's API host names that provider (``api.groq.com`` -> ``groq`` …), which
   genai-prices then prices;
2. else, a model genai-prices lists under OpenAI (``gpt-4o-mini-2024-07-18``) keeps
   ``openai``: a gateway or proxy in front of OpenAI, billed at OpenAI's price;
3. else the host *is* the provider (``localhost``, ``vllm.internal``): a self-hosted or
   unknown server. The cost enricher (``is_unknown_endpoint``) then leaves cost ``None`` ("unknown") — a model name
   alone does not say what such a server costs — unless the app declared the model
   self-hosted (``spyglass.self_hosted`` on the span, cost 0; see docs/sdk.md).

Spans without an address keep the provider they named (OpenInference's OpenAI
instrumentation sends none). The raw attributes stay as sent.
"""

from __future__ import annotations

from spyglass.ingest.enrich.cost import endpoint_host, find_model
from spyglass.model import LlmSpan

#: Hosts of OpenAI's own API (the SDK's default base URL and its regional/data-residency hosts).
_OPENAI_SUFFIX = ".openai.com"
_OPENAI_HOSTS = frozenset({"api.openai.com", "openai.com"})

#: OpenAI-compatible APIs of providers genai-prices knows, by host (OTel provider ids).
KNOWN_HOSTS: dict[str, str] = {
    "api.groq.com": "groq",
    "api.together.xyz": "together",
    "api.together.ai": "together",
    "api.fireworks.ai": "fireworks",
    "api.deepseek.com": "deepseek",
    "openrouter.ai": "openrouter",
    "api.mistral.ai": "mistral_ai",
    "api.x.ai": "x_ai",
    "api.perplexity.ai": "perplexity",
    "api.cerebras.ai": "cerebras",
    "api.moonshot.ai": "moonshot_ai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "gcp.gemini",
}
_KNOWN_SUFFIXES = ((".openai.azure.com", "azure.ai.openai"), ("-aiplatform.googleapis.com", "gcp.vertex_ai"))


def provider_for_host(host: str) -> str:
    """The provider id for a non-OpenAI host: a known API's id, else the host itself."""
    known = KNOWN_HOSTS.get(host)
    if known is not None:
        return known
    for suffix, provider in _KNOWN_SUFFIXES:
        if host.endswith(suffix):
            return provider
    return host


def is_openai_host(host: str) -> bool:
    return host in _OPENAI_HOSTS or host.endswith(_OPENAI_SUFFIX)


class EndpointProviderEnricher:
    name = "endpoint"

    def matches(self, span: LlmSpan) -> bool:
        return span.provider == "openai" and (
            "server.address" in span.attributes or "gen_ai.openai.api_base" in span.attributes
        )

    def apply(self, span: LlmSpan) -> None:
        host = endpoint_host(span.attributes)
        if host is None or is_openai_host(host):
            return
        provider = provider_for_host(host)
        if provider == host and _openai_model(span):
            return  # rule 2: a proxy in front of OpenAI
        span.provider = provider


def _openai_model(span: LlmSpan) -> bool:
    for model in (span.response_model, span.request_model):
        if model:
            found = find_model("openai", model)
            if found is not None and found[0].id == "openai":
                return True
    return False
