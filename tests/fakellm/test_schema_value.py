from __future__ import annotations

import random

import jsonschema
import pytest

from spyglass.fakellm.schema_value import invalid_value_for_schema, value_for_schema

pytestmark = pytest.mark.unit

INVOICE = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string", "minLength": 3},
        "issued": {"type": "string", "format": "date"},
        "currency": {"type": "string", "enum": ["USD", "EUR"]},
        "total": {"type": "number", "minimum": 0},
        "paid": {"type": "boolean"},
        "vendor": {"$ref": "#/$defs/party"},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/line"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "kind": {"const": "invoice"},
        "count": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
    },
    "required": ["invoice_number", "issued", "currency", "total", "vendor", "lines", "kind"],
    "additionalProperties": False,
    "$defs": {
        "party": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}},
            "required": ["name"],
        },
        "line": {
            "type": "object",
            "properties": {
                "description": {"type": "string"},
                "qty": {"type": "integer", "minimum": 1},
                "unit_price": {"type": "number"},
            },
            "required": ["description", "qty", "unit_price"],
        },
    },
}


@pytest.mark.parametrize("seed", range(20))
def test_generated_values_validate(seed: int) -> None:
    value = value_for_schema(INVOICE, random.Random(seed))
    jsonschema.validate(value, INVOICE)


@pytest.mark.parametrize("seed", range(20))
def test_invalid_values_do_not_validate(seed: int) -> None:
    value = invalid_value_for_schema(INVOICE, random.Random(seed))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, INVOICE)


def test_scalar_and_allof_schemas() -> None:
    rng = random.Random(0)
    assert isinstance(value_for_schema({"type": "integer", "minimum": 3, "maximum": 3}, rng), int)
    merged = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"properties": {"b": {"type": "boolean"}}},
        ]
    }
    value = value_for_schema(merged, rng)
    assert set(value) == {"a", "b"}
