"""The alerts and incidents pages in headless Chromium against a real server whose alert loop
runs every 2 s: errors sent over OTLP/HTTP fire a rule, open an incident, and the pages show
the firing alert, the suspected cause and the timeline actions."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spyglass.testing.server import RunningServer, run_server
from tests.alerts.browser import CHROMIUM, logged_in_page

pytestmark = pytest.mark.e2e

RULES = """
rules:
  - name: chat-errors
    metric: error_rate
    window: 5m
    condition: {kind: threshold, op: ">", value: 0.2}
    min_volume: 5
    severity: critical
    runbook: Roll back the prompt.
"""
READY = "() => { const p = document.querySelector('#page'); return Boolean(p && p.dataset.ready === 'true' && p.dataset.route === location.hash); }"


def _span(now: int, version: str, error: bool) -> dict[str, Any]:
    attrs = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
        {"key": "spyglass.prompt.version", "value": {"stringValue": version}},
    ]
    span: dict[str, Any] = {
        "traceId": uuid.uuid4().hex,
        "spanId": uuid.uuid4().hex[:16],
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(now - 400_000_000),
        "endTimeUnixNano": str(now),
        "attributes": attrs,
    }
    if error:
        span["status"] = {"code": 2, "message": "upstream 500"}
        attrs.append({"key": "error.type", "value": {"stringValue": "InternalServerError"}})
    return span


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    config = tmp_path / "spyglass.yaml"
    config.write_text("alerts:\n  interval_s: 2\n  settle_s: 0\n")
    with run_server(
        tmp_path / "data", grpc=False, extra_args=["--config", str(config), "--alert-rules", str(rules)]
    ) as s:
        yield s


def test_alert_and_incident_pages(server: RunningServer) -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (make system-deps)")
    h = {"x-api-key": server.api_key}
    now = time.time_ns()
    spans = [_span(now - i * 1_000_000_000, "v1", False) for i in range(10)]
    spans += [_span(now - i * 1_000_000_000, "v2", True) for i in range(8)]
    body = {
        "resourceSpans": [
            {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}
        ]
    }
    httpx.post(f"{server.url}/v1/traces", json=body, headers=h).raise_for_status()
    deadline = time.time() + 60
    firing: list[dict[str, Any]] = []
    while time.time() < deadline and not firing:
        items = httpx.get(f"{server.url}/api/v1/alerts", headers=h).json()["items"]
        firing = [a for a in items if a["rule_name"] == "chat-errors" and a["state"] == "firing"]
        time.sleep(0.5)
    assert firing, server.log_text()[-2000:]
    incident_id = firing[0]["incident_id"]

    with logged_in_page(server) as (page, errors):
        page.goto(f"{server.url}/#/alerts")
        page.wait_for_function(READY, timeout=20_000)
        text = page.inner_text("#page")
        assert "chat-errors" in text and "firing" in text

        page.goto(f"{server.url}/#/alerts?tab=rules")
        page.wait_for_function(READY, timeout=20_000)
        assert "chat-errors" in page.inner_text("#page")

        page.goto(f"{server.url}/#/incident/{incident_id}")
        page.wait_for_function(READY, timeout=20_000)
        text = page.inner_text("#page")
        assert "Suspected cause" in text and "prompt_version" in text and "v2" in text
        # how the cause was found, and how sure: the test's name and Holm-adjusted p
        assert (
            "Fisher's exact test" in text and "8 failing requests" in text and "p (holm)" in text.lower()
        ), text
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_function(READY, timeout=20_000)
        page.wait_for_selector("text=acknowledged")

        # the dashboard's incidents card names the cause the same way, as text (no JSON)
        page.goto(f"{server.url}/#/")
        page.wait_for_selector("#alerts >> text=prompt_version=v2", timeout=20_000)
        card = page.inner_text("#alerts")
        assert "dimension" not in card and "{" not in card
        assert not errors, errors
