"""The written rule for out-of-range values: what a canonical span may hold before it is stored.

Instrumentations have bugs: token counts near 2^63, NaN costs, a model name that is a list.
Such a value must never fail the request (or its neighbours), and it must never be stored as
if it were true. The rule, applied the same way to every transport and encoding:

========================  ==========================  ====================================
field                     accepted                    otherwise
========================  ==========================  ====================================
start/end time            0 < t <= 2^63-1 ns          "missing", then repaired (pipeline doc)
token counts (input,      int, 0 <= n <= 10^12        dropped to null ("not reported")
output, cache read/write,
reasoning, total)
total_tokens              also >= what it sums        recomputed from input + output
cost (input/output/total) finite, 0 <= c <= 10^9 USD  dropped to null
ttft_ms                   finite, 0 <= t <= 10^9 ms   dropped to null
dimension strings         str, <= 1,024 chars         non-str: its text; longer: cut + marker
(model, tenant, user …)
flags (is_stream,         bool                        dropped to null (refusal: false)
schema_valid, refusal)
========================  ==========================  ====================================

Attribute values are capped while decoding (``spyglass.ingest.raw``): strings/bytes at
1 MiB, trees of arrays and key-value lists at ``raw.MAX_VALUE_DEPTH`` (32) levels. Non-finite doubles
are legal OTLP attribute values and are kept as attributes.

Every repair is named in the span's ``spyglass.ingest.repairs`` attribute (a list of short
strings: field, value as sent, what was done) and counted (``stats``), so a buggy
instrumentation shows up instead of silently skewing token and cost totals. Only a span whose
identity is unusable is rejected (see ``pipeline``). Why drop rather than clamp: a clamped
10^12-token count would still bill as real; "not reported" is honest and keeps sums exact.

The bounds keep every sum in range: 2^63 / 10^12 = 9.2 million spans of maximal tokens per
trace before an int64 rollup could overflow.
"""

from __future__ import annotations

import operator
from typing import Any

from spyglass.model import LlmSpan
from spyglass.store.arrow_batch import json_text

MAX_TOKENS = 10**12
MAX_COST_USD = 1e9
MAX_TTFT_MS = 1e9
MAX_DIMENSION_CHARS = 1024
REPAIRS_ATTRIBUTE = "spyglass.ingest.repairs"

_TOKEN_FIELDS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
    "total_tokens",
)  # fmt: skip
_FLOAT_FIELDS = (
    ("cost_input_usd", MAX_COST_USD),
    ("cost_output_usd", MAX_COST_USD),
    ("cost_total_usd", MAX_COST_USD),
    ("ttft_ms", MAX_TTFT_MS),
)
# every ``str | None`` column of the spans table except the ids (checked by decode) and
# ``status_message``/``name`` (capped by the pipeline)
DIMENSION_FIELDS = (
    "error_type", "provider", "operation", "request_model", "response_model", "response_id",
    "finish_reason", "prompt_name", "prompt_version", "session_id", "user_id", "tenant_id",
    "feature", "environment", "release", "service_name", "tool_name", "tool_call_id", "tool_status",
    "guardrail_decision", "guardrail_rule", "agent_name", "index_version", "scope_name",
)  # fmt: skip
_TEXT_FIELDS = (
    "status_message", "system_instructions", "prompt_template", "input_value", "output_value",
    "retrieval_query", "tool_arguments", "tool_result",
)  # fmt: skip
_OPTIONAL_BOOLS = ("is_stream", "schema_valid")

# Process-wide repair counters by field (the server exports them as metrics).
stats: dict[str, int] = {}


# The common case, every field fine, is proven with one attrgetter call (C) and one
# loop per kind of field; the field-by-field walk that repairs only runs when it fails.
_get_tokens = operator.attrgetter(*_TOKEN_FIELDS)
_get_floats = operator.attrgetter(*(name for name, _ in _FLOAT_FIELDS))
_get_strs = operator.attrgetter(*DIMENSION_FIELDS)
_get_texts = operator.attrgetter(*_TEXT_FIELDS)
_FLOAT_LIMIT = min(limit for _, limit in _FLOAT_FIELDS)


def _floats_fine(span: LlmSpan) -> bool:
    for v in _get_floats(span):
        if v is not None and not (v.__class__ is float and 0 <= v <= _FLOAT_LIMIT):
            return False
    return (
        span.refusal.__class__ is bool
        and (span.is_stream is None or span.is_stream.__class__ is bool)
        and (span.schema_valid is None or span.schema_valid.__class__ is bool)
    )


def _fine(span: LlmSpan) -> bool:
    for v in _get_tokens(span):
        if v is not None and not (v.__class__ is int and 0 <= v <= MAX_TOKENS):
            return False
    if not _floats_fine(span):
        return False
    for v in _get_strs(span):
        if v is not None and not (v.__class__ is str and len(v) <= MAX_DIMENSION_CHARS):
            return False
    for v in _get_texts(span):  # noqa: SIM110 - a plain loop: no generator on the hot path
        if v is not None and v.__class__ is not str:
            return False
    return True


