"""OpenInference: kinds, flattened messages (contents, tool calls), invocation parameters,
retrieval documents, tools, metadata (JSON and flattened), tags, prompt template, cost."""

from __future__ import annotations

import pytest

from spyglass.model import SpanKind
from tests.ingest.fixtures import load
from tests.ingest.otlp_builders import one

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def rag() -> dict:  # type: ignore[type-arg]
    return load("openinference_rag.json")


def test_chain_root_context(rag: dict) -> None:  # type: ignore[type-arg]
    root = rag["query"]
    assert root.kind is SpanKind.CHAIN
    assert (root.input_value, root.output_value) == ("What is the refund window?", "30 days.")
    assert (root.session_id, root.user_id) == ("s-1", "u-1")
    assert (root.tenant_id, root.feature) == ("globex", "faq")  # from the metadata JSON
    assert root.metadata == {"tenant_id": "globex", "feature": "faq", "ab": "B"}
    assert root.tags == ["rag", "beta"]


def test_retriever(rag: dict) -> None:  # type: ignore[type-arg]
    retr = rag["retrieve"]
    assert retr.kind is SpanKind.RETRIEVAL and retr.retrieval_query == "refund window"
    d1, d2 = retr.retrieval_documents
    assert (d1.id, d1.content, d1.score, d1.metadata) == (
        "doc-1",
        "Refunds within 30 days.",
        0.91,
        {"source": "policy.md"},
    )
    assert (d2.id, d2.content, d2.score) == ("doc-2", None, 0.42)
    assert retr.metadata == {"index_version": "2026-11-01"}  # flattened metadata.*


def test_llm(rag: dict) -> None:  # type: ignore[type-arg]
    llm = rag["llm"]
    assert llm.kind is SpanKind.LLM and llm.operation == "chat"
    assert llm.provider == "anthropic"
    assert llm.request_model == "claude-3-5-haiku-latest"  # from invocation parameters
    assert llm.response_model == "claude-3-5-haiku-20241022"  # llm.model_name is the response's
    assert llm.settings == {"temperature": 0, "max_tokens": 256}
    assert llm.is_stream is True
    (msg,) = llm.input_messages
    assert msg.content == "Context: Refunds within 30 days."
    assert msg.parts == [{"type": "image", "image.image.url": "https://x/y.png"}]
    assert llm.output_messages[0].content == "30 days."
    assert llm.finish_reason == "stop"  # end_turn normalised
    assert (llm.input_tokens, llm.output_tokens, llm.total_tokens) == (1500, 5, 1505)
    assert (llm.cache_read_tokens, llm.cache_write_tokens) == (1000, 200)
    assert llm.prompt_template == "Context: {context}" and llm.prompt_version == "v2"
    assert llm.prompt_variables == {"context": "Refunds within 30 days."}
    # the source priced it: kept, and the total filled in
    assert (llm.cost_input_usd, llm.cost_output_usd) == (0.001, 0.0002)
    assert llm.cost_total_usd == pytest.approx(0.0012)
    assert llm.ttft_ms == pytest.approx(250.0)  # First Token Stream Event - start


def test_tool(rag: dict) -> None:  # type: ignore[type-arg]
    tool = rag["lookup"]
    assert tool.kind is SpanKind.TOOL
    assert (tool.tool_name, tool.tool_call_id) == ("lookup_policy", "call_1")
    assert (tool.tool_arguments, tool.tool_result, tool.tool_status) == (
        '{"topic": "refunds"}',
        "30 days",
        "ok",
    )


def test_output_tool_calls_and_kinds() -> None:
    span = one(
        {
            "attrs": {
                "openinference.span.kind": "LLM",
                "llm.system": "openai",
                "llm.model_name": "gpt-4o-2024-08-06",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "f",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
                "llm.output_messages.0.message.tool_calls.1.tool_call.function.name": "g",
                "llm.finish_reason": "tool_calls",
                "llm.token_count.completion_details.reasoning": 3,
            }
        }
    )
    assert [c.name for c in span.tool_calls] == ["f", "g"]
    assert span.request_model == span.response_model == "gpt-4o-2024-08-06"  # only one model known
    assert span.finish_reason == "tool_call" and span.reasoning_tokens == 3


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("EMBEDDING", SpanKind.EMBEDDING),
        ("RERANKER", SpanKind.RETRIEVAL),
        ("AGENT", SpanKind.AGENT),
        ("GUARDRAIL", SpanKind.GUARDRAIL),
        ("EVALUATOR", SpanKind.EVAL),
        ("UNKNOWN", SpanKind.OTHER),
        ("chain", SpanKind.CHAIN),
    ],
)
def test_kinds(kind: str, expected: SpanKind) -> None:
    assert one({"attrs": {"openinference.span.kind": kind}}).kind is expected
