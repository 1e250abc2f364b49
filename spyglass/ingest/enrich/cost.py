"""Cost in USD from token usage, priced with ``genai-prices`` (offline, bundled price data).

- Model: ``response_model`` (the dated snapshot) first, then ``request_model``.
- Provider: OTel ids mapped to genai-prices ids (``gcp.gemini`` -> ``google`` …); an unknown
  provider falls back to genai-prices' own detection from the model name.
- Tokens: ``input_tokens`` is the total *including* cache reads/writes and is passed as such
  with ``cache_read_tokens``/``cache_write_tokens`` (genai-prices bills the uncached rest at
  the input rate), so cached tokens are never billed twice. Reasoning tokens are part of
  ``output_tokens`` and are not passed separately (billed once, at the output rate).
- Historic prices: the price in force at the span's start time is used.
- Unknown model -> cost stays ``None`` (not 0); never raises. A cost the source reported
  (OpenInference ``llm.cost.*``) is kept.
- Self-hosted: a span marked ``spyglass.self_hosted`` (the app declared the model, see
  docs/sdk.md) costs 0; a span whose provider is an unknown server's address
  (enrich/endpoint.py) stays ``None`` whatever its model is called.

Speed: genai-prices' ``calc_price`` costs ~90 µs, too much for the hot path. For prices
without tiers, cost is linear in the token counts, so the per-token rates are derived once
per price record by calling genai-prices on unit usages, and each span costs a few
multiplications. Tiered prices (e.g. >200k-token context) call genai-prices every time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from genai_prices import Usage, data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, Provider, TieredPrices

from spyglass.ingest.normalize.values import as_bool
from spyglass.model import LlmSpan
from spyglass.model import attributes as A

log = logging.getLogger(__name__)

# OTel GenAI provider ids (and a few common spellings) -> genai-prices provider ids.
PROVIDER_IDS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "aws.bedrock": "aws",
    "bedrock": "aws",
    "aws": "aws",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.openai": "azure",
    "azure": "azure",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "google": "google",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "mistral": "mistral",
    "moonshot_ai": "moonshotai",
    "moonshotai": "moonshotai",
    "perplexity": "perplexity",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "x-ai": "x-ai",
    "together": "together",
    "together_ai": "together",
    "fireworks": "fireworks",
    "openrouter": "openrouter",
    "cerebras": "cerebras",
}

_PER = 1_000_000


def endpoint_host(attributes: dict[str, Any]) -> str | None:
    """The host a call went to (``server.address``, or the host of OpenLLMetry's
    ``gen_ai.openai.api_base``), lowercased, or None when the span does not say."""
    host = attributes.get("server.address")
    if not isinstance(host, str) or not host:
        base = attributes.get("gen_ai.openai.api_base")
        if not isinstance(base, str) or "//" not in base:
            return None
        try:
            host = urlsplit(base).hostname
        except ValueError:
            return None
        if not host:
            return None
    return host.strip().lower().rstrip(".")


def is_unknown_endpoint(span: LlmSpan) -> bool:
    """The provider is the address of a server no price list knows (enrich/endpoint.py
    named it so): its model names say nothing about what it costs."""
    return span.provider is not None and span.provider == endpoint_host(span.attributes)


@lru_cache(maxsize=4096)
def find_model(provider: str | None, model: str) -> tuple[Provider, ModelInfo] | None:
    """genai-prices' provider and model for an (OTel provider id, model name), or None."""
    snapshot = data_snapshot.get_snapshot()
    provider_id = PROVIDER_IDS.get(provider.lower()) if provider else None
    try:
        return snapshot.find_provider_model(model, None, provider_id, None)
    except LookupError:
        if provider_id is None:
            return None
    try:  # the model may be listed under another provider (e.g. a gateway)
        return snapshot.find_provider_model(model, None, None, None)
    except LookupError:
        return None


@dataclass(frozen=True, slots=True)
class LinearRates:
    """USD per token for each usage kind, plus any fixed per-request amount."""

    base_in: float
    base_out: float
    input: float
    cache_read: float
    cache_write: float
    output: float


