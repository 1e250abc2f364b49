"""Our own SDK's attributes (``spyglass.*``, names in ``spyglass.model.attributes``).

Runs last: the user set these explicitly, so they win over every other convention.
"""

from __future__ import annotations

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
        a = src.attrs
        for key, field in _STR_FIELDS:
            v = a.get(key)
            if v is not None and (s := as_str(v)) is not None:
                setattr(span, field, s)
        if (kind := kind_from_name(a.get(A.SPAN_KIND))) is not None:
            span.kind = kind
        if (ttft := as_float(a.get(A.TTFT_MS))) is not None and ttft >= 0:
            span.ttft_ms = ttft
        if (v := a.get(A.TOOL_ARGUMENTS)) is not None:
            span.tool_arguments = to_json_text(v)
        if (v := a.get(A.TOOL_RESULT)) is not None:
            span.tool_result = to_json_text(v)
        if (v := json_object(a.get(A.PROMPT_VARIABLES))) is not None:
            span.prompt_variables = v
        if (v := json_object(a.get(A.OUTPUT_JSON_SCHEMA))) is not None:
            span.output_json_schema = v
        docs = json_value(a.get(A.RETRIEVAL_DOCUMENTS))
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
        tags = as_str_list(a.get(A.TAGS))
        if tags:
            span.tags = list(dict.fromkeys([*span.tags, *tags]))
        plen = len(A.METADATA_PREFIX)
        for key, value in a.items():
            if key.startswith(A.METADATA_PREFIX):
                span.metadata[key[plen:]] = value
        # The derived error class is set by the enricher; an explicit one is kept there.
