"""Our own spyglass.* attributes, and their priority over the other conventions."""

from __future__ import annotations

import json

import pytest

from spyglass.model import SpanKind
from spyglass.model import attributes as A
from tests.ingest.otlp_builders import one

pytestmark = pytest.mark.unit


def test_all_own_attributes() -> None:
    span = one(
        {
            "attrs": {
                A.SESSION_ID: "s",
                A.USER_ID: "u",
                A.TENANT_ID: "t",
                A.FEATURE: "f",
                A.ENVIRONMENT: "prod",
                A.RELEASE: "r1",
                A.PROMPT_NAME: "p",
                A.PROMPT_VERSION: "3",
                A.PROMPT_TEMPLATE: "Hello {x}",
                A.PROMPT_VARIABLES: '{"x": 1}',
                A.SPAN_KIND: "guardrail",
                A.TTFT_MS: 123.5,
                A.GUARDRAIL_DECISION: "block",
                A.GUARDRAIL_RULE: "pii",
                A.METADATA_PREFIX + "ab": "B",
                A.TAGS: ["x", "y"],
                A.INPUT: "in",
                A.OUTPUT: "out",
                A.AGENT_NAME: "ag",
            }
        }
    )
    assert (span.session_id, span.user_id, span.tenant_id, span.feature) == ("s", "u", "t", "f")
    assert (span.environment, span.release) == ("prod", "r1")
    assert (span.prompt_name, span.prompt_version, span.prompt_template) == ("p", "3", "Hello {x}")
    assert span.prompt_variables == {"x": 1}
    assert span.kind is SpanKind.GUARDRAIL and span.ttft_ms == 123.5
    assert (span.guardrail_decision, span.guardrail_rule) == ("block", "pii")
    assert span.metadata == {"ab": "B"} and span.tags == ["x", "y"]
    assert (span.input_value, span.output_value, span.agent_name) == ("in", "out", "ag")


def test_retrieval_and_tool() -> None:
    retr = one(
        {
            "attrs": {
                A.SPAN_KIND: "retrieval",
                A.RETRIEVAL_QUERY: "q",
                A.RETRIEVAL_DOCUMENTS: json.dumps(
                    [{"id": "1", "content": "c", "score": 0.5, "metadata": {"k": 1}}]
                ),
                A.RETRIEVAL_INDEX_VERSION: "idx-7",
            }
        }
    )
    assert retr.kind is SpanKind.RETRIEVAL and retr.index_version == "idx-7"
    assert (retr.retrieval_documents[0].id, retr.retrieval_documents[0].metadata) == ("1", {"k": 1})
    tool = one(
        {
            "attrs": {
                A.SPAN_KIND: "tool",
                A.TOOL_NAME: "t",
                A.TOOL_CALL_ID: "c",
                A.TOOL_ARGUMENTS: '{"a": 1}',
                A.TOOL_RESULT: "ok",
                A.TOOL_STATUS: "error",
            }
        }
    )
    assert (tool.tool_name, tool.tool_call_id, tool.tool_arguments, tool.tool_result, tool.tool_status) == (
        "t",
        "c",
        '{"a": 1}',
        "ok",
        "error",
    )


def test_own_attributes_win_over_other_conventions() -> None:
    span = one(
        {
            "attrs": {
                "session.id": "generic",
                "gen_ai.conversation.id": "genai",
                "traceloop.association.properties.session_id": "traceloop",
                A.SESSION_ID: "ours",
                "openinference.span.kind": "CHAIN",
                A.SPAN_KIND: "agent",
                "service.version": "from-service",
                A.RELEASE: "explicit",
            }
        }
    )
    assert span.session_id == "ours" and span.kind is SpanKind.AGENT and span.release == "explicit"


def test_standard_context_attributes() -> None:
    span = one(
        {"attrs": {"user.id": "u1", "session.id": "s1", "deployment.environment": "dev"}},
        resource={"service.name": "api", "service.version": "9.9"},
    )
    assert (span.user_id, span.session_id, span.environment, span.release, span.service_name) == (
        "u1",
        "s1",
        "dev",
        "9.9",
        "api",
    )


def test_tenant_and_feature_from_metadata_keys() -> None:
    span = one({"attrs": {"metadata.tenant": "acme", "metadata.feature": "search"}})
    assert (span.tenant_id, span.feature) == ("acme", "search")


def test_mixed_conventions_merge_by_priority() -> None:
    """OpenInference + OTel GenAI on one span: GenAI (the standard) wins where both speak."""
    span = one(
        {
            "attrs": {
                "openinference.span.kind": "LLM",
                "llm.model_name": "oi-model",
                "llm.token_count.prompt": 10,
                "llm.token_count.completion": 1,
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 12,
                "input.value": "raw input",
            }
        }
    )
    assert span.response_model == "gpt-4o-2024-08-06" and span.request_model == "gpt-4o"
    assert (span.input_tokens, span.output_tokens) == (12, 1)  # GenAI input, OI output kept
    assert span.input_value == "raw input"
