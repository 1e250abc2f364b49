"""Legacy OpenLLMetry (≤0.54) flattened prompts/completions and the Traceloop workflow layer."""

from __future__ import annotations

import json

import pytest

from spyglass.model import SpanKind
from tests.ingest.fixtures import load
from tests.ingest.otlp_builders import one

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def spans() -> dict:  # type: ignore[type-arg]
    return load("openllmetry_legacy.json")


def test_workflow_span(spans: dict) -> None:  # type: ignore[type-arg]
    wf = spans["answer_question.workflow"]
    assert wf.kind is SpanKind.CHAIN and wf.operation == "workflow"
    assert (wf.session_id, wf.user_id, wf.tenant_id, wf.feature) == (
        "sess-42",
        "user-7",
        "acme",
        "order-status",
    )
    assert wf.metadata == {"plan": "pro", "workflow": "answer_question"}
    assert wf.input_value == '{"args": ["Where is my order?"], "kwargs": {}}'
    assert wf.output_value == '"It ships tomorrow."'


def test_tool_span(spans: dict) -> None:  # type: ignore[type-arg]
    tool = spans["lookup_order.tool"]
    assert tool.kind is SpanKind.TOOL and tool.tool_name == "lookup_order"
    assert json.loads(tool.tool_arguments or "") == {"order_id": "A-1"}  # kwargs unwrapped
    assert tool.tool_result == '{"status": "shipping"}'
    assert tool.tool_status == "error" and tool.status_message == "lookup failed"
    assert tool.error_class == "tool_error"


def test_legacy_llm_span(spans: dict) -> None:  # type: ignore[type-arg]
    llm = spans["anthropic.chat"]
    assert llm.kind is SpanKind.LLM and llm.operation == "chat"
    assert llm.provider == "anthropic"
    assert (llm.request_model, llm.response_model) == (
        "claude-3-5-sonnet-latest",
        "claude-3-5-sonnet-20241022",
    )
    assert [m.role for m in llm.input_messages] == ["system", "user", "assistant", "tool"]
    assert llm.input_messages[2].tool_calls[0].name == "lookup_order"
    assert llm.input_messages[3].tool_call_id == "toolu_1"
    assert llm.output_messages[0].content == "It ships tomorrow."
    assert llm.finish_reason == "stop"
    assert (llm.input_tokens, llm.output_tokens, llm.total_tokens) == (3000, 12, 3012)
    assert (llm.cache_read_tokens, llm.cache_write_tokens) == (2000, 500)
    assert llm.is_stream is False
    assert llm.settings["tools"][0]["name"] == "lookup_order"
    assert llm.settings["tools"][0]["parameters"] == {"type": "object"}
    # priced with cache reads and writes at their own rates: cheaper than 3000 fresh tokens
    assert llm.cost_input_usd is not None and 0 < llm.cost_input_usd < 3000 * 3e-6


def test_legacy_completion_tool_calls_and_refusal() -> None:
    span = one(
        {
            "attrs": {
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "c1",
                "gen_ai.completion.0.tool_calls.0.name": "f",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"a": 1}',
                "gen_ai.completion.1.role": "assistant",
                "gen_ai.completion.1.refusal": "I can't help with that.",
                "gen_ai.user": "u-9",
            }
        }
    )
    assert span.tool_calls[0].arguments == '{"a": 1}' and span.finish_reason == "tool_call"
    assert span.output_messages[1].parts == [{"type": "refusal", "content": "I can't help with that."}]
    assert span.refusal is True
    assert span.user_id == "u-9"


@pytest.mark.parametrize(
    ("request_type", "kind", "op"),
    [
        ("completion", SpanKind.LLM, "text_completion"),
        ("embedding", SpanKind.EMBEDDING, "embeddings"),
        ("rerank", SpanKind.RETRIEVAL, "rerank"),
    ],
)
def test_request_types(request_type: str, kind: SpanKind, op: str) -> None:
    span = one({"attrs": {"llm.request.type": request_type}})
    assert (span.kind, span.operation) == (kind, op)


def test_agent_and_managed_prompt() -> None:
    span = one(
        {
            "attrs": {
                "traceloop.span.kind": "agent",
                "traceloop.entity.name": "triage",
                "traceloop.prompt.key": "triage-prompt",
                "traceloop.prompt.version": 4,
                "traceloop.prompt.template": "Hi {name}",
                "traceloop.prompt.template_variables": '{"name": "Ann"}',
                "traceloop.association.properties.chat_id": "chat-3",
            }
        }
    )
    assert span.kind is SpanKind.AGENT and span.agent_name == "triage"
    assert (span.prompt_name, span.prompt_version, span.prompt_template) == (
        "triage-prompt",
        "4",
        "Hi {name}",
    )
    assert span.prompt_variables == {"name": "Ann"}
    assert span.session_id == "chat-3"
