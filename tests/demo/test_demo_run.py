"""``spyglass demo`` end to end: a short run, checked through the REST API, then SIGINT.

One demo run (module fixture) is shared by the assertions: 24 h of history at reduced
volume, live traffic until the test sends SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from spyglass.testing.server import free_port

pytestmark = pytest.mark.integration

STARTUP_TIMEOUT_S = 240  # server start + back-fill on a busy 2-core machine


@dataclass
class DemoRun:
    process: subprocess.Popen[str]
    url: str
    api_key: str
    lines: list[str] = field(default_factory=list)

    def get(self, path: str, **params: Any) -> Any:
        params.setdefault("start", "-25h")
        response = httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def metrics(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/metrics", **params)["series"])


def _descendants(root: int) -> set[int]:
    """Pids whose parent chain leads to ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    port = free_port()
    cmd = [
        sys.executable, "-m", "spyglass.cli.main", "demo",
        "--data-dir", str(data_dir), "--port", str(port), "--grpc-port", "0",
        "--hours", "24", "--scale", "0.35", "--live-seconds", "600", "--seed", "7",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    run = DemoRun(process=process, url=f"http://127.0.0.1:{port}", api_key="")
    live = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.append(line.rstrip())
            if line.startswith("Live traffic flowing"):
                live.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not live.wait(STARTUP_TIMEOUT_S):
            pytest.fail("demo did not reach live traffic:\n" + "\n".join(run.lines))
        key_line = next(line for line in run.lines if "API key:" in line)
        run.api_key = re.search(r"(sg_\S+)", key_line).group(1)  # type: ignore[union-attr]
        assert any(f"{run.url}/login?key={run.api_key}" in line for line in run.lines)
        time.sleep(3)  # a little live traffic
        yield run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _descendants(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_history_spans_24_hours(demo: DemoRun) -> None:
    oldest = demo.get("/api/v1/traces", sort="start_time", limit=1)["items"][0]["start_time_ns"]
    newest = demo.get("/api/v1/traces", sort="-start_time", limit=1)["items"][0]["start_time_ns"]
    assert (newest - oldest) / 3.6e12 >= 23.0
    hourly = demo.metrics(bucket="1h")
    assert len([b for b in hourly if b["count"] > 0]) >= 22  # traffic in (almost) every hour


def test_variety_of_tenants_features_versions_environments(demo: DemoRun) -> None:
    def groups(dimension: str, **params: Any) -> set[str]:
        return {
            row["group"][dimension]
            for row in demo.metrics(group_by=dimension, **params)
            if row["group"][dimension]
        }

    assert {"acme", "globex", "initech", "umbrella", "qa-internal"} <= groups("tenant_id")
    assert {"support-chat", "invoice-extraction", "ops-agent", "order-assistant"} <= groups("feature")
    assert {"production", "staging"} <= groups("environment")
    assert {"support-bot", "invoice-parser", "ops-agent", "order-assistant"} <= groups("service_name")
    versions = groups("prompt_version", q="prompt_name:support-answer")  # trace level: "name@version"
    assert {"support-answer@v1", "support-answer@v2", "support-answer@v3"} <= versions
    assert {"openai", "anthropic"} <= groups("provider", level="span", q="kind:llm")


def test_snapshot_swap_is_visible(demo: DemoRun) -> None:
    rows = demo.metrics(level="span", q="kind:llm model:gpt-4o-mini", group_by="response_model", bucket="1h")
    first_seen: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r["bucket_start"]):
        first_seen.setdefault(row["group"]["response_model"], row["bucket_start"])
    assert {"gpt-4o-mini-2024-07-18", "gpt-4o-mini-2025-04-14"} <= set(first_seen)
    assert first_seen["gpt-4o-mini-2024-07-18"] < first_seen["gpt-4o-mini-2025-04-14"]


def test_outage_tenant_has_the_tool_errors(demo: DemoRun) -> None:
    rows = {row["group"]["tenant_id"]: row for row in demo.metrics(group_by="tenant_id", start="-6h")}
    errors = {tenant: row["tool_error_count"] for tenant, row in rows.items()}
    assert errors.get("globex", 0) >= 3, errors
    # the other tenants only see the rare ticketing-API failure
    assert errors["globex"] > 2 * max(v for tenant, v in errors.items() if tenant != "globex"), errors


def test_regressed_prompt_version_refuses_more(demo: DemoRun) -> None:
    rows = {
        row["group"]["prompt_version"]: row
        for row in demo.metrics(
            level="span", q="kind:llm prompt_name:support-answer", group_by="prompt_version"
        )
    }
    assert rows["v3"]["refusal_count"] >= 3
    assert rows["v3"]["refusal_rate"] > 3 * max(rows["v2"]["refusal_rate"], 0.01)
    assert rows["v3"]["latency_ms"]["p50"] > rows["v2"]["latency_ms"]["p50"]


def test_sessions_have_multiple_turns_and_feedback(demo: DemoRun) -> None:
    sessions = demo.get("/api/v1/sessions", limit=200)["items"]
    multi = [s for s in sessions if s["trace_count"] >= 2]
    assert multi
    detail = demo.get(f"/api/v1/sessions/{multi[0]['session_id']}")
    assert len(detail["turns"]) >= 2 and detail["turns"][0]["user_input"]
    feedback = demo.metrics(q="feature:support-chat")[0]["feedback"]
    assert feedback["count"] > 0 and feedback["negative"] > 0


def test_agent_traces_have_tool_loops_and_a_runaway(demo: DemoRun) -> None:
    traces = demo.get("/api/v1/traces", q="feature:ops-agent", sort="-cost_usd", limit=50)["items"]
    assert traces and max(t["llm_call_count"] for t in traces) >= 8
    costs = sorted(
        t["cost_usd"] for t in demo.get("/api/v1/traces", q="feature:ops-agent", limit=500)["items"]
    )
    assert costs[-1] > 4 * costs[len(costs) // 2]  # the runaway loop's cost blow-up


def test_langgraph_app_sends_framework_traces(demo: DemoRun) -> None:
    traces = demo.get("/api/v1/traces", q="feature:order-assistant", limit=200)["items"]
    assert len(traces) >= 10
    with_tool = [t for t in traces if t["span_count"] >= 9]  # model, tools, model: 3 node spans and more
    assert with_tool
    spans = demo.get(f"/api/v1/traces/{with_tool[0]['trace_id']}")["spans"]
    assert {"agent", "chain", "tool", "llm"} <= {s["kind"] for s in spans}
    assert "ChatOpenAI" in {s["name"] for s in spans}
    assert any(s["scope_name"] == "spyglass" and s["kind"] == "llm" and s["cost_total_usd"] for s in spans)


def test_backfilled_spans_carry_simulated_latency_and_ttft(demo: DemoRun) -> None:
    # history only (before the demo started): nothing there was slept, all of it simulated
    (row,) = demo.metrics(level="span", q="kind:llm stream:true", end="-10m")
    assert row["count"] > 20
    assert row["ttft_ms"]["p50"] > 150  # the scenario's TTFT p50 is 380 ms
    assert row["latency_ms"]["p50"] > 500 and row["latency_ms"]["p99"] > 3 * row["latency_ms"]["p50"]


def test_sigint_stops_every_child(demo: DemoRun) -> None:
    children = _descendants(demo.process.pid)
    assert len(children) >= 6  # server + five deployments
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(90) == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]
    assert any("Demo stopped" in line for line in demo.lines)


def test_short_run_ends_by_itself_and_saves_state(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cmd = [
        sys.executable, "-m", "spyglass.cli.main", "demo",
        "--data-dir", str(data_dir), "--port", str(free_port()), "--grpc-port", "0",
        "--hours", "1", "--scale", "0.3", "--live-seconds", "2",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    children: set[int] = set()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while process.poll() is None and time.monotonic() < deadline:
            children |= _descendants(process.pid)
            time.sleep(0.5)
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "History ready" in output and "Demo stopped" in output
    assert not [pid for pid in children if _alive(pid)]
    state = json.loads((data_dir / "demo-state.json").read_text())
    assert state["history_until_s"] > time.time() - 120
    assert (data_dir / "demo-api-key").read_text().startswith("sg_")
