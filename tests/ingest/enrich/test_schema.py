"""Structured-output validation with fastjsonschema."""

from __future__ import annotations

import json

import pytest

from spyglass.ingest.enrich.schema import SchemaEnricher
from spyglass.model import Message
from tests.ingest.enrich._spans import llm_span

pytestmark = pytest.mark.unit

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "number", "$ref": "#/$defs/unit"}},
    "required": ["answer"],
    "$defs": {"unit": {"minimum": 0, "maximum": 1}},
    "additionalProperties": False,
}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "a", "strict": True, "schema": SCHEMA}}


def _valid(**fields):  # type: ignore[no-untyped-def]
    span = llm_span(**fields)
    enricher = SchemaEnricher()
    if enricher.matches(span):
        enricher.apply(span)
    return span.schema_valid


def _out(text: str) -> list[Message]:
    return [Message(role="assistant", content=text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"answer": "yes", "score": 0.5}', True),
        ('{"answer": "yes", "score": 2}', False),  # $ref'd bound
        ('{"score": 0.5}', False),
        ('{"answer": "yes", "extra": 1}', False),
        ("not json at all", False),
        ('{"answer": "yes"', False),
    ],
)
def test_response_format_in_settings(text: str, expected: bool) -> None:
    assert _valid(settings={"response_format": RESPONSE_FORMAT}, output_messages=_out(text)) is expected


def test_response_format_as_json_string_and_explicit_schema() -> None:
    assert (
        _valid(
            settings={"response_format": json.dumps(RESPONSE_FORMAT)}, output_messages=_out('{"answer": "a"}')
        )
        is True
    )
    assert _valid(output_json_schema=SCHEMA, output_value='{"answer": 1}') is False


def test_no_schema_requested_leaves_unset() -> None:
    assert _valid(settings={"response_format": {"type": "json_object"}}, output_messages=_out("{}")) is None
    assert _valid(output_messages=_out("{}")) is None


def test_uncompilable_schema_leaves_unset() -> None:
    assert _valid(output_json_schema={"type": 12}, output_value="{}") is None


def test_schema_through_the_pipeline() -> None:
    from spyglass.model import attributes as A
    from tests.ingest.otlp_builders import one

    span = one(
        {
            "attrs": {
                "openinference.span.kind": "LLM",
                "llm.invocation_parameters": json.dumps(
                    {"model": "gpt-4o", "response_format": RESPONSE_FORMAT}
                ),
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": '{"answer": "ok", "score": 0.1}',
            }
        }
    )
    assert span.schema_valid is True and span.output_json_schema == SCHEMA
    span = one({"attrs": {A.OUTPUT_JSON_SCHEMA: json.dumps(SCHEMA), A.OUTPUT: '{"nope": 1}'}})
    assert span.schema_valid is False
