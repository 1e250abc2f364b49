"""The storyline and the traffic shape (pure functions)."""

from __future__ import annotations

import random

import pytest

from spyglass.demo.story import HOUR_S, Story
from spyglass.demo.world import arrivals, diurnal_factor

pytestmark = pytest.mark.unit

NOW = 1_795_400_000.0


def test_story_order_and_round_trip() -> None:
    story = Story.starting_at(NOW, 24)
    assert story.history_from_s == NOW - 24 * HOUR_S
    assert story.history_from_s < story.v2_release_s < story.snapshot_swap_s < story.v3_canary_s
    assert story.v3_canary_s < story.outage_from_s < story.runaway_from_s < story.runaway_until_s < NOW
    assert story.runaway_until_s - story.runaway_from_s == pytest.approx(1.5 * HOUR_S)
    assert Story.from_json(story.to_json()) == story
    short = Story.starting_at(NOW, 2)
    assert short.history_from_s == NOW - 2 * HOUR_S and short.v3_canary_s == NOW - 0.5 * HOUR_S


def test_prompt_versions_by_time_and_environment() -> None:
    story = Story.starting_at(NOW, 24)
    assert story.support_prompt_version(story.v2_release_s - 1, "production", 0.1) == "v1"
    assert story.support_prompt_version(story.v2_release_s + 1, "production", 0.1) == "v2"
    assert story.support_prompt_version(story.v3_canary_s + 1, "production", 0.1) == "v3"
    assert story.support_prompt_version(story.v3_canary_s + 1, "production", 0.9) == "v2"
    assert story.support_prompt_version(story.history_from_s, "staging", 0.9) == "v3"


def test_outage_is_one_tenant_from_its_start() -> None:
    story = Story.starting_at(NOW, 24)
    assert story.backend_down_for("globex", story.outage_from_s + 1)
    assert not story.backend_down_for("globex", story.outage_from_s - 1)
    assert not story.backend_down_for("acme", NOW)


def test_arrivals_follow_rate_and_daily_shape() -> None:
    times = arrivals(random.Random(3), 100, NOW - 10 * 86400, NOW)
    assert times == sorted(times)
    assert len(times) / 240 == pytest.approx(100, rel=0.05)
    by_hour = [0] * 24
    for t in times:
        by_hour[int(t % 86400 // 3600)] += 1
    assert max(by_hour) > 1.8 * min(by_hour)  # busy afternoons, quiet nights
    assert min(diurnal_factor(h * 3600.0) for h in range(24)) > 0.5


def test_a_second_run_continues_the_story_and_fills_only_the_gap() -> None:
    from spyglass.demo.orchestrator import plan_history

    fresh, start = plan_history({}, NOW, 24)
    assert fresh.start_s == NOW and start == NOW - 24 * HOUR_S
    state = {"story": fresh.to_json(), "history_until_s": NOW + 600}
    story, start = plan_history(state, NOW + 3600, 24)
    assert story == fresh and start == NOW + 600
    stale, start = plan_history(state, NOW + 3 * 86400, 24)
    assert stale.start_s == NOW + 3 * 86400 and start == NOW + 2 * 86400
    broken, _ = plan_history({"story": "{not json", "history_until_s": None}, NOW, 24)
    assert broken.start_s == NOW