_RATES: dict[int, tuple[ModelPrice, LinearRates | None]] = {}


def linear_rates(price: ModelPrice) -> LinearRates | None:
    """Per-token rates of a price record, or None when it is tiered (not linear)."""
    cached = _RATES.get(id(price))
    if cached is not None and cached[0] is price:
        return cached[1]
    rates: LinearRates | None = None
    if not any(isinstance(v, TieredPrices) for v in vars(price).values()):
        try:
            base = price.calc_price(Usage(input_tokens=0, output_tokens=0))
            b_in, b_out = float(base["input_price"]), float(base["output_price"])

            def probe(**usage: int) -> tuple[float, float]:
                r = price.calc_price(Usage(**usage))
                return (float(r["input_price"]) - b_in) / _PER, (float(r["output_price"]) - b_out) / _PER

            rates = LinearRates(
                base_in=b_in,
                base_out=b_out,
                input=probe(input_tokens=_PER, output_tokens=0)[0],
                cache_read=probe(input_tokens=_PER, cache_read_tokens=_PER, output_tokens=0)[0],
                cache_write=probe(input_tokens=_PER, cache_write_tokens=_PER, output_tokens=0)[0],
                output=probe(input_tokens=0, output_tokens=_PER)[1],
            )
        except Exception:  # a price record genai-prices cannot probe: price each span exactly
            rates = None
    _RATES[id(price)] = (price, rates)
    return rates


def price_usage(
    provider: str | None,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    when: datetime | None = None,
) -> tuple[float, float] | None:
    """(input USD, output USD) for one call, or None when the model is unknown."""
    found = find_model(provider, model)
    if found is None:
        return None
    prov, info = found
    price = info.get_prices(when or datetime.now(tz=UTC))
    rates = linear_rates(price)
    if rates is not None:
        uncached = max(0, input_tokens - cache_read_tokens - cache_write_tokens)
        cost_in = rates.base_in + uncached * rates.input + cache_read_tokens * rates.cache_read
        cost_in += cache_write_tokens * rates.cache_write
        return cost_in, rates.base_out + output_tokens * rates.output
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read_tokens:
        usage["cache_read_tokens"] = cache_read_tokens
    if cache_write_tokens:
        usage["cache_write_tokens"] = cache_write_tokens
    calc = price.calc_price(Usage(**usage))
    return float(calc["input_price"]), float(calc["output_price"])


class CostEnricher:
    name = "cost"

    def matches(self, span: LlmSpan) -> bool:
        if span.cost_total_usd is not None:
            return False
        if A.SELF_HOSTED in span.attributes:
            return True
        if span.cost_input_usd is not None or span.cost_output_usd is not None:
            return True
        return (span.input_tokens is not None or span.output_tokens is not None) and (
            span.response_model is not None or span.request_model is not None
        )

    def apply(self, span: LlmSpan) -> None:
        if as_bool(span.attributes.get(A.SELF_HOSTED)):
            # declared by the app: its own hardware, no per-token price (docs/sdk.md)
            span.cost_input_usd = span.cost_output_usd = span.cost_total_usd = 0.0
            return
        if span.cost_input_usd is not None or span.cost_output_usd is not None:
            # The source priced it (OpenInference llm.cost.*) but sent no total.
            span.cost_total_usd = (span.cost_input_usd or 0.0) + (span.cost_output_usd or 0.0)
            return
        when = datetime.fromtimestamp(span.start_time_ns / 1e9, tz=UTC) if span.start_time_ns > 0 else None
        args = (
            span.input_tokens or 0,
            span.output_tokens or 0,
            span.cache_read_tokens or 0,
            span.cache_write_tokens or 0,
            when,
        )
        if is_unknown_endpoint(span):
            return  # unknown, not guessed from another provider's price for the same name
        result = None
        for model in (span.response_model, span.request_model):
            if model:
                result = price_usage(span.provider, model, *args)
                if result is not None:
                    break
        if result is None:
            return
        cost_in, cost_out = result
        span.cost_input_usd = cost_in
        span.cost_output_usd = cost_out
        span.cost_total_usd = cost_in + cost_out
