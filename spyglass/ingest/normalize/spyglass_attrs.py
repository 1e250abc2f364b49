"""Our own SDK's attributes (``spyglass.*``, names in ``spyglass.model.attributes``).

Runs last: the user set these explicitly, so they win over every other convention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyglass.ingest.normalize.base import SpanSource
from spyglass.ingest.normalize.values import (
    as_float,
    as_str,
    as_str_list,
    json_object,
    json_value,
    kind_from_name,
    to_json_text,
)
from spyglass.model import LlmSpan, RetrievedDocument
from spyglass.model import attributes as A

_STR_FIELDS = (
    (A.SESSION_ID, "session_id"),
    (A.USER_ID, "user_id"),
    (A.TENANT_ID, "tenant_id"),
    (A.FEATURE, "feature"),
    (A.ENVIRONMENT, "environment"),
    (A.RELEASE, "release"),
    (A.PROMPT_NAME, "prompt_name"),
    (A.PROMPT_VERSION, "prompt_version"),
    (A.PROMPT_TEMPLATE, "prompt_template"),
    (A.RETRIEVAL_QUERY, "retrieval_query"),
    (A.RETRIEVAL_INDEX_VERSION, "index_version"),
    (A.TOOL_NAME, "tool_name"),
    (A.TOOL_CALL_ID, "tool_call_id"),
    (A.TOOL_STATUS, "tool_status"),
    (A.GUARDRAIL_DECISION, "guardrail_decision"),
    (A.GUARDRAIL_RULE, "guardrail_rule"),
    (A.INPUT, "input_value"),
    (A.OUTPUT, "output_value"),
    (A.AGENT_NAME, "agent_name"),
)


class SpyglassNormalizer:
    name = "spyglass"

    def matches(self, src: SpanSource) -> bool:
        return "spyglass" in src.namespaces

    def apply(self, src: SpanSource, span: LlmSpan) -> None:
        # One pass over the attributes (most are not ours) instead of a lookup per name.
        plen = len(A.METADATA_PREFIX)
        for key, v in src.attrs.items():
            if not key.startswith(_PREFIX) or v is None:
                continue
            field = _STR_FIELD_BY_KEY.get(key)
            if field is not None:
                if (s := as_str(v)) is not None:
                    setattr(span, field, s)
            elif key.startswith(A.METADATA_PREFIX):
                span.metadata[key[plen:]] = v
            else:
                handler = _SPECIAL.get(key)
                if handler is not None:
                    handler(span, v)


def _kind(span: LlmSpan, v: Any) -> None:
    if (kind := kind_from_name(v)) is not None:
        span.kind = kind


def _ttft(span: LlmSpan, v: Any) -> None:
    if (ttft := as_float(v)) is not None and ttft >= 0:
        span.ttft_ms = ttft


def _tool_arguments(span: LlmSpan, v: Any) -> None:
    span.tool_arguments = to_json_text(v)


def _tool_result(span: LlmSpan, v: Any) -> None:
    span.tool_result = to_json_text(v)


def _prompt_variables(span: LlmSpan, v: Any) -> None:
    if (obj := json_object(v)) is not None:
        span.prompt_variables = obj


def _output_schema(span: LlmSpan, v: Any) -> None:
    if (obj := json_object(v)) is not None:
        span.output_json_schema = obj


def _documents(span: LlmSpan, v: Any) -> None:
    docs = json_value(v)
    if isinstance(docs, list):
        span.retrieval_documents = [
            RetrievedDocument(
                id=as_str(d.get("id")),
                content=as_str(d.get("content")),
                score=as_float(d.get("score")),
                metadata=d.get("metadata") if isinstance(d.get("metadata"), dict) else None,
            )
            for d in docs
            if isinstance(d, dict)
        ]


def _tags(span: LlmSpan, v: Any) -> None:
    tags = as_str_list(v)
    if tags:
        span.tags = list(dict.fromkeys([*span.tags, *tags]))


_PREFIX = "spyglass."
_STR_FIELD_BY_KEY = dict(_STR_FIELDS)
# spyglass.error.class is read by the error-class enricher (an explicit class wins there).
_SPECIAL: dict[str, Callable[[LlmSpan, Any], None]] = {
    A.SPAN_KIND: _kind,
    A.TTFT_MS: _ttft,
    A.TOOL_ARGUMENTS: _tool_arguments,
    A.TOOL_RESULT: _tool_result,
    A.PROMPT_VARIABLES: _prompt_variables,
    A.OUTPUT_JSON_SCHEMA: _output_schema,
    A.RETRIEVAL_DOCUMENTS: _documents,
    A.TAGS: _tags,
}
