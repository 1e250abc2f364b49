"""The rule editor's "Preview over the last 7 days" in headless Chromium against a real
server: the episode count it shows equals the API's for the same rule."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spyglass.testing.server import RunningServer, run_server
from tests.alerts.browser import logged_in_page
from tests.alerts.test_ui import CHROMIUM, READY, _span

pytestmark = pytest.mark.e2e

RULE = {
    "name": "chat-errors-preview",
    "metric": "error_rate",
    "window": "5m",
    "min_volume": 5,
    "condition": {"kind": "threshold", "op": ">", "value": 0.2},
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    config = tmp_path / "spyglass.yaml"
    config.write_text("alerts:\n  interval_s: 30\n  settle_s: 0\n")
    with run_server(tmp_path / "data", grpc=False, extra_args=["--config", str(config)]) as s:
        yield s


def test_editor_preview_shows_the_api_episodes(server: RunningServer) -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (make system-deps)")
    h = {"x-api-key": server.api_key}
    now = time.time_ns()
    spans = []
    for ago_min in (200, 120, 40):  # three bad spells, far enough apart to be three episodes
        t = now - ago_min * 60 * 1_000_000_000
        spans += [_span(t - i * 1_000_000_000, "v1", i % 2 == 0) for i in range(10)]
    body = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}
    httpx.post(f"{server.url}/v1/traces", json=body, headers=h).raise_for_status()
    api = httpx.post(f"{server.url}/api/v1/alerts/rules/preview", json=RULE, headers=h, timeout=120)
    assert api.status_code == 200, api.text
    expected = api.json()["totals"]["episodes"]
    assert expected == 3

    with logged_in_page(server) as (page, errors):
        page.goto(f"{server.url}/#/alerts?tab=rules")
        page.wait_for_function(READY, timeout=20_000)
        page.get_by_role("button", name="+ New rule").click()
        page.fill("#rule-editor textarea", json.dumps(RULE))
        page.get_by_role("button", name="Preview over the last 7 days").click()
        page.wait_for_selector("#rule-preview[data-state='done']", timeout=120_000)
        assert page.inner_text("#preview-count") == f"{expected} episode(s)"
        text = page.inner_text("#rule-preview")
        assert "day (utc)" in text.lower() and "(0 still firing)" in text
        names = {r["name"] for r in httpx.get(f"{server.url}/api/v1/alerts/rules", headers=h).json()["items"]}
        assert RULE["name"] not in names  # a preview saves nothing
        assert not errors, errors
