"""Structured output check: does the output match the JSON schema that was requested?

The schema comes from ``span.output_json_schema`` (``spyglass.output.json_schema``) or from an
OpenAI-style ``response_format`` ``{"type": "json_schema", "json_schema": {"schema": …}}`` in
``span.settings`` (OTel attribute or OpenInference invocation parameters). The output text
is the first assistant message, else ``output_value``. Invalid JSON -> ``schema_valid=False``.
Validators are compiled once per schema (``fastjsonschema``, cached by the schema's canonical
JSON); a schema fastjsonschema cannot compile leaves ``schema_valid`` unset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import fastjsonschema
import orjson

from spyglass.ingest.normalize.values import json_object
from spyglass.model import LlmSpan

log = logging.getLogger(__name__)


@lru_cache(maxsize=512)
def _compiled(schema_json: bytes) -> Callable[[Any], Any] | None:
    try:
        return fastjsonschema.compile(orjson.loads(schema_json))
    except Exception as exc:  # a schema that does not compile is the sender's problem, not ours
        log.info("cannot compile output JSON schema: %s", exc)
        return None


def requested_schema(span: LlmSpan) -> dict[str, Any] | None:
    if span.output_json_schema is not None:
        return span.output_json_schema
    rf = json_object(span.settings.get("response_format"))
    if rf is None or rf.get("type") != "json_schema":
        return None
    js = rf.get("json_schema")
    if isinstance(js, dict):
        schema = js.get("schema")
        if isinstance(schema, dict):
            span.output_json_schema = schema
            return schema
    return None


class SchemaEnricher:
    name = "schema"

    def matches(self, span: LlmSpan) -> bool:
        return span.output_json_schema is not None or "response_format" in span.settings

    def apply(self, span: LlmSpan) -> None:
        schema = requested_schema(span)
        if schema is None:
            return
        text = next((m.content for m in span.output_messages if m.content), None) or span.output_value
        if text is None:
            return
        validate = _compiled(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
        if validate is None:
            return
        try:
            validate(orjson.loads(text))
        except (orjson.JSONDecodeError, fastjsonschema.JsonSchemaException):
            span.schema_valid = False
        else:
            span.schema_valid = True
