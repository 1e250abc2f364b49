"""Turning app values into bounded attribute text (JSON where possible)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

TRUNCATION_MARK = "…[truncated]"


def _default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)  # pydantic v2 (openai/anthropic response objects)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except TypeError:
            return dump()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    return repr(obj)


def to_jsonable(value: Any) -> Any:
    """A JSON-compatible rendering of ``value`` (unknown objects become their repr)."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def to_text(value: Any, limit: int) -> str:
    """``value`` as text: strings as they are, anything else as compact JSON; cut at ``limit``."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = _COMPACT.encode(value)
        except (TypeError, ValueError):
            text = repr(value)
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(TRUNCATION_MARK))] + TRUNCATION_MARK


# One encoder for every call: ``json.dumps`` with options builds a new JSONEncoder each time.
# JSONEncoder.encode keeps no state between calls, so sharing it across threads is safe.
_COMPACT = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Compact JSON for structured attributes (messages, documents, schemas)."""
    return _COMPACT.encode(value)
