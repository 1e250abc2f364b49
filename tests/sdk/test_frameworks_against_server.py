"""Real frameworks (LangGraph on langchain-openai, LiteLLM, LlamaIndex) with their OpenInference
instrumentors turned on by ``spyglass.init()`` -> the fake provider over HTTP; Spyglass SDK -> a
real ``spyglass serve`` subprocess; assertions read what the server stored via its REST API.

"Counted" LLM spans follow the rule the server applies to nested LLM spans describing one call:
the innermost LLM span of a nesting is counted; an LLM span with an LLM-kind child is a wrapper.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import openai
import pytest

import spyglass
from spyglass.fakellm import Behaviour, FakeLLMServer, Scenario
from spyglass.testing.server import RunningServer, run_server
from tests.sdk.server_sdk import fetch_trace, sdk_exporting_to

pytestmark = pytest.mark.integration

# LiteLLM fetches its model price list from the network when imported, unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

SNAPSHOT = "gpt-4o-mini-2024-07-18"
CONTEXT = {
    "session_id": "sess-fw",
    "user_id": "user-fw",
    "tenant_id": "acme",
    "feature": "support",
    "prompt_version": "v7",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(tmp_path_factory.mktemp("fw-server") / "data", grpc=False) as running:
        yield running


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    # tool_call_rate 1 and tool_repeat_rate 0: the agent calls its tool once, then answers.
    scenario = Scenario(
        seed=5,
        defaults=Behaviour(
            no_sleep=True, tool_call_rate=1.0, tool_repeat_rate=0.0, snapshots={"gpt-4o-mini": SNAPSHOT}
        ),
    )
    with FakeLLMServer(scenario) as running:
        yield running


@pytest.fixture
def sdk(server: RunningServer) -> Iterator[None]:
    with sdk_exporting_to(server, "r-fw"):
        yield


def counted_llm_spans(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """LLM spans that have no LLM-kind child: one per provider call."""
    llm = [s for s in trace["spans"] if s["kind"] == "llm"]
    parents_of_llm = {s["parent_span_id"] for s in llm}
    return [s for s in llm if s["span_id"] not in parents_of_llm]


def assert_counted_call(span: dict[str, Any]) -> None:
    assert span["input_tokens"] and span["input_tokens"] > 0, span
    assert span["output_tokens"] and span["output_tokens"] > 0, span
    assert span["cost_total_usd"] and span["cost_total_usd"] > 0, span
    assert span["response_model"] == SNAPSHOT, span


def _agent(fake: FakeLLMServer) -> Any:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    @tool
    def lookup_order(order_id: str) -> str:
        """Look up where an order is."""
        return f"order {order_id} ships tomorrow"

    llm = ChatOpenAI(model="gpt-4o-mini", base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)
    return create_react_agent(llm, [lookup_order])


def _run_agent(server: RunningServer, fake: FakeLLMServer) -> tuple[dict[str, Any], int]:
    agent = _agent(fake)
    with spyglass.context(**CONTEXT), spyglass.span("support request", kind="workflow"):
        trace_id = spyglass.current_trace_id()
        out = agent.invoke({"messages": [("user", "Where is order A1?")]})
    calls = sum(1 for m in out["messages"] if m.type == "ai")  # one AI message per model call
    assert trace_id is not None
    return fetch_trace(server, trace_id, min_spans=8), calls


def test_langgraph_agent_is_one_trace_with_the_provider_span_inside_the_framework_llm_span(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    trace, calls = _run_agent(server, fake)
    assert calls == 2  # tool call, then the answer
    spans = trace["spans"]
    by_id = {s["span_id"]: s for s in spans}
    kinds = {s["kind"] for s in spans}
    assert {"agent", "chain", "tool", "llm"} <= kinds, kinds
    tool = [s for s in spans if s["kind"] == "tool"]
    assert [s["name"] for s in tool] == ["lookup_order"]
    counted = counted_llm_spans(trace)
    assert len(counted) == calls
    for span in counted:
        assert span["provider"] == "openai" and span["scope_name"] == "spyglass", span
        assert_counted_call(span)
        wrapper = by_id[span["parent_span_id"]]  # LangChain's LLM span for the same call
        assert wrapper["kind"] == "llm" and wrapper["name"] == "ChatOpenAI", wrapper
        assert "openinference" in (wrapper["scope_name"] or ""), wrapper
    # Context stamped on the framework's spans too, not only ours.
    for span in spans:
        assert span["session_id"] == "sess-fw" and span["tenant_id"] == "acme", span
        assert span["feature"] == "support" and span["prompt_version"] == "v7", span
        assert span["release"] == "r-fw", span


def test_langgraph_agent_trace_counts_each_call_once(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    trace, calls = _run_agent(server, fake)
    assert trace["summary"]["llm_call_count"] == calls
    counted = counted_llm_spans(trace)
    assert trace["summary"]["input_tokens"] == sum(s["input_tokens"] for s in counted)
    assert trace["summary"]["cost_usd"] == pytest.approx(sum(s["cost_total_usd"] for s in counted))


def _litellm_kwargs(fake: FakeLLMServer) -> dict[str, Any]:
    return {
        "model": "openai/gpt-4o-mini",
        "api_base": fake.openai_base_url,
        "api_key": "sk-test",
        "messages": [{"role": "user", "content": "Where is order A1?"}],
    }


def test_litellm_sync_async_and_streamed_each_one_counted_llm_span(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    import litellm

    kwargs = _litellm_kwargs(fake)
    traces: dict[str, str | None] = {}
    with spyglass.context(**CONTEXT):
        with spyglass.span("sync", kind="workflow"):
            traces["sync"] = spyglass.current_trace_id()
            litellm.completion(**kwargs)
        with spyglass.span("async", kind="workflow"):
            traces["async"] = spyglass.current_trace_id()
            asyncio.run(litellm.acompletion(**kwargs))
        with spyglass.span("stream", kind="workflow"):
            traces["stream"] = spyglass.current_trace_id()
            chunks = list(litellm.completion(stream=True, stream_options={"include_usage": True}, **kwargs))
            assert chunks
    for name, trace_id in traces.items():
        assert trace_id is not None
        trace = fetch_trace(server, trace_id, min_spans=2)
        llm = [s for s in trace["spans"] if s["kind"] == "llm"]
        assert len(llm) == 1, (name, [s["name"] for s in trace["spans"]])  # no double count
        span = llm[0]
        assert span["session_id"] == "sess-fw", span
        assert span["input_tokens"] and span["output_tokens"], (name, span)
        assert span["cost_total_usd"] and span["cost_total_usd"] > 0, (name, span)
        assert trace["summary"]["llm_call_count"] == 1
        if name == "stream":  # LiteLLM names stream chunks with its resolved model, not the snapshot
            assert span["response_model"] == "gpt-4o-mini", span
        else:
            assert span["response_model"] == SNAPSHOT, span


def test_llama_index_query_over_an_in_memory_index(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    from llama_index.core import Document, MockEmbedding, Settings, VectorStoreIndex
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)

    class ShopLLM(CustomLLM):  # an app's own LlamaIndex LLM on the real openai SDK
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="gpt-4o-mini")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            r = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
            )
            return CompletionResponse(text=r.choices[0].message.content or "")

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

    Settings.llm = ShopLLM()
    Settings.embed_model = MockEmbedding(embed_dim=8)  # ships with llama-index-core; no download
    index = VectorStoreIndex.from_documents(
        [Document(text="Order A1 ships tomorrow."), Document(text="Returns take 30 days.")]
    )
    with spyglass.context(**CONTEXT), spyglass.span("rag", kind="workflow"):
        trace_id = spyglass.current_trace_id()
        index.as_query_engine(similarity_top_k=1).query("When does A1 ship?")
    assert trace_id is not None
    trace = fetch_trace(server, trace_id, min_spans=5)
    kinds = {s["kind"] for s in trace["spans"]}
    assert "retrieval" in kinds, kinds
    counted = counted_llm_spans(trace)
    assert len(counted) == 1, [s["name"] for s in trace["spans"]]
    assert counted[0]["scope_name"] == "spyglass"
    assert_counted_call(counted[0])
    wrappers = [s for s in trace["spans"] if s["kind"] == "llm" and s is not counted[0]]
    assert wrappers and all(not s["input_tokens"] for s in wrappers)  # framework spans: no tokens here
    assert all(s["session_id"] == "sess-fw" for s in trace["spans"])


def test_google_genai_plain_and_streamed_are_counted_calls_with_cost(
    server: RunningServer, fake: FakeLLMServer, sdk: None
) -> None:
    """google-genai through the OpenInference instrumentor spyglass.init() turns on, against
    the fake provider's Gemini routes: each call one counted LLM span in the request's trace,
    with tokens, a Gemini price and the request context."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="g-test", http_options=types.HttpOptions(base_url=fake.gemini_base_url))
    with spyglass.context(**CONTEXT), spyglass.span("gemini request", kind="workflow"):
        trace_id = spyglass.current_trace_id()
        plain = client.models.generate_content(model="gemini-2.5-flash", contents="Where is order A1?")
        streamed = "".join(
            chunk.text or ""
            for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="And B2?")
        )
    assert plain.text and streamed and trace_id is not None
    trace = fetch_trace(server, trace_id, min_spans=3)
    counted = counted_llm_spans(trace)
    assert len(counted) == 2, [(s["name"], s["kind"]) for s in trace["spans"]]
    for span in counted:
        assert span["counted"] is True
        assert span["input_tokens"] and span["output_tokens"], span
        assert span["cost_total_usd"] and span["cost_total_usd"] > 0, span
        assert (span["request_model"] or "").startswith("gemini-2.5-flash"), span
        assert span["tenant_id"] == "acme" and span["prompt_version"] == "v7", span
    assert trace["summary"]["llm_call_count"] == 2
    assert trace["summary"]["cost_usd"] == pytest.approx(sum(s["cost_total_usd"] for s in counted))
