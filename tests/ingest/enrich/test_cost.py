"""Cost via genai-prices: cached tokens billed once at the cache rate, reasoning billed once,
provider id mapping, snapshot first, unknown model -> None, source-reported cost kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price

from spyglass.ingest.enrich.cost import CostEnricher, price_usage
from tests.ingest.enrich._spans import T0, llm_span

pytestmark = pytest.mark.unit
WHEN = datetime.fromtimestamp(T0 / 1e9, tz=UTC)


def _enriched(**fields):  # type: ignore[no-untyped-def]
    span = llm_span(**fields)
    enricher = CostEnricher()
    if enricher.matches(span):
        enricher.apply(span)
    return span


def test_gpt4o_cached_input_is_not_counted_twice() -> None:
    span = _enriched(
        provider="openai",
        request_model="gpt-4o",
        input_tokens=10_000,
        cache_read_tokens=2_000,
        output_tokens=0,
    )
    # 8k fresh at $2.50/M + 2k cached at $1.25/M = $0.0225
    assert span.cost_input_usd == pytest.approx(0.0225)
    assert span.cost_output_usd == 0
    assert span.cost_total_usd == pytest.approx(0.0225)


def test_reasoning_tokens_are_billed_once_as_output() -> None:
    with_reasoning = _enriched(
        provider="openai", request_model="o3-mini", input_tokens=100, output_tokens=1000, reasoning_tokens=800
    )
    without = _enriched(provider="openai", request_model="o3-mini", input_tokens=100, output_tokens=1000)
    assert with_reasoning.cost_output_usd == without.cost_output_usd
    expected = float(
        calc_price(Usage(input_tokens=100, output_tokens=1000), "o3-mini", provider_id="openai").output_price
    )
    assert with_reasoning.cost_output_usd == pytest.approx(expected)


def test_response_snapshot_is_used_first() -> None:
    span = _enriched(
        provider="openai",
        request_model="no-such-model",
        response_model="gpt-4o-mini-2024-07-18",
        input_tokens=1000,
        output_tokens=100,
    )
    expected = calc_price(Usage(input_tokens=1000, output_tokens=100), "gpt-4o-mini", provider_id="openai")
    assert span.cost_total_usd == pytest.approx(float(expected.total_price))


def test_falls_back_to_request_model() -> None:
    span = _enriched(
        provider="openai",
        request_model="gpt-4o-mini",
        response_model="my-finetune-xyz",
        input_tokens=1000,
        output_tokens=0,
    )
    assert span.cost_total_usd is not None and span.cost_total_usd > 0


def test_unknown_model_leaves_cost_none() -> None:
    span = _enriched(
        provider="openai", request_model="totally-made-up-model", input_tokens=10, output_tokens=10
    )
    assert (span.cost_input_usd, span.cost_output_usd, span.cost_total_usd) == (None, None, None)
    span = _enriched(
        provider="weird.provider", request_model="also-made-up", input_tokens=10, output_tokens=10
    )
    assert span.cost_total_usd is None


def test_no_usage_no_cost() -> None:
    assert _enriched(provider="openai", request_model="gpt-4o").cost_total_usd is None


@pytest.mark.parametrize(
    ("otel_provider", "model", "prices_provider"),
    [
        ("gcp.gemini", "gemini-2.0-flash", "google"),
        ("gcp.vertex_ai", "gemini-2.0-flash", "google"),
        ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "aws"),
        ("azure.ai.openai", "gpt-4o", "azure"),
        ("x_ai", "grok-3", "x-ai"),
        ("mistral_ai", "mistral-large-latest", "mistral"),
        ("anthropic", "claude-3-5-sonnet-20241022", "anthropic"),
    ],
)
def test_provider_ids_are_mapped(otel_provider: str, model: str, prices_provider: str) -> None:
    usage = Usage(input_tokens=1000, output_tokens=500)
    expected = float(
        calc_price(usage, model, provider_id=prices_provider, genai_request_timestamp=WHEN).total_price
    )
    span = _enriched(provider=otel_provider, request_model=model, input_tokens=1000, output_tokens=500)
    assert span.cost_total_usd == pytest.approx(expected)


@pytest.mark.parametrize(
    ("provider", "model", "inp", "cr", "cw", "out"),
    [
        ("anthropic", "claude-3-5-sonnet-20241022", 5000, 2000, 1000, 300),  # cache writes cost more
        ("openai", "gpt-4o-2024-08-06", 10_000, 4_000, 0, 700),
        ("gcp.gemini", "gemini-2.5-pro", 250_000, 0, 0, 1000),  # tiered: above 200k the rate changes
        ("gcp.gemini", "gemini-2.5-pro", 1000, 0, 0, 1000),
        ("deepseek", "deepseek-chat", 3000, 1000, 0, 200),
    ],
)
def test_fast_path_matches_genai_prices_exactly(
    provider: str, model: str, inp: int, cr: int, cw: int, out: int
) -> None:
    from spyglass.ingest.enrich.cost import PROVIDER_IDS

    usage = Usage(input_tokens=inp, cache_read_tokens=cr, cache_write_tokens=cw, output_tokens=out)
    expected = calc_price(usage, model, provider_id=PROVIDER_IDS[provider], genai_request_timestamp=WHEN)
    got = price_usage(provider, model, inp, out, cr, cw, WHEN)
    assert got is not None
    assert got[0] == pytest.approx(float(expected.input_price), rel=1e-9)
    assert got[1] == pytest.approx(float(expected.output_price), rel=1e-9)


def test_source_reported_cost_is_kept() -> None:
    span = _enriched(
        provider="openai",
        request_model="gpt-4o",
        input_tokens=1000,
        output_tokens=10,
        cost_input_usd=1.0,
        cost_output_usd=0.5,
    )
    assert (span.cost_input_usd, span.cost_output_usd, span.cost_total_usd) == (1.0, 0.5, 1.5)
    span = _enriched(provider="openai", request_model="gpt-4o", input_tokens=1000, cost_total_usd=9.0)
    assert span.cost_total_usd == 9.0 and span.cost_input_usd is None
