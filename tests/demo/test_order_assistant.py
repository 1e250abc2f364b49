"""The LangGraph demo app (order-assistant) end to end: a real worker process back-fills two
hours through langgraph + langchain-openai + OpenInference + our SDK into a real server; the
fake provider runs the demo scenario. Assertions read what the server stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from spyglass.demo.deployments import DEPLOYMENTS, WorkerConfig
from spyglass.demo.scenario import demo_scenario
from spyglass.demo.story import HOUR_S, Story
from spyglass.fakellm import FakeLLMServer
from spyglass.testing.server import RunningServer, run_server

pytestmark = pytest.mark.integration

TOOLS = {"lookup_order", "check_refund_policy", "create_return_label"}
BACKFILL_HOURS = 2.0
RATE_SCALE = 3.0  # ~26-70 requests, depending on the time of day


@dataclass
class Backfill:
    server: RunningServer
    report: dict[str, Any]
    until_s: float
    story: Story

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(
            f"{self.server.url}{path}", params=params, headers={"x-api-key": self.server.api_key}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def backfill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfill]:
    now = time.time()
    story = Story.starting_at(now, 24)  # the globex outage started 5 h ago: it covers this window
    (deployment,) = [d for d in DEPLOYMENTS if d.app == "order-assistant"]
    with (
        run_server(tmp_path_factory.mktemp("oa") / "data", grpc=False) as server,
        FakeLLMServer(demo_scenario(story, seed=3)) as provider,
    ):
        config = WorkerConfig(
            deployment=deployment,
            story_json=story.to_json(),
            server_url=server.url,
            api_key=server.api_key,
            provider_url=provider.url,
            backfill_from_s=now - BACKFILL_HOURS * HOUR_S,
            backfill_until_s=now,
            rate_scale=RATE_SCALE,
            live_seconds=0,
            seed=11,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
        worker = subprocess.Popen(
            [sys.executable, "-m", "spyglass.demo.worker", config.to_json()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        stderr: list[str] = []
        assert worker.stderr is not None
        threading.Thread(target=lambda: stderr.extend(worker.stderr or ()), daemon=True).start()
        try:
            report: dict[str, Any] = {}
            assert worker.stdout is not None
            for line in worker.stdout:  # blocks until the back-fill is done (or the worker dies)
                event = json.loads(line)
                if event["event"] == "backfill_done":
                    report = event
                    break
            worker.terminate()  # stop live traffic; the worker flushes and exits
            assert worker.wait(30) == 0, "".join(stderr)[-3000:]
            assert report, "no back-fill report:\n" + "".join(stderr)[-3000:]
            yield Backfill(server, report, now, story)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _traces(run: Backfill) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15  # the server writes in batches
    while True:
        items = run.get("/api/v1/traces", q="feature:order-assistant", start="-3h", limit=500)["items"]
        if len(items) >= run.report["arrivals"] or time.monotonic() > deadline:
            return list(items)
        time.sleep(0.3)


def _counted(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """LLM spans with no LLM-kind child: one per provider call (the server's rule)."""
    llm = [s for s in spans if s["kind"] == "llm"]
    parents_of_llm = {s["parent_span_id"] for s in llm}
    return [s for s in llm if s["span_id"] not in parents_of_llm]


def _end_ns(span: dict[str, Any]) -> float:
    return span["start_time_ns"] + span["duration_ms"] * 1e6


def test_backfill_ran_without_failures_or_drops(backfill: Backfill) -> None:
    report = backfill.report
    assert report["deployment"] == "order-assistant/production"
    assert report["arrivals"] >= 8, report
    assert report["failed"] == 0 and report["spans_dropped"] == 0 and report["export_failures"] == 0, report


def test_each_request_is_one_trace_rooted_at_the_app_span(backfill: Backfill) -> None:
    traces = _traces(backfill)
    # one trace per request: no stray trace of a provider or framework span on its own
    assert len(traces) == backfill.report["arrivals"], [t["name"] for t in traces]
    assert {t["name"] for t in traces} == {"order-assistant request"}
    for trace in traces:  # history, on the simulated clock: inside the back-filled window
        start_s = trace["start_time_ns"] / 1e9
        assert backfill.until_s - BACKFILL_HOURS * HOUR_S - 1 <= start_s < backfill.until_s, trace


def test_a_trace_shows_agent_llm_tool_llm_with_counted_calls(backfill: Backfill) -> None:
    checked = 0
    for summary in _traces(backfill):
        trace = backfill.get(f"/api/v1/traces/{summary['trace_id']}")
        spans = trace["spans"]
        tools = [s for s in spans if s["kind"] == "tool"]
        if not tools or summary["status"] == "error":
            continue
        checked += 1
        by_id = {s["span_id"]: s for s in spans}
        assert {s["trace_id"] for s in spans} == {summary["trace_id"]}
        kinds = {s["kind"] for s in spans}
        assert {"agent", "chain", "tool", "llm"} <= kinds, kinds
        (root,) = [s for s in spans if not s["parent_span_id"]]
        assert root["name"] == "order-assistant request" and root["scope_name"] == "spyglass", root
        (agent,) = [s for s in spans if s["kind"] == "agent"]
        assert agent["name"] == "order-agent" and "openinference" in agent["scope_name"], agent
        assert {s["name"] for s in tools} <= TOOLS
        for tool in tools:  # tools run under LangGraph's "tools" node
            assert by_id[tool["parent_span_id"]]["name"] == "tools", tool
        counted = _counted(spans)
        assert len(counted) >= 2  # the model asked for a tool, then answered
        for span in counted:
            assert span["scope_name"] == "spyglass" and span["provider"] == "openai", span
            assert span["input_tokens"] > 0 and span["output_tokens"] > 0, span
            assert span["cost_total_usd"] > 0, span
            assert span["response_model"].startswith("gpt-4o-mini-"), span
            framework = by_id[span["parent_span_id"]]  # nested under LangChain's LLM span
            assert framework["kind"] == "llm" and framework["name"] == "ChatOpenAI", framework
            assert span["counted"] is True and framework["counted"] is False  # the wrapper is not a call
        # the trace header counts each call once: the innermost LLM span of each nesting
        assert trace["summary"]["llm_call_count"] == len(counted)
        assert trace["summary"]["cost_usd"] == pytest.approx(sum(s["cost_total_usd"] for s in counted))
        # the order: a model call before the first tool, and one after the last
        first_tool = min(s["start_time_ns"] for s in tools)
        last_tool = max(_end_ns(s) for s in tools)
        assert min(s["start_time_ns"] for s in counted) < first_tool
        assert max(s["start_time_ns"] for s in counted) >= last_tool
        # every span on the same simulated clock: children inside their parents
        for span in spans:
            parent = by_id.get(span["parent_span_id"] or "")
            if parent is not None:
                assert parent["start_time_ns"] <= span["start_time_ns"] + 1e6, (parent["name"], span["name"])
                assert _end_ns(span) <= _end_ns(parent) + 1e6, (parent["name"], span["name"])
            assert span["tenant_id"] == summary["tenant_id"] and span["feature"] == "order-assistant", span
            assert span["prompt_name"] == "order-assistant-system" and span["prompt_version"] == "v1", span
            assert span["service_name"] == "order-assistant", span
    assert checked >= 3


def test_the_globex_outage_fails_lookup_order_here_too(backfill: Backfill) -> None:
    spans = backfill.get(
        "/api/v1/spans", q="feature:order-assistant kind:tool name:lookup_order", start="-3h", limit=500
    )["items"]
    assert spans
    failed = {s["tenant_id"] for s in spans if s["status"] == "error"}
    assert failed <= {"globex"}, failed  # only the outage fails this tool
    for span in spans:
        if span["status"] == "error":
            assert span["error_class"] == "tool_error" and span["tool_status"] == "error", span
    globex = [s for s in spans if s["tenant_id"] == "globex"]
    if len(globex) >= 4:  # each fails with p = 0.85: all four succeeding is a 1-in-2000 event
        assert any(s["status"] == "error" for s in globex), globex
