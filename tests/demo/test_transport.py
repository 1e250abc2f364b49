"""The demo transport charges the fake provider's simulated latency to the simulated clock."""

from __future__ import annotations

import time

import httpx2
import openai
import pytest

from spyglass.demo import clock
from spyglass.demo.scenario import demo_scenario
from spyglass.demo.story import Story
from spyglass.demo.transport import SimulatedTimeTransport
from spyglass.fakellm import FORCE_HEADER, FakeLLMServer

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def fake():
    story = Story.starting_at(time.time(), 24)
    with FakeLLMServer(demo_scenario(story)) as server:
        yield server, story


def _client(url: str) -> openai.OpenAI:
    http = httpx2.Client(transport=SimulatedTimeTransport(timeout_ms=20_000), timeout=20)
    return openai.OpenAI(base_url=f"{url}/v1", api_key="k", http_client=http, max_retries=0)


def test_backfill_call_returns_at_once_but_advances_the_clock(fake, simulated_clocks) -> None:
    server, story = fake
    client = _client(server.url)
    with clock.simulated_time(story.history_from_s + 3600) as timeline:
        before = timeline.now_s()
        wall = time.monotonic()
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={FORCE_HEADER: "ok"}
        )
        first_at = timeline.now_s()
        list(stream)
        after = timeline.now_s()
    assert time.monotonic() - wall < 5  # nothing like the simulated seconds was slept
    assert first_at - before >= 0.02  # TTFT charged when the headers arrived
    assert after - before >= first_at - before
    assert after - before >= 0.1  # the demo scenario's latencies are hundreds of ms at least


def test_snapshot_follows_the_simulated_clock(fake, simulated_clocks) -> None:
    server, story = fake
    client = _client(server.url)
    with clock.simulated_time(story.snapshot_swap_s - 600):
        early = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "ok"}
        )
    with clock.simulated_time(story.snapshot_swap_s + 600):
        late = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "ok"}
        )
    assert (early.model, late.model) == ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2025-04-14")


def test_simulated_timeout_becomes_a_client_timeout(fake, simulated_clocks) -> None:
    server, story = fake
    client = _client(server.url)
    with clock.simulated_time(story.history_from_s) as timeline:
        before = timeline.now_s()
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers={FORCE_HEADER: "timeout"}
            )
        assert timeline.now_s() - before >= 20  # the client's timeout, on the simulated clock
