"""The written rule for out-of-range values (``spyglass.ingest.bounds``): each bad value is
repaired (and noted on the span) or, for an unusable identity only, the span is rejected —
the same way from protobuf and from JSON, and never at the cost of the good span beside it."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest

from spyglass.ingest import bounds, pipeline
from spyglass.ingest.bounds import MAX_TOKENS, REPAIRS_ATTRIBUTE
from spyglass.ingest.pipeline import decode_request, enrich, normalize_request
from spyglass.ingest.raw import MAX_VALUE_DEPTH, TOO_DEEP
from spyglass.model import LlmSpan
from spyglass.store.arrow_batch import build_tables_isolating
from tests.ingest.otlp_builders import ingest, ingest_specs, json_body, proto_body

pytestmark = pytest.mark.unit

GOOD = {
    "name": "good",
    "attrs": {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 20,
    },
}


def _chat(**attrs: Any) -> dict[str, Any]:
    return {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", **attrs}


def _both(bad: dict[str, Any], same: bool = True) -> tuple[LlmSpan, LlmSpan]:
    """The bad spec beside a good one, through protobuf and JSON (asserted equal unless the
    values cannot compare equal, e.g. NaN), and both built into the store's Arrow tables
    without a failure. Returns the protobuf result."""
    if same:
        spans = ingest_specs([bad, GOOD])
    else:
        spans = ingest(proto_body([bad, GOOD]))
        _check(ingest(json_body([bad, GOOD]), "application/json"), bad)
    return _check(spans, bad)


def _check(spans: list[LlmSpan], bad: dict[str, Any]) -> tuple[LlmSpan, LlmSpan]:
    assert [s.name for s in spans] == [bad.get("name", "span"), "good"]
    tables, failures = build_tables_isolating(spans)
    assert failures == [] and tables is not None and tables.num_rows == 2
    good = spans[1]
    assert (good.input_tokens, good.output_tokens, good.total_tokens) == (100, 20, 120)
    assert good.cost_total_usd is not None and good.cost_total_usd > 0
    assert REPAIRS_ATTRIBUTE not in good.attributes
    return spans[0], good


def _repairs(span: LlmSpan) -> list[str]:
    value = span.attributes.get(REPAIRS_ATTRIBUTE)
    assert isinstance(value, list), f"no {REPAIRS_ATTRIBUTE} on {span.name}"
    return value


def test_tokens_summing_past_int64_are_not_reported_and_cost_nothing() -> None:
    big = 2**63 - 1
    bad, _ = _both(
        {
            "name": "bad",
            "attrs": _chat(**{"gen_ai.usage.input_tokens": big, "gen_ai.usage.output_tokens": big}),
        }
    )
    assert (bad.input_tokens, bad.output_tokens, bad.total_tokens) == (None, None, None)
    assert bad.cost_total_usd is None  # never billed from a count that was dropped
    assert any(r.startswith("input_tokens=9223372036854775807") for r in _repairs(bad))
    assert bad.attributes["gen_ai.usage.input_tokens"] == big  # the raw value is kept as sent


@pytest.mark.parametrize("value", [-1, MAX_TOKENS + 1, -(2**63)])
def test_token_count_out_of_range(value: int) -> None:
    bad, _ = _both({"name": "bad", "attrs": _chat(**{"gen_ai.usage.output_tokens": value})})
    assert bad.output_tokens is None
    assert any(r.startswith("output_tokens=") for r in _repairs(bad))


def test_token_count_at_the_bound_is_kept() -> None:
    ok, _ = _both({"name": "bad", "attrs": _chat(**{"gen_ai.usage.output_tokens": MAX_TOKENS})})
    assert ok.output_tokens == MAX_TOKENS and REPAIRS_ATTRIBUTE not in ok.attributes


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.5, 1e12])
def test_non_finite_or_out_of_range_cost_and_ttft(value: float) -> None:
    bad, _ = _both(
        {"name": "bad", "attrs": {"llm.cost.total": value, "spyglass.ttft_ms": value, "llm.model_name": "x"}},
        same=False,
    )
    assert bad.cost_total_usd is None and bad.ttft_ms is None


def test_cost_reported_by_the_source_in_range_is_kept() -> None:
    ok, _ = _both({"name": "bad", "attrs": {"llm.cost.total": 0.25, "llm.model_name": "x"}})
    assert ok.cost_total_usd == 0.25


@pytest.mark.parametrize(
    ("start", "end", "expect"),
    [
        (1_763_000_000_000_000_000, 2**64 - 1, "end_time_ns"),
        (2**64 - 1, 1_763_000_000_000_000_000, "start_time_ns"),
        (2**63, 2**63, "start_time_ns"),
        (1_763_000_000_000_000_000, 1_762_000_000_000_000_000, "end_time_ns"),
    ],
)
def test_times_beyond_int64_or_reversed_are_repaired(start: int, end: int, expect: str) -> None:
    bad, _ = _both({"name": "bad", "start": start, "end": end, "attrs": {}}, same=False)
    assert 0 < bad.start_time_ns <= bad.end_time_ns < 2**63
    assert any(r.startswith(expect) for r in _repairs(bad))


def test_a_well_formed_span_has_no_repairs() -> None:
    _both({"name": "bad", "attrs": _chat(**{"gen_ai.usage.input_tokens": 1})})


def test_dimension_strings_over_the_limit_are_cut() -> None:
    bad, _ = _both({"name": "bad", "attrs": _chat(**{"gen_ai.request.model": "m" * 5000})})
    assert bad.request_model is not None and len(bad.request_model) < 1100
    assert bad.request_model.startswith("m" * 1024) and "truncated 3976 chars" in bad.request_model


def test_a_one_megabyte_attribute_is_capped_beside_a_good_span() -> None:
    big = "x" * (1024 * 1024 + 10)
    bad, _ = _both({"name": "bad", "attrs": {"huge": big}})
    assert bad.attributes["huge"].endswith("…[truncated 10 chars]")


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _depth(v: Any) -> int:
    d = 0
    while isinstance(v, list):
        v, d = v[0], d + 1
    return d


def test_deep_attribute_trees_are_cut_at_the_same_depth_on_both_encodings() -> None:
    # protobuf's own parser stops at 100 message levels, so 40 is as deep as both can carry
    bad, _ = _both({"name": "bad", "attrs": {"deep": _nested(40)}})
    cut = bad.attributes["deep"]
    assert _depth(cut) == MAX_VALUE_DEPTH
    inner = cut
    for _ in range(MAX_VALUE_DEPTH):
        inner = inner[0]
    assert inner == TOO_DEEP


def _deep_any_value_text(depth: int) -> str:
    # built as text: the test's own JSON encoder stops at 255 levels too
    return '{"arrayValue":{"values":[' * depth + '{"stringValue":"leaf"}' + "]}}" * depth


def _with_first_attribute(body: bytes, key: str, value_text: str) -> bytes:
    doc = orjson.loads(body)
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = [{"key": key, "value": "@@"}]
    return orjson.dumps(doc).replace(b'"@@"', value_text.encode())


def test_json_attribute_300_levels_deep_is_cut_and_reported() -> None:
    body = _with_first_attribute(
        json_body([{"name": "bad", "attrs": {}}, GOOD]), "deep", _deep_any_value_text(300)
    )
    decoded = decode_request(body, "application/json", None)
    result = normalize_request(decoded, "p")
    enrich(result.spans)
    assert [s.name for s in result.spans] == ["bad", "good"]
    assert _depth(result.spans[0].attributes["deep"]) == MAX_VALUE_DEPTH
    assert result.rejected == 0 and "nested deeper than 32 levels" in (result.message() or "")
    tables, failures = build_tables_isolating(result.spans)
    assert failures == [] and tables is not None and tables.num_rows == 2


def test_json_plain_value_instead_of_any_value_is_cut_too() -> None:
    body = _with_first_attribute(
        json_body([{"name": "bad", "attrs": {}}, GOOD]), "raw", "[" * 300 + "]" * 300
    )
    decoded = decode_request(body, "application/json", None)
    result = normalize_request(decoded, "p")
    assert [s.name for s in result.spans] == ["bad", "good"]
    assert _depth(result.spans[0].attributes["raw"]) == MAX_VALUE_DEPTH


def test_ids_of_odd_length_reject_only_that_span() -> None:
    bad = {"name": "bad", "trace_id": "ab" * 17, "attrs": {}}
    for body, ctype in (
        (json_body([bad, GOOD]), "application/json"),
        (proto_body([{**bad, "span_id": "cd" * 9}, GOOD]), "application/x-protobuf"),
    ):
        result = normalize_request(decode_request(body, ctype, None), "p")
        assert [s.name for s in result.spans] == ["good"]
        assert result.rejected == 1 and result.reasons == {"identity": 1}
        assert "traceId" in (result.message() or "")


def test_a_failure_of_ours_on_one_span_rejects_only_it(monkeypatch: pytest.MonkeyPatch) -> None:
    finish = pipeline._finish

    def failing(span: LlmSpan) -> None:
        if span.name == "bad":
            raise OverflowError("int too large to convert")
        finish(span)

    monkeypatch.setattr(pipeline, "_finish", failing)
    body = proto_body([{"name": "bad", "attrs": {}}, GOOD])
    result = normalize_request(decode_request(body, "application/x-protobuf", None), "p")
    assert [s.name for s in result.spans] == ["good"]
    assert result.rejected == 1 and result.reasons == {"internal": 1}
    assert "internal: cannot normalize it (OverflowError)" in (result.message() or "")


def test_repairs_are_counted_by_field() -> None:
    before = dict(bounds.stats)
    ingest_specs([{"name": "bad", "attrs": _chat(**{"gen_ai.usage.input_tokens": -5})}])
    # ingest_specs runs protobuf and JSON: counted once each
    assert bounds.stats.get("input_tokens", 0) - before.get("input_tokens", 0) == 2
