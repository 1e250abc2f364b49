"""OTel GenAI: ≤1.36 span events and old names, 1.37+ messages (string or structured),
the operation.details event, HEAD renames, agent/tool/retrieval spans."""

from __future__ import annotations

import json

import pytest

from spyglass.model import SpanKind
from tests.ingest.fixtures import load
from tests.ingest.otlp_builders import T0, one

pytestmark = pytest.mark.unit


def test_v1_36_span_events_fixture() -> None:
    span = load("genai_v1_36_span_events.json")["chat gpt-4o"]
    assert span.trace_id == "5b8efff798038103d269b633813fc60c"  # upper-case hex accepted
    assert span.kind is SpanKind.LLM and span.operation == "chat"
    assert span.provider == "openai"  # "OpenAI" from gen_ai.system, lowercased
    assert (span.request_model, span.response_model) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert (span.input_tokens, span.output_tokens, span.total_tokens) == (80, 20, 100)
    assert span.environment == "staging" and span.service_name == "legacy-bot"
    assert [(m.role, m.content) for m in span.input_messages] == [
        ("system", "You are terse."),
        ("user", "Weather in Oslo?"),
    ]
    (out,) = span.output_messages
    assert out.role == "assistant" and out.finish_reason == "tool_call"
    assert span.tool_calls[0].name == "get_weather" and span.tool_calls[0].arguments == '{"city":"Oslo"}'
    assert span.finish_reason == "tool_call"
    assert span.attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]  # raw kept
    assert span.settings["seed"] == 42
    assert span.cost_total_usd is not None and span.cost_total_usd > 0


def test_v1_27_content_events() -> None:
    span = one(
        {
            "attrs": {"gen_ai.system": "az.ai.openai", "gen_ai.request.model": "gpt-4"},
            "events": [
                (
                    "gen_ai.content.prompt",
                    T0,
                    {"gen_ai.prompt": json.dumps([{"role": "user", "content": "hi"}])},
                ),
                (
                    "gen_ai.content.completion",
                    T0 + 1,
                    {"gen_ai.completion": json.dumps([{"role": "assistant", "content": "hello"}])},
                ),
            ],
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.provider == "azure.ai.openai"
    assert span.input_messages[0].content == "hi" and span.output_messages[0].content == "hello"


MESSAGES_IN = [
    {
        "role": "user",
        "parts": [
            {"type": "text", "content": "Describe"},
            {"type": "uri", "uri": "https://x/a.png", "modality": "image"},
        ],
    },
    {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c1", "name": "search", "arguments": {"q": "x"}}],
    },
    {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": {"hits": 2}}]},
]
MESSAGES_OUT = [
    {
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "think"}, {"type": "text", "content": "Done."}],
        "finish_reason": "stop",
    }
]


@pytest.mark.parametrize("as_string", [True, False])
def test_v1_37_messages_string_or_structured(as_string: bool) -> None:
    enc = json.dumps if as_string else (lambda v: v)
    span = one(
        {
            "attrs": {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.input.messages": enc(MESSAGES_IN),
                "gen_ai.output.messages": enc(MESSAGES_OUT),
                "gen_ai.system_instructions": enc([{"type": "text", "content": "Be brief."}]),
            }
        }
    )
    user, assistant, tool = span.input_messages
    assert user.content == "Describe" and user.parts == [
        {"type": "uri", "uri": "https://x/a.png", "modality": "image"}
    ]
    assert assistant.tool_calls[0].name == "search" and json.loads(
        assistant.tool_calls[0].arguments or ""
    ) == {"q": "x"}
    assert tool.tool_call_id == "c1" and json.loads(tool.content or "") == {"hits": 2}
    (out,) = span.output_messages
    assert out.content == "Done." and out.parts == [{"type": "reasoning", "content": "think"}]
    assert span.finish_reason == "stop"
    assert span.system_instructions == "Be brief."


def test_operation_details_event_structured() -> None:
    span = one(
        {
            "attrs": {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"},
            "events": [
                (
                    "gen_ai.client.inference.operation.details",
                    T0 + 5,
                    {"gen_ai.input.messages": MESSAGES_IN, "gen_ai.output.messages": MESSAGES_OUT},
                )
            ],
        }
    )
    assert len(span.input_messages) == 3 and span.output_messages[0].content == "Done."


def test_head_renames_and_usage() -> None:
    span = one(
        {
            "attrs": {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "o3-mini",
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 600,
                "gen_ai.usage.cache_read.input_tokens": 200,
                "gen_ai.usage.cache_write.input_tokens": 100,
                "gen_ai.usage.reasoning.output_tokens": 500,
                "gen_ai.request.reasoning.level": "high",
                "gen_ai.request.stream": True,
                "gen_ai.response.time_to_first_chunk": 0.25,
                "gen_ai.conversation.id": "conv-1",
            }
        }
    )
    assert (span.cache_read_tokens, span.cache_write_tokens, span.reasoning_tokens) == (200, 100, 500)
    assert span.settings["reasoning_effort"] == "high"
    assert span.is_stream is True and span.ttft_ms == pytest.approx(250.0)
    assert span.session_id == "conv-1"


def test_v1_41_cache_creation_name() -> None:
    span = one({"attrs": {"gen_ai.usage.cache_creation.input_tokens": 7, "gen_ai.request.model": "m"}})
    assert span.cache_write_tokens == 7


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("embeddings", SpanKind.EMBEDDING),
        ("retrieval", SpanKind.RETRIEVAL),
        ("execute_tool", SpanKind.TOOL),
        ("invoke_agent", SpanKind.AGENT),
        ("create_agent", SpanKind.AGENT),
        ("invoke_workflow", SpanKind.CHAIN),
        ("generate_content", SpanKind.LLM),
        ("search_memory", SpanKind.OTHER),
    ],
)
def test_operation_kinds(op: str, kind: SpanKind) -> None:
    span = one({"attrs": {"gen_ai.operation.name": op}})
    assert span.kind is kind and span.operation == op


def test_tool_agent_retrieval_attributes() -> None:
    tool = one(
        {
            "status": 2,
            "attrs": {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.id": "call_1",
                "gen_ai.tool.call.arguments": {"city": "Oslo"},
                "gen_ai.tool.call.result": "rainy",
                "error.type": "ToolTimeout",
            },
        }
    )
    assert (tool.tool_name, tool.tool_call_id, tool.tool_result) == ("get_weather", "call_1", "rainy")
    assert json.loads(tool.tool_arguments or "") == {"city": "Oslo"}
    assert tool.tool_status == "error" and tool.error_type == "ToolTimeout"
    agent = one({"attrs": {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}})
    assert agent.agent_name == "planner"
    retr = one(
        {
            "attrs": {
                "gen_ai.operation.name": "retrieval",
                "gen_ai.retrieval.query.text": "refunds",
                "gen_ai.retrieval.documents": json.dumps(
                    [{"id": "d1", "score": 0.9}, {"id": "d2", "score": 0.5}]
                ),
            }
        }
    )
    assert retr.retrieval_query == "refunds"
    assert [(d.id, d.score) for d in retr.retrieval_documents] == [("d1", 0.9), ("d2", 0.5)]


def test_model_without_operation_is_llm_and_exception_event_gives_error_type() -> None:
    span = one(
        {
            "status": 2,
            "attrs": {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.system": "openai"},
            "events": [
                (
                    "exception",
                    T0 + 10,
                    {"exception.type": "openai.RateLimitError", "exception.message": "429"},
                )
            ],
        }
    )
    assert span.kind is SpanKind.LLM
    assert span.error_type == "openai.RateLimitError"
    assert span.error_class == "rate_limit"
