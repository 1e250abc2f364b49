"""Generate a JSON value that satisfies a JSON Schema (the subset structured outputs use).

Structured-output requests (OpenAI ``response_format: json_schema``, tool parameters) carry
a schema; the fake must answer with JSON that validates against it, and on demand with
JSON that does *not* (to exercise schema-validity checks downstream).

Supported: ``type`` (incl. lists), ``properties``/``required``, ``items``/``minItems``/
``maxItems``, ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf`` (first branch / merged),
``$ref`` to ``#/$defs/…`` or ``#/definitions/…``, ``minimum``/``maximum``,
``minLength``/``maxLength``, ``format`` date/date-time/email/uuid. Anything else yields a
reasonable value of the declared type.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from spyglass.fakellm.text import VOCABULARY

_MAX_DEPTH = 8


def value_for_schema(schema: dict[str, Any], rng: random.Random, root: dict[str, Any] | None = None) -> Any:
    """A value valid against ``schema``; ``root`` resolves ``$ref`` (defaults to schema)."""
    return _value(schema, rng, root if root is not None else schema, 0, "")


def invalid_value_for_schema(schema: dict[str, Any], rng: random.Random) -> Any:
    """A value that breaks ``schema`` the way models do: a required field missing, or a
    field of the wrong type. Falls back to a bare string for non-object schemas."""
    value = value_for_schema(schema, rng)
    resolved = _resolve(schema, schema)
    if isinstance(value, dict) and value:
        required = [k for k in resolved.get("required", []) if k in value]
        if required:
            del value[rng.choice(required)]
        else:
            key = rng.choice(sorted(value))
            value[key] = [] if not isinstance(value[key], list) else "not-a-list"
        return value
    return "unstructured answer"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
        ref = str(schema["$ref"])
        node: Any = root
        for part in ref.lstrip("#/").split("/") if ref.startswith("#/") else []:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node if isinstance(node, dict) else {}
        seen += 1
    return schema


def _value(schema: Any, rng: random.Random, root: dict[str, Any], depth: int, name: str) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            # prefer a non-null branch: that is what a model answering the question gives
            branches = [b for b in schema[key] if _resolve(b, root).get("type") != "null"] or schema[key]
            return _value(branches[0], rng, root, depth + 1, name)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        for branch in schema["allOf"]:
            part = _resolve(branch, root)
            merged = {**merged, **part}
            properties.update(part.get("properties", {}))
        if properties:
            merged["properties"] = properties
        return _value(merged, rng, root, depth + 1, name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        return {key: _value(sub, rng, root, depth + 1, key) for key, sub in props.items()}
    if kind == "array":
        low = int(schema.get("minItems", 1))
        high = max(low, int(schema.get("maxItems", low + 2)))
        return [
            _value(schema.get("items", {}), rng, root, depth + 1, name) for _ in range(rng.randint(low, high))
        ]
    if kind == "integer":
        low_i = int(schema.get("minimum", 0))
        high_i = int(schema.get("maximum", low_i + 100))
        return rng.randint(low_i, high_i)
    if kind == "number":
        low_f = float(schema.get("minimum", 0))
        high_f = float(schema.get("maximum", low_f + 1000))
        return round(rng.uniform(low_f, high_f), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema, rng, name)


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "date-time":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    if fmt == "email":
        return f"{rng.choice(VOCABULARY)}@example.com"
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128)))
    low = int(schema.get("minLength", 1))
    high = int(schema.get("maxLength", max(low, 40)))
    text = " ".join(rng.choice(VOCABULARY) for _ in range(3))
    if name:
        text = f"{name} {text}"
    while len(text) < low:
        text += " " + rng.choice(VOCABULARY)
    return text[:high]
