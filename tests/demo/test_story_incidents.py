"""On-call truth: the demo's ongoing stories page through the default alert pack, and the
incidents they open name their culprit; the same traffic without the stories pages nothing.

A compressed run of the demo: a real ``spyglass serve`` whose alert loop runs every second
with no settle time, the fake provider with the demo's scenario, and the demo's support-bot
worker process (real ``openai`` SDK, our SDK, the simulated clocks) replaying the last
``HISTORY_S`` seconds at the demo's *live* rate -- what a newcomer's server holds after that
many minutes of live traffic. The default pack is used as seeded, except that every rule's
``for`` is cut to 2 s once the replay is complete (the history arrives within seconds; waiting
a minute of wall time for the pending state is the one thing the compression cannot replay).

Stories under test: the tool outage of tenant ``globex`` (``tool-failures`` for
``tool_name=lookup_order``: top cause ``tenant_id=globex``) and the prompt regression (the
``refusals`` alert of ``feature=support-chat``: top cause ``prompt_version=v3``). A healthy
run (``Story.failures=False``) must open no incident that names a cause.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spyglass.demo.deployments import DEPLOYMENTS, WorkerConfig
from spyglass.demo.scenario import demo_scenario
from spyglass.demo.story import Story
from spyglass.demo.world import diurnal_factor
from spyglass.fakellm import FakeLLMServer
from spyglass.testing.server import RunningServer, run_server

pytestmark = pytest.mark.integration

HISTORY_S = 12 * 60.0  # the window every live-story rule looks at (10 min) plus margin
DAY_S = 86400.0
SUPPORT_BOT = next(d for d in DEPLOYMENTS if d.name == "support-bot/production")
CONFIG = "alerts:\n  interval_s: 1\n  settle_s: 0\n"


def story_now(now: float, failures: bool) -> Story:
    """The demo's storyline with both ongoing stories covering the replayed window, and the
    past ones (v2 release, snapshot swap, runaway agent) long before it."""
    past = now - 2 * DAY_S
    return Story(
        start_s=now,
        history_from_s=now - HISTORY_S,
        v2_release_s=past,
        v3_canary_s=now - HISTORY_S,
        snapshot_swap_s=past,
        runaway_from_s=past,
        runaway_until_s=past + 60,
        outage_from_s=now - HISTORY_S,
        failures=failures,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    config = tmp_path / "spyglass.yaml"
    config.write_text(CONFIG)
    with run_server(tmp_path / "data", grpc=False, extra_args=["--config", str(config)]) as s:
        yield s


def _api(server: RunningServer, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(
        method, f"{server.url}{path}", headers={"x-api-key": server.api_key}, timeout=30, **kwargs
    )
    assert response.status_code < 300, response.text
    return response.json()


def _compress_pending(server: RunningServer) -> int:
    """Wait for the default pack, then cut each rule's ``for`` to 2 s (the module doc says why)."""
    deadline = time.monotonic() + 30
    rules: list[dict[str, Any]] = []
    while not rules and time.monotonic() < deadline:
        rules = _api(server, "GET", "/api/v1/alerts/rules")["items"]
        time.sleep(0.2)
    assert len(rules) >= 10, rules
    for rule in rules:
        spec = dict(rule["spec"])
        if spec.get("for"):
            spec["for"] = "2s"
            _api(server, "PUT", f"/api/v1/alerts/rules/{rule['id']}", json=spec)
    return len(rules)


def replay(server: RunningServer, failures: bool, seed: int) -> None:
    """The support bot's last ``HISTORY_S`` seconds at its live rate, through the demo worker."""
    now = time.time()
    story = story_now(now, failures)
    with FakeLLMServer(demo_scenario(story, seed)) as provider:
        config = WorkerConfig(
            deployment=SUPPORT_BOT,
            story_json=story.to_json(),
            server_url=server.url,
            api_key=server.api_key,
            provider_url=provider.url,
            backfill_from_s=now - HISTORY_S,
            backfill_until_s=now,
            # the live rate; the replay thins arrivals by time of day, live traffic does not
            rate_scale=SUPPORT_BOT.live_per_s * 3600 / SUPPORT_BOT.per_hour / diurnal_factor(now),
            live_seconds=0.01,  # no live phase: the replayed window stands for it
            seed=seed,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPYGLASS_")}
        done = subprocess.run(
            [sys.executable, "-m", "spyglass.demo.worker", config.to_json()],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"event": "backfill_done"' in done.stdout, done.stdout + done.stderr[-3000:]


def _incidents(server: RunningServer) -> list[dict[str, Any]]:
    return [
        _api(server, "GET", f"/api/v1/incidents/{i['id']}")
        for i in _api(server, "GET", "/api/v1/incidents")["items"]
    ]


def _incident_of(incidents: list[dict[str, Any]], rule: str, labels: dict[str, str]) -> dict[str, Any] | None:
    for incident in incidents:
        for alert in incident["alerts"]:
            if alert["rule_name"] == rule and all(alert["labels"].get(k) == v for k, v in labels.items()):
                return incident
    return None


def _top(incident: dict[str, Any]) -> tuple[str, str] | None:
    causes = incident.get("suspected_cause") or []
    return (causes[0]["dimension"], causes[0]["value"]) if causes else None


def test_live_stories_open_incidents_naming_their_culprits(server: RunningServer) -> None:
    replay(server, failures=True, seed=11)
    # only now: with `for: 1m` nothing fires on the half-replayed window (shuffled arrivals)
    _compress_pending(server)
    outage: dict[str, Any] | None = None
    regression: dict[str, Any] | None = None
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        incidents = _incidents(server)
        outage = _incident_of(incidents, "tool-failures", {"tool_name": "lookup_order"})
        regression = _incident_of(incidents, "refusals", {"feature": "support-chat"})
        if outage and regression and _top(outage) and _top(regression):
            break
        time.sleep(1)
    summary = [(i["title"], _top(i), [a["rule_name"] for a in i["alerts"]]) for i in _incidents(server)]
    assert outage is not None and regression is not None, summary
    assert _top(outage) == ("tenant_id", "globex"), (outage["suspected_cause"], summary)
    assert _top(regression) == ("prompt_version", "v3"), (regression["suspected_cause"], summary)
    assert outage["suspected_cause"][0]["p_adjusted"] < 0.05  # named by the test, not by size
    assert regression["suspected_cause"][0]["p_adjusted"] < 0.05  # named by the test, not by size


# Measured 2026-12-07: seeds 21 and 23 open nothing; seed 22 opened one (self-resolving)
# provider-errors incident for model=gpt-4o-mini. At the support bot's volume (~150 calls in
# 5 min) the rule's 2 % threshold is 4 errors, and 0.7 % background errors reach that by
# chance: the pack's min_volume 50 lets a quiet group page on a handful of errors. Open.
def test_a_healthy_run_names_no_culprit(server: RunningServer) -> None:
    """The same traffic without the stories' failures. What is asserted is what misleads an
    on-call engineer: an incident that *names* a cause (the stories' tenant or prompt version
    leaking in, or a cause from noise). A low-volume alert may still page on a few background
    provider errors (the default pack's `provider-errors`: min 50 calls at 2 %; docs/demo.md
    lists what a healthy run opens); it has fewer than 5 failing requests, so it names nothing."""
    replay(server, failures=False, seed=21)
    _compress_pending(server)
    time.sleep(8)  # several evaluation rounds over the complete window, past every rule's `for`
    named = [(i["title"], _top(i)) for i in _incidents(server) if _top(i)]
    assert named == []
