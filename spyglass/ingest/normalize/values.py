"""Small, forgiving value readers shared by the normalizers.

Attributes in the wild carry numbers as strings, JSON as strings or as structured values,
and booleans as ``"true"``. Every reader here returns ``None`` for a value it cannot use
instead of raising, so one odd attribute never costs the span.
"""

from __future__ import annotations

from typing import Any

import orjson

from spyglass.model import SpanKind


def as_str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v or None
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace") or None
    if isinstance(v, (list, dict)):
        return to_json_text(v)
    return str(v)


def as_int(v: Any) -> int | None:
    if type(v) is int:
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, float):
        return int(v) if v == v and v not in (float("inf"), float("-inf")) else None
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return int(float(v))
            except (ValueError, OverflowError):  # "abc"; "inf", "nan" and "1e400"
                return None
    return None


def as_float(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        return None
    if isinstance(v, int):
        return bool(v)
    return None


def as_str_list(v: Any) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, str):
        parsed = json_value(v)
        if isinstance(parsed, list):
            v = parsed
        else:
            return [v]
    if isinstance(v, (list, tuple)):
        return [s for s in (as_str(x) for x in v) if s is not None]
    return None


def json_value(v: Any) -> Any:
    """A JSON-ish attribute as Python: strings that look like JSON are parsed, structured
    values are returned as they are, anything unparsable comes back unchanged."""
    if isinstance(v, str):
        s = v.lstrip()
        if s[:1] in ("{", "[") or s in ("null", "true", "false"):
            try:
                return orjson.loads(v)
            except orjson.JSONDecodeError:
                return v
    return v


def json_object(v: Any) -> dict[str, Any] | None:
    parsed = json_value(v)
    return parsed if isinstance(parsed, dict) else None


def to_json_text(v: Any) -> str | None:
    """Arguments/results as text: strings as they are, structures serialized."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    try:
        return orjson.dumps(v, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(v)


_FIRST_KEYS: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def has_first(attrs: dict[str, Any], prefix: str, *fields: str) -> bool:
    """Cheap test (dict lookups, no scan) that a flattened list ``{prefix}0.{field}`` exists:
    flattened lists start at index 0, so the scan in ``collect_indexed`` can be skipped."""
    keys = _FIRST_KEYS.get((prefix, fields))
    if keys is None:
        keys = _FIRST_KEYS[(prefix, fields)] = tuple(f"{prefix}0.{f}" for f in fields)
    for key in keys:  # noqa: SIM110 - a plain loop: no generator on the hot path
        if key in attrs:
            return True
    return False


def collect_indexed(attrs: dict[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    """Group flattened ``{prefix}{i}.{rest}`` keys into ``{i: {rest: value}}``, by index."""
    return collect_indexed_many(attrs, (prefix,))[0]


def collect_indexed_many(attrs: dict[str, Any], prefixes: tuple[str, ...]) -> list[dict[int, dict[str, Any]]]:
    """``collect_indexed`` for several prefixes in one pass over the attributes."""
    groups: list[dict[int, dict[str, Any]]] = [{} for _ in prefixes]
    single = len(prefixes) == 1
    for key, value in attrs.items():
        if not key.startswith(prefixes):
            continue
        gi = 0
        if not single:
            while not key.startswith(prefixes[gi]):
                gi += 1
        rest = key[len(prefixes[gi]) :]
        dot = rest.find(".")
        if dot <= 0:
            continue
        idx = rest[:dot]
        if not idx.isdigit():
            continue
        group = groups[gi]
        i = int(idx)
        entry = group.get(i)
        if entry is None:
            entry = group[i] = {}
        entry[rest[dot + 1 :]] = value
    return [dict(sorted(g.items())) if len(g) > 1 else g for g in groups]


_FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "finish_reason_stop": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_call",
    "tool_call": "tool_call",
    "tool_use": "tool_call",
    "function_call": "tool_call",
    "content_filter": "content_filter",
    "content_filtered": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "image_safety": "content_filter",
    "image_prohibited_content": "content_filter",
    "refusal": "content_filter",
    "guardrail_intervened": "content_filter",
    "error": "error",
}


def normalize_finish_reason(v: Any) -> str | None:
    """Provider finish reasons onto ours: stop, length, tool_call, content_filter, error;
    anything else is kept lowercased (the raw value stays in the attributes)."""
    s = as_str(v)
    if s is None:
        return None
    low = s.strip().lower()
    if low.startswith("finishreason."):  # a Python enum's str(), as some instrumentations send it
        low = low[13:]
    return _FINISH_REASONS.get(low, low) or None


OPERATION_KINDS: dict[str, SpanKind] = {
    "chat": SpanKind.LLM,
    "text_completion": SpanKind.LLM,
    "completion": SpanKind.LLM,
    "generate_content": SpanKind.LLM,
    "responses": SpanKind.LLM,
    "response": SpanKind.LLM,
    "embeddings": SpanKind.EMBEDDING,
    "embedding": SpanKind.EMBEDDING,
    "retrieval": SpanKind.RETRIEVAL,
    "rerank": SpanKind.RETRIEVAL,
    "execute_tool": SpanKind.TOOL,
    "create_agent": SpanKind.AGENT,
    "invoke_agent": SpanKind.AGENT,
    "plan": SpanKind.AGENT,
    "invoke_workflow": SpanKind.CHAIN,
}


def kind_from_name(v: Any) -> SpanKind | None:
    s = as_str(v)
    if s is None:
        return None
    try:
        return SpanKind(s.strip().lower())
    except ValueError:
        return None