def check_span(span: LlmSpan) -> None:
    """Apply the whole rule to a normalized ``span`` in place (before enrichment, so cost is
    never derived from a token count that is then dropped); repairs are noted and counted."""
    if _fine(span):
        return
    repairs = _check_numbers(span, _TOKEN_FIELDS, None)
    if (
        repairs is not None
        and span.total_tokens is None
        and None not in (span.input_tokens, span.output_tokens)
    ):
        span.total_tokens = (span.input_tokens or 0) + (span.output_tokens or 0)
    repairs = _check_floats(span, repairs)
    for name in DIMENSION_FIELDS:
        v = getattr(span, name)
        if v is None or (v.__class__ is str and len(v) <= MAX_DIMENSION_CHARS):
            continue
        text = v if isinstance(v, str) else _text(v)
        if len(text) > MAX_DIMENSION_CHARS:
            repairs = _note(repairs, name, f"{len(text)} chars", f"over {MAX_DIMENSION_CHARS} chars; cut")
            text = f"{text[:MAX_DIMENSION_CHARS]}…[truncated {len(text) - MAX_DIMENSION_CHARS} chars]"
        else:
            repairs = _note(repairs, name, v, "not a string; stored as its text")
        setattr(span, name, text or None)
    for name in _TEXT_FIELDS:
        v = getattr(span, name)
        if v is not None and v.__class__ is not str:
            setattr(span, name, _text(v))
            repairs = _note(repairs, name, v, "not a string; stored as its text")
    repairs = _check_flags(span, repairs)
    if repairs is not None:
        _attach(span, repairs)


def check_derived(span: LlmSpan) -> None:
    """After enrichment: the fields enrichers write (total tokens, cost, TTFT, flags)."""
    total = span.total_tokens
    if (total is None or (total.__class__ is int and 0 <= total <= MAX_TOKENS)) and _floats_fine(span):
        return
    repairs = _check_numbers(span, ("total_tokens",), None)
    repairs = _check_floats(span, repairs)
    repairs = _check_flags(span, repairs)
    if repairs is not None:
        _attach(span, repairs)


def _check_numbers(span: LlmSpan, names: tuple[str, ...], repairs: list[str] | None) -> list[str] | None:
    for name in names:
        v = getattr(span, name)
        if v is None or (v.__class__ is int and 0 <= v <= MAX_TOKENS):
            continue
        setattr(span, name, None)
        repairs = _note(repairs, name, v, f"outside 0..{MAX_TOKENS}; not reported")
    return repairs


def _check_floats(span: LlmSpan, repairs: list[str] | None) -> list[str] | None:
    for name, limit in _FLOAT_FIELDS:
        v = getattr(span, name)
        if v is None:
            continue
        cls = v.__class__
        if (cls is float or cls is int) and 0 <= v <= limit:  # NaN fails both comparisons
            if cls is int:
                setattr(span, name, float(v))
            continue
        setattr(span, name, None)
        repairs = _note(repairs, name, v, f"not a number in 0..{limit:g}; not reported")
    return repairs


def _check_flags(span: LlmSpan, repairs: list[str] | None) -> list[str] | None:
    for name in _OPTIONAL_BOOLS:
        v = getattr(span, name)
        if v is not None and v.__class__ is not bool:
            setattr(span, name, None)
            repairs = _note(repairs, name, v, "not a boolean; not reported")
    if span.refusal.__class__ is not bool:
        repairs = _note(repairs, "refusal", span.refusal, "not a boolean; false")
        span.refusal = False
    return repairs


def _attach(span: LlmSpan, repairs: list[str]) -> None:
    previous = span.attributes.get(REPAIRS_ATTRIBUTE)
    kept = [str(x) for x in previous] if isinstance(previous, list) else []
    # a new dict: the decoded attributes may be shared with another span (cached decode)
    span.attributes = {**span.attributes, REPAIRS_ATTRIBUTE: kept + repairs}


def note_repair(span: LlmSpan, name: str, value: Any, action: str) -> None:
    """Record a repair made elsewhere (e.g. the pipeline's time repairs) the same way."""
    _attach(span, _note(None, name, value, action))


def _note(repairs: list[str] | None, name: str, value: Any, action: str) -> list[str]:
    stats[name] = stats.get(name, 0) + 1
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    out = repairs if repairs is not None else []
    out.append(f"{name}={shown}: {action}")
    return out


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list | dict):
        return json_text(v)
    return str(v)


__all__ = [
    "DIMENSION_FIELDS",
    "MAX_COST_USD",
    "MAX_DIMENSION_CHARS",
    "MAX_TOKENS",
    "MAX_TTFT_MS",
    "REPAIRS_ATTRIBUTE",
    "check_derived",
    "check_span",
    "note_repair",
    "stats",
]
