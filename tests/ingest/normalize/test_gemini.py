"""Gemini / Vertex AI spans in the OTel GenAI convention (and the shapes Gemini
instrumentations send): provider ids of every generation, Gemini's token accounting
(thoughts counted apart from candidates), finish reasons, and cost."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from spyglass.model import SpanKind
from tests.ingest.otlp_builders import one

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("attrs", "provider"),
    [
        ({"gen_ai.provider.name": "gcp.gemini"}, "gcp.gemini"),
        ({"gen_ai.provider.name": "gcp.vertex_ai"}, "gcp.vertex_ai"),
        ({"gen_ai.provider.name": "gemini"}, "gcp.gemini"),  # the OTel google-genai instrumentation
        ({"gen_ai.system": "gemini"}, "gcp.gemini"),
        ({"gen_ai.system": "vertex_ai"}, "gcp.vertex_ai"),
        ({"gen_ai.system": "Vertex_AI"}, "gcp.vertex_ai"),
    ],
)
def test_provider_ids_of_every_generation_are_priced_by_google(attrs: dict[str, str], provider: str) -> None:
    span = one(
        {
            "attrs": {
                **attrs,
                "gen_ai.operation.name": "generate_content",
                "gen_ai.request.model": "gemini-2.5-pro",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 500,
            }
        }
    )
    assert span.kind is SpanKind.LLM and span.provider == provider
    expected = calc_price(Usage(input_tokens=1000, output_tokens=500), "gemini-2.5-pro", provider_id="google")
    assert span.cost_total_usd == pytest.approx(float(expected.total_price), rel=1e-9)


def _gemini_raw(candidates: int, thoughts: int, prompt: int = 100, cached: int = 40) -> dict[str, object]:
    """Gemini's usageMetadata passed through as-is: output = candidates only."""
    return {
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-flash",
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.usage.input_tokens": prompt,
        "gen_ai.usage.output_tokens": candidates,
        "gen_ai.usage.cache_read.input_tokens": cached,
        "gen_ai.usage.reasoning.output_tokens": thoughts,
        "gen_ai.usage.total_tokens": prompt + candidates + thoughts,
    }


@pytest.mark.parametrize(("candidates", "thoughts"), [(60, 30), (20, 300), (50, 1)])
def test_thoughts_reported_apart_from_candidates_join_the_output(candidates: int, thoughts: int) -> None:
    span = one({"attrs": _gemini_raw(candidates, thoughts)})
    assert span.output_tokens == candidates + thoughts
    assert span.reasoning_tokens == thoughts
    assert span.input_tokens == 100 and span.cache_read_tokens == 40  # the prompt count includes cache
    assert span.total_tokens == 100 + candidates + thoughts
    usage = Usage(input_tokens=100, cache_read_tokens=40, output_tokens=candidates + thoughts)
    expected = calc_price(usage, "gemini-2.5-flash", provider_id="google")
    assert span.cost_total_usd == pytest.approx(float(expected.total_price), rel=1e-9)


def test_output_that_already_includes_thoughts_is_left_alone() -> None:
    attrs = {**_gemini_raw(90, 30), "gen_ai.usage.output_tokens": 120, "gen_ai.usage.total_tokens": 220}
    span = one({"attrs": attrs})
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (100, 120, 220)


def test_no_total_and_parts_within_the_whole_changes_nothing() -> None:
    attrs = _gemini_raw(60, 30)
    del attrs["gen_ai.usage.total_tokens"]
    span = one({"attrs": attrs})
    assert (span.output_tokens, span.total_tokens) == (60, 160)  # nothing says otherwise


def test_unknown_gemini_model_costs_none_not_zero() -> None:
    attrs = {
        **_gemini_raw(60, 30),
        "gen_ai.response.model": "gemini-fake-9",
        "gen_ai.request.model": "gemini-fake-9",
    }
    span = one({"attrs": attrs})
    assert span.output_tokens == 90 and span.cost_total_usd is None


@pytest.mark.parametrize(
    ("raw", "ours"),
    [
        ("STOP", "stop"),
        ("FinishReason.STOP", "stop"),  # str() of the SDK's enum, as OpenInference streams send it
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("IMAGE_SAFETY", "content_filter"),
    ],
)
def test_gemini_finish_reasons(raw: str, ours: str) -> None:
    span = one({"attrs": {"gen_ai.provider.name": "gcp.gemini", "gen_ai.response.finish_reasons": [raw]}})
    assert span.finish_reason == ours
    assert span.refusal is (ours == "content_filter")
