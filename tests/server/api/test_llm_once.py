"""Two instrumentations describing one LLM call, through a real server: OpenInference's
LangChain span (``ChatOpenAI``) over an OTel GenAI provider span (``chat gpt-4o-mini``).
The trace list, the metrics API and the trace detail must agree on ONE call and ONE cost,
whichever of the two spans arrives first and in whichever request."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from spyglass.testing.server import RunningServer
from tests.server.otlp_helpers import new_span_id, new_trace_id, wait_for_trace

pytestmark = pytest.mark.integration


def _attr(key: str, value: str | int) -> dict[str, Any]:
    return {
        "key": key,
        "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value},
    }


def _span(
    trace_id: str, span_id: str, parent: str | None, name: str, start: int, ms: int, attrs: dict[str, Any]
) -> dict[str, Any]:
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + ms * 1_000_000),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def nested_call(trace_id: str) -> dict[str, dict[str, Any]]:
    """The three spans of one request: agent -> ChatOpenAI -> chat gpt-4o-mini."""
    t0 = time.time_ns() - 5_000_000_000
    agent, wrapper, call = new_span_id(), new_span_id(), new_span_id()
    return {
        "agent": _span(trace_id, agent, None, "agent", t0, 1500, {"openinference.span.kind": "AGENT"}),
        "wrapper": _span(trace_id, wrapper, agent, "ChatOpenAI", t0 + 10_000_000, 1000, {
            "openinference.span.kind": "LLM",
            "llm.provider": "openai",
            "llm.model_name": "gpt-4o-mini",
            "llm.token_count.prompt": 1200,
            "llm.token_count.completion": 300,
            "llm.token_count.total": 1500,
        }),
        "call": _span(trace_id, call, wrapper, "chat gpt-4o-mini", t0 + 20_000_000, 800, {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 300,
        }),
    }  # fmt: skip


def send(server: RunningServer, spans: list[dict[str, Any]]) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attr("service.name", "bot")]},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": spans}],
            }
        ]
    }
    r = httpx.post(f"{server.url}/v1/traces", json=body, headers={"x-api-key": server.api_key}, timeout=30)
    assert r.status_code == 200, r.text


def get(server: RunningServer, path: str, **params: Any) -> Any:
    r = httpx.get(f"{server.url}{path}", params=params, headers={"x-api-key": server.api_key}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "requests",
    [
        [["agent", "wrapper", "call"]],  # one request
        [["call"], ["wrapper"], ["agent"]],  # child first (how span processors export)
        [["agent"], ["wrapper"], ["call"]],  # parent first
        [["wrapper", "agent"], ["call"]],
    ],
    ids=["one-request", "child-first", "parent-first", "call-last"],
)
def test_one_call_described_twice_counts_once(
    spyglass_server: RunningServer, requests: list[list[str]]
) -> None:
    trace_id = new_trace_id()
    spans = nested_call(trace_id)
    for names in requests:
        send(spyglass_server, [spans[n] for n in names])

    detail = wait_for_trace(spyglass_server.url, spyglass_server.api_key, trace_id, spans=3)
    by_name = {s["name"]: s for s in detail["spans"]}
    assert [s["name"] for s in detail["spans"]] == ["agent", "ChatOpenAI", "chat gpt-4o-mini"]  # both shown
    assert (by_name["ChatOpenAI"]["counted"], by_name["chat gpt-4o-mini"]["counted"]) == (False, True)
    call = by_name["chat gpt-4o-mini"]
    assert call["cost_total_usd"] and by_name["ChatOpenAI"]["cost_total_usd"]  # both carry a cost

    (item,) = get(spyglass_server, "/api/v1/traces", q=f"trace_id:{trace_id}")["items"]
    assert (item["llm_call_count"], item["input_tokens"], item["total_tokens"]) == (1, 1200, 1500)
    assert item["cost_usd"] == pytest.approx(call["cost_total_usd"])
    assert detail["summary"]["llm_call_count"] == 1

    m = get(spyglass_server, "/api/v1/metrics", level="span", q=f"kind:llm trace_id:{trace_id}")
    (series,) = m["series"]
    assert series["count"] == 1 and series["tokens"]["input"] == 1200
    assert series["cost_usd"]["sum"] == pytest.approx(call["cost_total_usd"])
    (traces,) = get(spyglass_server, "/api/v1/metrics", q=f"trace_id:{trace_id}")["series"]
    assert traces["cost_usd"]["sum"] == pytest.approx(call["cost_total_usd"])


def test_two_sibling_calls_under_an_agent_count_two(spyglass_server: RunningServer) -> None:
    trace_id = new_trace_id()
    spans = nested_call(trace_id)
    second = dict(spans["call"], spanId=new_span_id(), parentSpanId=spans["agent"]["spanId"])
    first = dict(spans["call"], parentSpanId=spans["agent"]["spanId"])
    send(spyglass_server, [spans["agent"], first, second])
    wait_for_trace(spyglass_server.url, spyglass_server.api_key, trace_id, spans=3)
    (item,) = get(spyglass_server, "/api/v1/traces", q=f"trace_id:{trace_id}")["items"]
    assert (item["llm_call_count"], item["input_tokens"]) == (2, 2400)
    (series,) = get(spyglass_server, "/api/v1/metrics", level="span", q=f"kind:llm trace_id:{trace_id}")[
        "series"
    ]
    assert series["count"] == 2
